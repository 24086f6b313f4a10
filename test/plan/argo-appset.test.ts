/**
 * ApplicationSets expanded offline against the side being planned: list, git directories
 * and files, matrix and merge generators, fasttemplate and goTemplate, and what Ferry
 * does not expand said as findings.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { expandApplicationSet, fastTemplate } from '../../src/plan/applicationset.js';
import { goTemplate, TemplateError } from '../../src/plan/gotemplate.js';
import type { Plan } from '../../src/types.js';
import { TEST_HELM } from '../helpers/bin.js';
import { deployment, service } from '../helpers/fixtures.js';
import { addedDocs, byIdentity, defaultNamespace, type Doc, helmTemplate, identities, kubectlKustomize } from '../helpers/equivalence.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { treeView as memoryView } from '../helpers/tree-view.js';
import { appOf, CHART } from '../helpers/argo.js';

const cacheDir = tempDir('ferry-cache-');
const CONFIG = `environments:\n  - name: prod\n    path: argocd\nrender:\n  helm: ${TEST_HELM}\n`;
const REPO_URL = 'https://git.example.com/org/gitops.git';

function appSet(name: string, generators: string, template: string, extra = ''): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: ${name}
  namespace: argocd
spec:
${extra}  generators:
${generators}  template:
${template}`;
}

const DIR_TEMPLATE = `    metadata:
      name: '{{path.basename}}'
    spec:
      project: default
      source:
        repoURL: ${REPO_URL}
        path: '{{path}}'
      destination:
        namespace: '{{path.basename}}'
`;

const APPS = {
  'apps/web/deployment.yaml': deployment('web'),
  'apps/api/deployment.yaml': deployment('api'),
  'apps/old/deployment.yaml': deployment('old'),
};

const names = (p: Plan) => p.environments.flatMap((e) => e.apps).map((a) => a.name).sort();
const set = (file: string, text: string) => ({ file, object: { kind: 'ApplicationSet' as const, name: 'x', namespace: 'argocd', spec: (JSON.parse(JSON.stringify(parseYaml(text))) as { spec: Record<string, unknown> }).spec } });

describe('git directory generator', () => {
  it('makes one Application per folder, exclusions left out; adding a folder plans the added Application, removing one its removal', async () => {
    const gens = `    - git:\n        repoURL: ${REPO_URL}\n        revision: HEAD\n        directories:\n          - path: apps/*\n          - path: apps/old\n            exclude: true\n`;
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, ...APPS, 'argocd/apps.yaml': appSet('apps', gens, DIR_TEMPLATE) });
    const base = r.commit('base');
    r.write({ 'apps/new/deployment.yaml': deployment('new') }).remove('apps/api');
    const head = r.commit('add new, drop api');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(appOf(p, 'argocd/new')!.changes.map((c) => `${c.action} ${c.kind}/${c.namespace}/${c.name}`)).toEqual(['added Deployment/new/new']);
    expect(appOf(p, 'argocd/api')!.changes.map((c) => `${c.action} ${c.kind}/${c.namespace}/${c.name}`)).toEqual(['removed Deployment/api/api']);
    expect(appOf(p, 'argocd/old')).toBeUndefined();
    // Generated Applications only: the folders they render are not apps of their own.
    expect(names(p).filter((n) => !n.startsWith('argocd/'))).toEqual([]);
    // An unchanged Application is not planned.
    expect(appOf(p, 'argocd/web')).toBeUndefined();
  });
});

describe('list, matrix, merge and git files generators', () => {
  it('a list element added to the set plans its Application; elementsYaml counts too', async () => {
    const gens = (extra: string) => `    - list:\n        elements:\n          - { app: web, replicas: "2" }\n${extra}        elementsYaml: |\n          - { app: api, replicas: "3" }\n`;
    const tpl = `    metadata:\n      name: 'svc-{{app}}'\n    spec:\n      source:\n        repoURL: ${REPO_URL}\n        path: 'apps/{{app}}'\n        directory: { include: '*.yaml' }\n      destination:\n        namespace: '{{app}}-{{replicas}}'\n`;
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, ...APPS, 'argocd/list.yaml': appSet('list', gens(''), tpl) });
    const base = r.commit('base');
    r.write({ 'argocd/list.yaml': appSet('list', gens('          - { app: old, replicas: "1" }\n'), tpl) });
    const head = r.commit('add old');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(appOf(p, 'argocd/svc-old')!.changes.map((c) => `${c.action} ${c.kind}/${c.namespace}/${c.name}`)).toEqual(['added Deployment/old-1/old']);
    // The set's file changed: its other Applications are planned, unchanged.
    expect(appOf(p, 'argocd/svc-api')!.changes).toEqual([]);
    expect(appOf(p, 'argocd/svc-web')!.changes).toEqual([]);
  });

  it('git files: keys flattened, path parameters; a config file edit plans the Application it makes', async () => {
    const gens = `    - git:\n        repoURL: ${REPO_URL}\n        files:\n          - path: 'clusters/*/config.json'\n`;
    const tpl = `    metadata:\n      name: '{{cluster.name}}-{{path.basename}}-{{path[1]}}'\n    spec:\n      source:\n        repoURL: ${REPO_URL}\n        path: 'apps/{{cluster.app}}'\n      destination:\n        namespace: '{{cluster.ns}}'\n`;
    const cfg = (ns: string) => JSON.stringify({ cluster: { name: 'eu', app: 'web', ns } });
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, ...APPS, 'clusters/eu1/config.json': cfg('web-eu'), 'argocd/files.yaml': appSet('files', gens, tpl) });
    const base = r.commit('base');
    r.write({ 'clusters/eu1/config.json': cfg('web-eu-2') });
    const head = r.commit('move namespace');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const app = appOf(p, 'argocd/eu-eu1-eu1')!;
    expect(app).toBeDefined();
    expect(app.changes.map((c) => `${c.action} ${c.kind}/${c.namespace}/${c.name}`).sort()).toEqual(['added Deployment/web-eu-2/web', 'removed Deployment/web-eu/web']);
  });

  it('matrix: the second generator uses the first\'s parameters; merge overrides by key', () => {
    const view = memoryView({ 'clusters/eu/apps/web/x.yaml': 'a: 1\n', 'clusters/eu/apps/api/x.yaml': 'a: 1\n', 'clusters/us/apps/web/x.yaml': 'a: 1\n' });
    const matrix = appSet('m', `    - matrix:
        generators:
          - list:
              elements: [{ cluster: eu }, { cluster: us }]
          - git:
              repoURL: ${REPO_URL}
              directories: [{ path: 'clusters/{{cluster}}/apps/*' }]
`, `    metadata: { name: '{{cluster}}-{{path.basename}}' }\n    spec: { source: { path: '{{path}}' } }\n`);
    const m = expandApplicationSet(set('argocd/m.yaml', matrix), view);
    expect(m.apps.map((a) => `${a.name} ${String((a.spec.source as Record<string, string>).path)}`)).toEqual([
      'eu-api clusters/eu/apps/api', 'eu-web clusters/eu/apps/web', 'us-web clusters/us/apps/web',
    ]);
    const merge = appSet('g', `    - merge:
        mergeKeys: [name]
        generators:
          - list: { elements: [{ name: a, size: small }, { name: b, size: small }] }
          - list: { elements: [{ name: b, size: large }, { name: c, size: huge }] }
`, `    metadata: { name: '{{name}}-{{size}}' }\n    spec: {}\n`);
    expect(expandApplicationSet(set('argocd/g.yaml', merge), view).apps.map((a) => a.name)).toEqual(['a-small', 'b-large']);
  });

  describe('merge edge cases, as Argo CD\'s merge generator has them', () => {
    const view = memoryView({});
    const expandMerge = (body: string, go = false) => expandApplicationSet(set('argocd/g.yaml', appSet('g', `    - merge:\n${body}`,
      go ? `    metadata: { name: '{{ .name }}-{{ .size }}' }\n    spec: {}\n` : `    metadata: { name: '{{name}}-{{size}}' }\n    spec: {}\n`, go ? '  goTemplate: true\n' : '')), view);
    const errors = (e: ReturnType<typeof expandApplicationSet>) => e.findings.filter((f) => f.severity === 'error').map((f) => f.message);

    it('parameter sets that repeat a key, in the first generator or another, refuse the set', () => {
      for (const [first, second] of [['[{ name: a, size: s }, { name: a, size: m }]', '[{ name: a, size: l }]'], ['[{ name: a, size: s }]', '[{ name: a, size: l }, { name: a, size: xl }]']]) {
        const e = expandMerge(`        mergeKeys: [name]\n        generators:\n          - list: { elements: ${first} }\n          - list: { elements: ${second} }\n`);
        expect(e.apps).toEqual([]);
        expect(e.complete).toBe(false);
        expect(errors(e)).toEqual([expect.stringMatching(/^merge: generator [12] of 2 makes two parameter sets with the same mergeKeys values \(\{"name":"a"\}\); Argo CD refuses the set$/)]);
      }
    });

    it('a key missing from a parameter set is null: it matches another set missing it, and two such sets are duplicates', () => {
      const e = expandMerge(`        mergeKeys: [name, region]\n        generators:\n          - list: { elements: [{ name: a, size: s }, { name: b, region: eu, size: s }] }\n          - list: { elements: [{ name: a, size: l }, { name: b, size: xl }] }\n`);
      expect(e.apps.map((a) => a.name)).toEqual(['a-l', 'b-s']);
      const twice = expandMerge(`        mergeKeys: [region]\n        generators:\n          - list: { elements: [{ name: a, size: s }, { name: b, size: s }] }\n          - list: { elements: [{ name: c, size: l }] }\n`);
      expect(twice.apps).toEqual([]);
      expect(errors(twice)).toEqual([expect.stringContaining('generator 1 of 2 makes two parameter sets with the same mergeKeys values ({"region":null})')]);
    });

    it('key values compare as JSON: 1 is not "1", and objects match whatever the order of their keys (Go templates)', () => {
      const e = expandMerge(`        mergeKeys: [id, sel]\n        generators:\n          - list: { elements: [{ name: a, id: 1, sel: { x: 1, y: 2 }, size: s }, { name: b, id: "2", sel: {}, size: s }] }\n          - list: { elements: [{ id: 1, sel: { y: 2, x: 1 }, size: l }, { id: 2, sel: {}, size: xl }] }\n`, true);
      expect(e.apps.map((a) => a.name)).toEqual(['a-l', 'b-s']);
    });

    it('Go templates read a key at the top level only (Argo CD does not merge on nested values), and merge nested values', () => {
      // Every set's `path.basename` is null at the top level: duplicates, as in Argo CD.
      const nested = expandMerge(`        mergeKeys: [path.basename]\n        generators:\n          - list: { elements: [{ name: a, size: s, path: { basename: a } }, { name: b, size: s, path: { basename: b } }] }\n          - list: { elements: [{ size: l, path: { basename: a } }] }\n`, true);
      expect(nested.apps).toEqual([]);
      expect(errors(nested)).toEqual([expect.stringContaining('({"path.basename":null})')]);
      const deep = expandApplicationSet(set('argocd/g.yaml', appSet('g', `    - merge:\n        mergeKeys: [name]\n        generators:\n          - list: { elements: [{ name: a, values: { x: "1", y: "1" } }] }\n          - list: { elements: [{ name: a, values: { y: "2" } }] }\n`,
        `    metadata: { name: '{{ .name }}-{{ .values.x }}-{{ .values.y }}' }\n    spec: {}\n`, '  goTemplate: true\n')), view);
      expect(deep.apps.map((a) => a.name)).toEqual(['a-1-2']);
    });

    it('one generator, or no keys, is an error', () => {
      expect(errors(expandMerge(`        mergeKeys: [name]\n        generators:\n          - list: { elements: [{ name: a, size: s }] }\n`))).toEqual(['a merge generator takes two or more generators, got 1']);
      expect(errors(expandMerge(`        generators:\n          - list: { elements: [{ name: a, size: s }] }\n          - list: { elements: [{ name: a, size: l }] }\n`))).toEqual(['a merge generator needs mergeKeys']);
    });
  });

  it('a matrix that would match the tree\'s files thousands of times is stopped by its step budget, with a finding', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) files[`data/d${i}/f.txt`] = 'x\n';
    files['config/only.json'] = '{"env": "prod"}';
    const view = memoryView(files);
    const elements = Array.from({ length: 3000 }, (_, i) => `{ n: "${i}" }`).join(', ');
    const bomb = appSet('bomb', `    - matrix:
        generators:
          - list:
              elements: [${elements}]
          - git:
              repoURL: ${REPO_URL}
              files: [{ path: 'nothing/{{n}}/*.json' }]
`, `    metadata: { name: 'a-{{n}}' }\n    spec: {}\n`);
    const r = expandApplicationSet(set('argocd/bomb.yaml', bomb), view);
    expect(r.apps).toEqual([]);
    expect(r.findings.map((f) => [f.severity, f.message])).toEqual([['error', expect.stringMatching(/takes more than 2,000,000 steps.*not expanded/)]]);
    // The same generators over a list of ten are expanded: the budget is about cost, not shape.
    const fine = expandApplicationSet(set('argocd/fine.yaml', bomb.replace(elements, Array.from({ length: 10 }, (_, i) => `{ n: "${i}" }`).join(', ')).replace("nothing/{{n}}/*.json", 'config/*.json')), view);
    expect(fine.findings).toEqual([]);
    expect(fine.apps.map((a) => a.name)).toHaveLength(10);
  });

  it('goTemplate: fields, sprig functions, index of path segments; an unknown function is a finding and no Application', () => {
    const view = memoryView({ 'apps/Web_App/x.yaml': 'a: 1\n' });
    const tpl = `    metadata: { name: '{{ .path.basenameNormalized }}-{{ index .path.segments 0 | upper | lower }}-{{ .missing | default "dflt" }}' }
    spec:
      source: { path: '{{ .path.path }}' }
      destination: { namespace: '{{ trunc 3 .path.basename | lower | replace "_" "-" }}' }
      info: '{{ "x" | quote }}'
`;
    const good = expandApplicationSet(set('argocd/go.yaml', appSet('go', `    - git: { repoURL: ${REPO_URL}, directories: [{ path: 'apps/*' }] }\n`, tpl, '  goTemplate: true\n')), view);
    expect(good.findings).toEqual([]);
    expect(good.apps.map((a) => [a.name, a.spec])).toEqual([['web-app-apps-dflt', { source: { path: 'apps/Web_App' }, destination: { namespace: 'web' }, info: '"x"' }]]);
    const bad = expandApplicationSet(set('argocd/go.yaml', appSet('go', `    - git: { repoURL: ${REPO_URL}, directories: [{ path: 'apps/*' }] }\n`,
      `    metadata: { name: '{{ .path.basename | exec "id" }}' }\n    spec: {}\n`, '  goTemplate: true\n')), view);
    expect(bad.apps).toEqual([]);
    expect(bad.findings.map((f) => f.message).join('\n')).toMatch(/function "exec" is not supported/);
    expect(() => goTemplate('{{ if .a }}x{{ end }}', {})).toThrow(TemplateError);
  });

  it('generators that need a cluster or an API are findings, never silently dropped; templatePatch is said', async () => {
    const gens = `    - clusters: {}\n    - list: { elements: [{ app: web }] }\n`;
    const tpl = `    metadata: { name: '{{app}}' }\n    spec:\n      source: { repoURL: ${REPO_URL}, path: 'apps/{{app}}' }\n      destination: { namespace: web }\n`;
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, ...APPS });
    const base = r.commit('base');
    r.write({ 'argocd/c.yaml': appSet('c', gens, tpl, '  templatePatch: |\n    spec: {}\n') });
    const head = r.commit('set');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const messages = p.findings.filter((f) => f.file === 'argocd/c.yaml').map((f) => `${f.severity} ${f.message}`);
    expect(messages).toContain('warning the clusters generator is not expanded offline (it needs a cluster or an API): its Applications are not planned');
    expect(messages.some((m) => /templatePatch is not applied/.test(m))).toBe(true);
    expect(appOf(p, 'argocd/web')!.changes.map((c) => c.action)).toEqual(['added']);
  });
});

