/**
 * What a plan shows when part of an app is broken or unusual: one unparsable file in a
 * plain app, an app whose renderer changes, duplicate resources, generated names.
 */
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import type { AppPlan, Plan } from '../../src/types.js';
import { configMap, deployment, kustomization, service } from '../helpers/fixtures.js';
import { TEST_HELM } from '../helpers/bin.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');
const CONFIG = 'environments:\n  - name: staging\n    path: apps\n';

function repo(files: Record<string, string>): TestRepo {
  return new TestRepo().write({ '.github/ferry.yml': CONFIG, ...files });
}

const appOf = (p: Plan, name: string): AppPlan => p.environments[0]!.apps.find((a) => a.name === name)!;
const changesOf = (a: AppPlan) => a.changes.map((c) => `${c.action} ${c.kind}/${c.name}`);

describe('a plain app with one unparsable file', () => {
  // Not YAML: a mapping value where a sequence entry is open.
  const broken = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  k: a\n  - b\n';

  it('validates and diffs every other file; the broken file is reported, not shown as removed', async () => {
    const r = repo({ 'apps/web/svc.yaml': service('web'), 'apps/web/cm.yaml': configMap('settings'), 'apps/web/other.yaml': configMap('other') });
    const base = r.commit('base');
    r.write({
      // A typo beside the broken file: it must still be validated.
      'apps/web/svc.yaml': service('web').replace('    - port: 80', '    - prot: 80'),
      'apps/web/cm.yaml': broken,
      'apps/web/other.yaml': configMap('other').replace('k: v', 'k: w'),
    });
    const head = r.commit('head');
    const web = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web');
    expect(web.status).toBe('error');
    expect(web.findings.find((f) => f.rule === 'yaml-error')).toMatchObject({ file: 'apps/web/cm.yaml', line: 7 });
    const typos = web.findings.filter((f) => f.file === 'apps/web/svc.yaml' && f.severity === 'error');
    expect(typos.map((f) => f.message).join('\n')).toMatch(/prot|"port"/);
    expect(changesOf(web).sort()).toEqual(['changed ConfigMap/other', 'changed Service/web']);
    expect(web.changes.find((c) => c.kind === 'Service')!.diff).toMatch(/^\+\s+- prot: 80$/m);
    expect(web.findings.find((f) => f.rule === 'diff-incomplete')).toMatchObject({ severity: 'info', file: 'apps/web/cm.yaml' });
    expect(web.findings.find((f) => f.rule === 'diff-incomplete')!.message).toMatch(/at head/);
  });

  it('a file broken at base and fixed at head is left out, not shown as added', async () => {
    const r = repo({ 'apps/web/cm.yaml': broken, 'apps/web/other.yaml': configMap('other') });
    const base = r.commit('base');
    r.write({ 'apps/web/cm.yaml': configMap('settings'), 'apps/web/other.yaml': configMap('other').replace('k: v', 'k: w') });
    const head = r.commit('fix');
    const web = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web');
    expect(web.status).toBe('rendered');
    expect(changesOf(web)).toEqual(['changed ConfigMap/other']);
    expect(web.findings.map((f) => `${f.rule} ${f.file}`)).toEqual(['diff-incomplete apps/web/cm.yaml']);
    expect(web.findings[0]!.message).toMatch(/at the base commit/);
  });
});

describe('an app whose renderer changes between base and head', () => {
  it('plain → Kustomize: each side renders with its own renderer, so removals show', async () => {
    const r = repo({ 'apps/web/deployment.yaml': deployment('web'), 'apps/web/svc.yaml': service('web') });
    const base = r.commit('plain');
    r.write({
      'apps/web/kustomization.yaml': kustomization('resources:\n  - deployment.yaml\n'),
      'apps/web/deployment.yaml': deployment('web', { image: 'nginx:1.27.1' }),
    });
    const head = r.commit('kustomize');
    const web = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web');
    expect(web).toMatchObject({ renderer: 'kustomize', status: 'rendered' });
    expect(changesOf(web)).toEqual(['changed Deployment/web', 'removed Service/web']);
    expect(web.changes[0]!.diff).toMatch(/^\+\s+- image: nginx:1\.27\.1$/m);
  });

  it('Kustomize → plain: the Kustomize output at base is diffed against the plain files at head', async () => {
    const r = repo({
      'apps/web/kustomization.yaml': kustomization('namePrefix: p-\nresources:\n  - deployment.yaml\n  - svc.yaml\n'),
      'apps/web/deployment.yaml': deployment('web'),
      'apps/web/svc.yaml': service('web'),
    });
    const base = r.commit('kustomize');
    r.remove('apps/web/kustomization.yaml');
    const head = r.commit('plain');
    const web = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web');
    expect(web).toMatchObject({ renderer: 'plain', status: 'rendered' });
    expect(changesOf(web)).toEqual(['removed Deployment/p-web', 'added Deployment/web', 'removed Service/p-web', 'added Service/web']);
  });

  it('plain → Helm: the chart output is diffed against the plain files it replaces', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': `${CONFIG}render:\n  helm: ${TEST_HELM}\n`,
      'apps/web/cm.yaml': configMap('settings'),
      'apps/web/svc.yaml': service('web'),
    });
    const base = r.commit('plain');
    r.remove('apps/web/cm.yaml', 'apps/web/svc.yaml');
    r.write({
      'apps/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'apps/web/templates/cm.yaml': configMap('settings').replace('k: v', 'k: {{ .Values.k }}'),
      'apps/web/values.yaml': 'k: w\n',
    });
    const head = r.commit('helm');
    const web = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web');
    expect(web).toMatchObject({ renderer: 'helm', status: 'rendered' });
    expect(changesOf(web)).toEqual(['changed ConfigMap/settings', 'removed Service/web']);
    expect(web.changes[0]!.diff).toMatch(/^-\s+k: v\n\+\s+k: w$/m);
  });
});

