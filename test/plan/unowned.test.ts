import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { Plan } from '../../src/types.js';
import { configMap, deployment, kustomization, service } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');

async function run(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  let err = '';
  const code = await main([...args, '--cache-dir', cacheDir], { out: (s) => (out += s), err: (s) => (err += s) });
  if (code === 2) throw new Error(`ferry exited 2: ${err}`);
  return { code, out };
}

async function planJson(r: TestRepo, base: string, head: string): Promise<{ code: number; plan: Plan }> {
  const { code, out } = await run(['plan', '--repo', r.dir, '--base', base, '--head', head, '--format', 'json']);
  return { code, plan: JSON.parse(out) as Plan };
}

const config = (extra = '') => `environments:\n  - name: prod\n    path: envs/prod\n${extra}`;

function baseFiles(extra = ''): Record<string, string> {
  return {
    '.github/ferry.yml': config(extra),
    'envs/prod/web/kustomization.yaml': kustomization('resources:\n  - deploy.yaml\n'),
    'envs/prod/web/deploy.yaml': deployment('web'),
    'clusters/prod/extra.yaml': configMap('extra'),
    'clusters/prod/gone.yaml': configMap('gone'),
    '.github/workflows/ci.yml': 'on: push\njobs: {}\n',
    'renovate.json': '{ "extends": ["config:base"] }\n',
    'charts/x/Chart.yaml': 'apiVersion: v2\nname: x\nversion: 1.0.0\n',
    'charts/x/values.yaml': 'replicas: 1\n',
    'docs/mkdocs.yml': 'site_name: docs\n',
  };
}

describe('changed manifests outside every app', () => {
  it('one warning names the changed manifest no app reads; CI files, tool configs, charts and values are left alone', async () => {
    const r = new TestRepo().write(baseFiles());
    const base = r.commit('initial');
    r.write({
      'envs/prod/web/deploy.yaml': deployment('web', { replicas: 3 }),
      'clusters/prod/extra.yaml': configMap('extra').replace('k: v', 'k: w'),
      '.github/workflows/ci.yml': 'on: pull_request\njobs: {}\n',
      'renovate.json': '{ "extends": ["config:recommended"] }\n',
      'charts/x/Chart.yaml': 'apiVersion: v2\nname: x\nversion: 1.0.1\n',
      'charts/x/values.yaml': 'replicas: 2\n',
      'docs/mkdocs.yml': 'site_name: Docs\n',
      '.github/ferry.yml': config('validate:\n  strict: true\n'),
    });
    const head = r.commit('change');
    const { code, plan } = await planJson(r, base, head);
    expect(code).toBe(0);
    expect(plan.environments[0]!.apps.map((a) => a.name)).toEqual(['web']);
    expect(plan.findings).toEqual([
      {
        severity: 'warning', rule: 'unowned-change', file: 'clusters/prod/extra.yaml', line: null, resource: null,
        message: expect.stringMatching(/^clusters\/prod\/extra\.yaml changed but belongs to no app Ferry plans; add it to an app in ferry\.yml/),
      },
    ]);
    expect(plan.summary.warnings).toBe(1);
    // The text report and the PR comment show it.
    const text = await run(['plan', '--repo', r.dir, '--base', base, '--head', head, '--format', 'text']);
    expect(text.out).toContain('clusters/prod/extra.yaml changed but belongs to no app Ferry plans');
    const md = await run(['plan', '--repo', r.dir, '--base', base, '--head', head, '--format', 'markdown']);
    expect(md.out).toContain('clusters/prod/extra.yaml changed but belongs to no app Ferry plans');
  });

  it('a deleted manifest counts; many files make one finding listing 20 and counting the rest', async () => {
    const r = new TestRepo().write(baseFiles());
    const base = r.commit('initial');
    r.remove('clusters/prod/gone.yaml');
    for (let i = 0; i < 24; i++) r.write({ [`clusters/prod/more/cm-${String(i).padStart(2, '0')}.yaml`]: configMap(`cm-${i}`) });
    const head = r.commit('many');
    const { plan } = await planJson(r, base, head);
    expect(plan.environments[0]!.apps).toEqual([]);
    expect(plan.findings).toHaveLength(1);
    const f = plan.findings[0]!;
    expect(f).toMatchObject({ severity: 'warning', rule: 'unowned-change', file: null });
    expect(f.message).toMatch(/^25 changed files belong to no app Ferry plans: clusters\/prod\/gone\.yaml, clusters\/prod\/more\/cm-00\.yaml, /);
    expect(f.message).toContain('clusters/prod/more/cm-18.yaml and 5 more; add them to an app in ferry.yml');
    expect(f.message).not.toContain('cm-19');
  });

  it('a file another environment plans is owned; the rule can be turned off', async () => {
    const r = new TestRepo().write({
      ...baseFiles(),
      '.github/ferry.yml': 'environments:\n  - name: prod\n    path: envs/prod\n  - name: clusters\n    path: clusters\nvalidate:\n  rules:\n    unowned-change: off\n',
      'other/x.yaml': configMap('x'),
    });
    const base = r.commit('initial');
    r.write({ 'clusters/prod/extra.yaml': configMap('extra').replace('k: v', 'k: w'), 'other/x.yaml': configMap('x').replace('k: v', 'k: w') });
    const head = r.commit('change');
    const { plan } = await planJson(r, base, head);
    expect(plan.environments.flatMap((e) => e.apps.map((a) => `${e.name}/${a.name}`))).toEqual(['clusters/prod']);
    expect(plan.findings).toEqual([]);
    // Without the override, other/x.yaml is reported and clusters/prod/extra.yaml is not.
    r.write({ '.github/ferry.yml': 'environments:\n  - name: prod\n    path: envs/prod\n  - name: clusters\n    path: clusters\n' });
    const base2 = r.commit('config');
    r.write({ 'clusters/prod/extra.yaml': configMap('extra'), 'other/x.yaml': configMap('x') });
    const head2 = r.commit('revert');
    const again = await planJson(r, base2, head2);
    expect(again.plan.findings.map((x) => `${x.rule} ${x.file}`)).toEqual(['unowned-change other/x.yaml']);
  });
});