describe('hostile ApplicationSets', () => {
  it('a value holding {{ }} is never templated again', () => {
    expect(fastTemplate('{{a}}-{{b}}', { a: '{{b}}', b: 'x' })).toBe('{{b}}-x');
    expect(goTemplate('{{ .a }}', { a: '{{ .b }}', b: 'x' })).toBe('{{ .b }}');
    const view = memoryView({});
    const s = appSet('i', `    - list: { elements: [{ app: '{{path}}', ns: 'web' }] }\n`, `    metadata: { name: 'n-{{ns}}' }\n    spec: { source: { path: 'apps/{{app}}' } }\n`);
    expect(expandApplicationSet(set('argocd/i.yaml', s), view).apps.map((a) => (a.spec.source as Record<string, string>).path)).toEqual(['apps/{{path}}']);
  });

  it('an expansion bomb (a matrix of large lists) is bounded with a finding', () => {
    const list = `[${Array.from({ length: 1000 }, (_, i) => `{ a${i % 2 ? 'x' : ''}: "${i}" }`).join(', ')}]`;
    const big = appSet('bomb', `    - matrix:
        generators:
          - list: { elements: ${list.replaceAll('ax', 'a')} }
          - list: { elements: ${list.replaceAll('{ a', '{ b').replaceAll('bx', 'b')} }
`, `    metadata: { name: 'x-{{a}}-{{b}}' }\n    spec: {}\n`);
    const out = expandApplicationSet(set('argocd/bomb.yaml', big), memoryView({}));
    expect(out.apps.length).toBe(5000);
    expect(out.findings.map((f) => f.message).join('\n')).toMatch(/more than 5000 Applications; only the first 5000 are planned/);
  });
});