describe('a resource defined twice in one app', () => {
  it('a change to either definition shows, beside the duplicate-resource finding', async () => {
    const r = repo({ 'apps/web/a.yaml': configMap('settings'), 'apps/web/b.yaml': configMap('settings') });
    const base = r.commit('twice');
    r.write({ 'apps/web/b.yaml': configMap('settings').replace('k: v', 'k: changed') });
    const head = r.commit('edit the second');
    const web = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web');
    expect(web.findings.some((f) => f.rule === 'duplicate-resource')).toBe(true);
    expect(changesOf(web)).toEqual(['changed ConfigMap/settings']);
    expect(web.changes[0]!.diff).toMatch(/^-\s+k: v\n\+\s+k: changed$/m);
    expect(web.changes[0]!.note).toMatch(/^definition 2 of 2 /);
  });
});

describe('Helm output with a repeated key', () => {
  it('is diffed and validated with the last value, and a duplicate-key finding names the key and line', async () => {
    const template = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cfg\n  labels:\n    app: web\n    app: shop\ndata:\n  k: {{ .Values.k }}\n';
    const r = new TestRepo().write({
      '.github/ferry.yml': `${CONFIG}render:\n  helm: ${TEST_HELM}\n`,
      'apps/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'apps/web/templates/cm.yaml': template,
      'apps/web/values.yaml': 'k: a\n',
    });
    const base = r.commit('chart');
    r.write({ 'apps/web/values.yaml': 'k: b\n' });
    const head = r.commit('values');
    const web = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web');
    expect(web.status).toBe('rendered');
    expect(changesOf(web)).toEqual(['changed ConfigMap/web-cfg']);
    expect(web.changes[0]!.diff).toMatch(/^-\s+k: a\n\+\s+k: b$/m);
    const warning = web.findings.find((f) => f.rule === 'duplicate-key')!;
    // An error: `strict` is the default, as kubectl's strict field validation is.
    expect(warning).toMatchObject({ severity: 'error', file: 'apps/web/templates/cm.yaml' });
    // Line 1 is helm's `# Source:` comment, so the repeated key is on line 8.
    expect(warning.message).toMatch(/repeats the key "app" .*line 8 of cm\.yaml/);
  });
});

describe('Helm output that differs on every render', () => {
  const chart = {
    'apps/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
    'apps/web/values.yaml': 'k: a\n',
    'apps/web/templates/cm.yaml': configMap('{{ .Release.Name }}-cfg').replace('k: v', 'k: {{ .Values.k }}'),
    'apps/web/templates/tests.yaml': `{{- range $i := until 3 }}
---
apiVersion: v1
kind: Pod
metadata:
  name: {{ $.Release.Name }}-test{{ $i }}-{{ randAlphaNum 5 | lower }}
  annotations:
    helm.sh/hook: test
spec:
  restartPolicy: Never
  containers:
    - name: wget
      image: busybox:1.36
      args: [wget, {{ $.Release.Name }}-cfg]
{{- end }}
`,
    'apps/web/templates/tls.yaml': `{{- $ca := genCA "web-ca" 365 }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-tls
type: Opaque
data:
  ca.crt: {{ $ca.Cert | b64enc }}
  ca.key: {{ $ca.Key | b64enc }}
`,
  };

  async function planWith(diffConfig: string) {
    const r = new TestRepo().write({ '.github/ferry.yml': `${CONFIG}render:\n  helm: ${TEST_HELM}\n${diffConfig}`, ...chart });
    const base = r.commit('chart');
    r.write({ 'apps/web/values.yaml': 'k: b\n' });
    const head = r.commit('values');
    return appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web');
  }

  it('test Pods named with randAlphaNum pair across renders instead of 3 added and 3 removed', async () => {
    const web = await planWith('');
    expect(web.status).toBe('rendered');
    expect(changesOf(web).filter((c) => c.includes('Pod/'))).toEqual([]);
    // Without an ignore rule, the regenerated CA is a change (values masked).
    expect(changesOf(web)).toEqual(['changed ConfigMap/web-cfg', 'changed Secret/web-tls']);
  });

  it('names made by a helper in _helpers.tpl (through include) pair too', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': `${CONFIG}render:\n  helm: ${TEST_HELM}\n`,
      'apps/web/Chart.yaml': chart['apps/web/Chart.yaml']!,
      'apps/web/values.yaml': 'k: a\n',
      'apps/web/templates/_helpers.tpl': '{{- define "web.testName" -}}{{ .Release.Name }}-probe-{{ randAlphaNum 6 | lower }}{{- end }}\n',
      'apps/web/templates/probe.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ include "web.testName" . }}\nspec:\n  containers:\n    - name: p\n      image: busybox:1.36\n      args: [echo, {{ .Values.k }}]\n',
    });
    const base = r.commit('chart');
    r.write({ 'apps/web/values.yaml': 'k: b\n' });
    const head = r.commit('values');
    const web = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web');
    expect(web.changes.map((c) => [c.action, c.kind, c.note ?? ''])).toEqual([['changed', 'Pod', expect.stringMatching(/generated suffix/)]]);
  });

  it('diff.ignore drops the generated certificate from both sides', async () => {
    const web = await planWith("diff:\n  ignore:\n    - kind: Secret\n      paths: ['/data/ca.crt', '/data/ca.key']\n");
    expect(changesOf(web)).toEqual(['changed ConfigMap/web-cfg']);
  });
});