describe('apps listed in ferry.yml', () => {
  const listed = (apps: string) => `environments:\n  - name: prod\n    apps:\n${apps}`;

  it('an app deleted in the PR plans as all removed; one missing on both sides is a config error', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': listed('      - { name: web, path: apps/web, renderer: kustomize }\n      - { name: typo, path: apps/wbe }\n'),
      'apps/web/kustomization.yaml': kustomization('resources:\n  - deploy.yaml\n  - svc.yaml\n'),
      'apps/web/deploy.yaml': deployment('web'),
      'apps/web/svc.yaml': service('web'),
    });
    const base = r.commit('initial');
    r.remove('apps/web');
    const head = r.commit('drop web');
    const { code, plan } = await planJson(r, base, head);
    expect(code).toBe(1);
    const web = plan.environments[0]!.apps.find((a) => a.name === 'web')!;
    expect(web.status).toBe('rendered');
    expect(web.findings).toEqual([]);
    expect(web.changes.map((c) => `${c.action} ${c.kind}/${c.name}`).sort()).toEqual(['removed Deployment/web', 'removed Service/web']);
    expect(plan.environments[0]!.apps.map((a) => a.name)).toEqual(['web']);
    expect(plan.findings).toEqual([
      {
        severity: 'error', rule: 'config', file: '.github/ferry.yml', line: null, resource: null,
        message: 'environment "prod": app "typo" has no folder apps/wbe at base or head; fix its path or remove it from ferry.yml',
      },
    ]);
  });

  it('validate: a listed app with no folder at the ref is a config error, not a render error', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': listed('      - { name: web, path: apps/web, renderer: kustomize }\n'),
      'apps/other/x.yaml': configMap('x'),
    });
    const ref = r.commit('initial');
    const res = await run(['validate', '--repo', r.dir, '--ref', ref, '--format', 'json']);
    const plan = JSON.parse(res.out) as Plan;
    expect(res.code).toBe(1);
    expect(plan.environments[0]!.apps).toEqual([]);
    expect(plan.findings.map((f) => `${f.rule}: ${f.message}`)).toEqual([
      'config: environment "prod": app "web" has no folder apps/web at head; fix its path or remove it from ferry.yml',
    ]);
  });
});