describe('an ApplicationSet Ferry cannot fully expand on one side', () => {
  // No environment path: the folders the set renders would otherwise be apps of their own.
  const NO_PATH = 'environments:\n  - name: prod\n';
  const gens = `    - git:\n        repoURL: ${REPO_URL}\n        revision: HEAD\n        directories:\n          - path: apps/*\n`;
  const broken = DIR_TEMPLATE.replace("name: '{{path.basename}}'", "name: '{{ if true }}{{ .path.basename }}{{ end }}'");
  const brokenSet = appSet('apps', gens, broken, '  goTemplate: true\n');
  const goodSet = appSet('apps', gens, DIR_TEMPLATE);
  const APP_FILES = { 'apps/web/deployment.yaml': deployment('web'), 'apps/api/deployment.yaml': deployment('api') };
  const changesOf = (p: Plan) => p.environments.flatMap((e) => e.apps).flatMap((a) => a.changes.map((c) => `${a.name}: ${c.action} ${c.kind}/${c.name}`)).sort();

  it('broken at head: its Applications are unknown, not removed (an error each: they may be), and their folders are not new apps', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': NO_PATH, ...APP_FILES, 'argocd/apps.yaml': goodSet });
    const base = r.commit('base');
    r.write({ 'argocd/apps.yaml': brokenSet, 'apps/web/deployment.yaml': deployment('web', { image: 'nginx:1.28.0' }) });
    const p = await plan({ repo: r.dir, base, head: r.commit('break the set') });
    expect(p.findings.map((f) => [f.rule, f.severity])).toContainEqual(['argo-applicationset', 'error']);
    for (const name of ['argocd/web', 'argocd/api']) {
      const app = appOf(p, name)!;
      expect(app.status).toBe('skipped');
      expect(app.changes).toEqual([]);
      expect(app.findings.map((f) => `${f.severity} ${f.message}`)).toEqual([expect.stringMatching(/^error may be removed: ApplicationSet argocd\/apps made this Application at base, and no longer expands fully at head .* its removal is not planned until the set expands$/)]);
    }
    // Only the set's own file changed; nothing is shown as added or removed.
    expect(changesOf(p)).toEqual(['argocd: changed ApplicationSet/apps']);
    expect(names(p)).toEqual(['argocd', 'argocd/api', 'argocd/web']);
  });

  it('broken at base and fixed at head: its Applications are added with a caveat, and their folders are not removed', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': NO_PATH, ...APP_FILES, 'argocd/apps.yaml': brokenSet });
    const base = r.commit('base');
    r.write({ 'argocd/apps.yaml': goodSet });
    const p = await plan({ repo: r.dir, base, head: r.commit('fix the set') });
    expect(changesOf(p)).toEqual(['argocd/api: added Deployment/api', 'argocd/web: added Deployment/web', 'argocd: changed ApplicationSet/apps']);
    expect(appOf(p, 'argocd/web')!.findings.map((f) => f.message)).toContainEqual(expect.stringMatching(/could not be fully expanded at base: this Application is shown as added, but it may exist already/));
  });

  /** A set making one Application per name, from apps/<name>, with `extra` generators. */
  const list = (names: string[], extra = '') => appSet('tools', `    - list:\n        elements:\n${names.map((n) => `          - name: ${n}\n`).join('')}${extra}`,
    DIR_TEMPLATE.replaceAll('{{path.basename}}', '{{name}}').replace("'{{path}}'", "'apps/{{name}}'"));

  it('a PR cannot hide a removal by breaking the set in the same change: the set is an error naming what may be removed', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': NO_PATH, ...APP_FILES, 'argocd/tools.yaml': list(['web', 'api']) });
    const base = r.commit('base');
    // api leaves the list, and a generator Ferry does not know joins the set (a warning on its own).
    r.write({ 'argocd/tools.yaml': list(['web'], '    - someNewGenerator: {}\n') });
    const p = await plan({ repo: r.dir, base, head: r.commit('drop api, break the set') });
    expect(p.findings.filter((f) => f.rule === 'argo-applicationset').map((f) => `${f.severity} ${f.message}`)).toEqual([
      'error ApplicationSet argocd/tools expanded fully at base but not at head (see its other findings), so the plan cannot tell which of its Applications Argo CD would keep; this Application it made at base is not listed at head and may be removed: argocd/api',
      'warning the "someNewGenerator" generator is not known to Ferry: its Applications are not planned',
    ]);
    const api = appOf(p, 'argocd/api')!;
    expect(api.status).toBe('skipped');
    expect(api.findings.map((f) => f.severity)).toEqual(['error']);
    // The set expanded at base and its Applications still listed at head: nothing can be hidden, a warning naming none.
    const r2 = new TestRepo().write({ '.github/ferry.yml': NO_PATH, ...APP_FILES, 'argocd/tools.yaml': list(['web']) });
    const base2 = r2.commit('base');
    r2.write({ 'argocd/tools.yaml': list(['web'], '    - clusters: {}\n') });
    const p2 = await plan({ repo: r2.dir, base: base2, head: r2.commit('cluster generator') });
    expect(p2.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(p2.findings.filter((f) => f.rule === 'argo-applicationset' && f.severity === 'warning').map((f) => f.message)).toContainEqual(expect.stringMatching(/^ApplicationSet argocd\/tools expanded fully at base but not at head .*; every Application it made at base is still listed at head$/));
    // One that made none at base: a warning as well.
    const r3 = new TestRepo().write({ '.github/ferry.yml': NO_PATH, ...APP_FILES, 'argocd/tools.yaml': list([]).replace('        elements:\n', '        elements: []\n') });
    const base3 = r3.commit('base');
    r3.write({ 'argocd/tools.yaml': list(['web'], '    - clusters: {}\n') });
    const p3 = await plan({ repo: r3.dir, base: base3, head: r3.commit('cluster generator') });
    expect(p3.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(p3.findings.filter((f) => f.rule === 'argo-applicationset' && f.severity === 'warning').map((f) => `${f.file}: ${f.message}`)).toContainEqual(expect.stringMatching(/^argocd\/tools.yaml: ApplicationSet argocd\/tools expanded fully at base but not at head/));
  });

  it('a set broken by head that two environments share is one error', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': 'environments:\n  - name: staging\n  - name: prod\n', ...APP_FILES, 'argocd/tools.yaml': list(['web', 'api']) });
    const base = r.commit('base');
    r.write({ 'argocd/tools.yaml': list(['web'], '    - clusters: {}\n') });
    const p = await plan({ repo: r.dir, base, head: r.commit('drop api, break the set') });
    expect(p.findings.filter((f) => f.severity === 'error').map((f) => f.message)).toEqual([expect.stringMatching(/may be removed: argocd\/api$/)]);
  });

  it('a set expanded on both sides still plans the removal of an Application it no longer makes', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': NO_PATH, ...APP_FILES, 'argocd/apps.yaml': goodSet });
    const base = r.commit('base');
    r.remove('apps/api');
    const p = await plan({ repo: r.dir, base, head: r.commit('drop api') });
    expect(changesOf(p)).toEqual(['argocd/api: removed Deployment/api']);
    expect(appOf(p, 'argocd/api')!.status).toBe('rendered');
  });
});

describe('generated Applications render as the tools do on the same folder with the same parameters', () => {
  // A list generator's elements fill a helm source's release name, values file, inline values
  // and a parameter; a git directory generator fills a kustomize source's prefix and labels.
  const helmSet = appSet('web', `    - list:
        elements:
          - { app: blue, replicas: "2", greeting: hi there, ns: team-blue }
          - { app: green, replicas: "3", greeting: hey, ns: team-green }
`, `    metadata:
      name: 'web-{{app}}'
    spec:
      project: default
      source:
        repoURL: ${REPO_URL}
        path: charts/web
        helm:
          releaseName: '{{app}}-rel'
          valueFiles: ['values-{{app}}.yaml']
          values: |
            greeting: {{greeting}}
          parameters:
            - name: replicas
              value: '{{replicas}}'
      destination:
        namespace: '{{ns}}'
`);
  const kustomizeSet = appSet('kapps', `    - git:
        repoURL: ${REPO_URL}
        revision: HEAD
        directories: [{ path: 'kapps/*' }]
`, `    metadata:
      name: 'k-{{path.basename}}'
    spec:
      project: default
      source:
        repoURL: ${REPO_URL}
        path: '{{path}}'
        kustomize:
          namePrefix: '{{path.basename}}-'
          commonLabels: { team: '{{path.basename}}' }
      destination:
        namespace: '{{path.basename}}'
`);
  // The cluster's version, which Argo CD gives helm as --kube-version: here the configured one.
  const files = {
    '.github/ferry.yml': `${CONFIG}validate:\n  kubernetesVersion: "1.31"\n`,
    ...CHART,
    'charts/web/values-blue.yaml': 'image: nginx:1.28.0-blue\nport: 8081\n',
    'charts/web/values-green.yaml': 'image: nginx:1.28.0-green\n',
    'kapps/frontend/kustomization.yaml': 'resources: [deployment.yaml, service.yaml]\nconfigMapGenerator:\n  - name: settings\n    literals: [mode=fast]\n',
    'kapps/frontend/deployment.yaml': deployment('frontend', { replicas: 2 }),
    'kapps/frontend/service.yaml': service('frontend'),
  };

  it('two helm Applications equal helm template, one kustomize Application kubectl kustomize (destination namespace given to namespaced objects, as Argo CD applies them)', async () => {
    const r = new TestRepo().write(files);
    const base = r.commit('folders');
    r.write({ 'argocd/web.yaml': helmSet, 'argocd/kapps.yaml': kustomizeSet });
    const head = r.commit('sets');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const rendered = (name: string) => {
      const app = appOf(p, name);
      if (!app) throw new Error(`no app ${name}: ${names(p).join(', ')}`);
      expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
      expect(app.findings.filter((f) => f.severity === 'error')).toEqual([]);
      return addedDocs(app);
    };
    const hand = tempDir('ferry-argo-hand-');
    // Argo CD's helm: `--include-crds` unless skipCrds, tests kept unless skipTests; inline
    // values after the values files, parameters as --set. Its tracking label is not added by Ferry (docs/config.md).
    for (const [app, replicas, greeting, ns] of [['blue', '2', 'hi there', 'team-blue'], ['green', '3', 'hey', 'team-green']] as const) {
      const inline = path.join(hand, `${app}-inline.yaml`);
      writeFileSync(inline, `greeting: ${greeting}\n`);
      const expected = defaultNamespace(helmTemplate([`${app}-rel`, 'charts/web', '--namespace', ns, '--include-crds', '--kube-version', '1.31', '--values', `charts/web/values-${app}.yaml`, '--values', inline, '--set', `replicas=${replicas}`], r.dir), ns);
      const ferry = rendered(`argocd/web-${app}`);
      expect(byIdentity(ferry)).toEqual(byIdentity(expected));
      expect(identities(ferry)).toEqual(['apiextensions.k8s.io/v1|CustomResourceDefinition||widgets.example.com', `apps/v1|Deployment|${ns}|${app}-rel`, `v1|ConfigMap|${ns}|${app}-rel-config`]);
      const cm = ferry.find((o) => o.kind === 'ConfigMap') as Doc & { data: Record<string, string> };
      expect(cm.data).toMatchObject({ greeting, kube: 'v1.31.0' });
    }
    mkdirSync(path.join(hand, 'overlay'));
    writeFileSync(path.join(hand, 'overlay/kustomization.yaml'), `resources: [${path.relative(path.join(hand, 'overlay'), path.join(r.dir, 'kapps/frontend'))}]\nnamePrefix: frontend-\ncommonLabels: { team: frontend }\n`);
    const expected = defaultNamespace(kubectlKustomize(path.join(hand, 'overlay')), 'frontend');
    const ferry = rendered('argocd/k-frontend');
    expect(byIdentity(ferry)).toEqual(byIdentity(expected));
    expect(identities(ferry).map((i) => i.replace(/-[a-z0-9]{10}$/, '-<hash>'))).toEqual(['apps/v1|Deployment|frontend|frontend-frontend', 'v1|ConfigMap|frontend|frontend-settings-<hash>', 'v1|Service|frontend|frontend-frontend']);
  });
});
