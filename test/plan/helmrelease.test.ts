/**
 * Flux HelmReleases expanded: a HelmRelease among an app's resources is rendered with
 * helm template as helm-controller installs it, and what it makes is diffed under it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import type { ChartFetcher, ChartRef } from '../../src/render/charts/types.js';
import { renderJson, renderMarkdown, renderText } from '../../src/report/plan.js';
import type { AppPlan, Plan } from '../../src/types.js';
import { releaseName } from '../../src/plan/helm-source.js';
import { CORPUS, hasCorpus, TEST_HELM } from '../helpers/bin.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { tarEntry } from '../helpers/tar.js';

const cacheDir = tempDir('ferry-cache-');
const CONFIG = `environments:\n  - name: staging\n    path: clusters/staging\nrender:\n  helm: ${TEST_HELM}\n`;

const CHART = {
  'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.2.3\n',
  'charts/web/values.yaml': 'replicas: 1\nimage: nginx:1.27.0\ngreeting: hello\ntoken: none\n',
  'charts/web/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  labels:
    app: web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: {{ .Values.image }}
          env:
            - name: TOKEN
              value: {{ .Values.token | quote }}
            - name: GREETING
              value: {{ .Values.greeting | quote }}
            - name: TOKEN_B64
              value: {{ .Values.token | b64enc | quote }}
`,
  'charts/web/templates/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-web
  namespace: {{ .Release.Namespace }}
spec:
  selector: { app: web }
  ports: [{ port: 80 }]
`,
  'charts/web/templates/tests/test.yaml': `apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations: { "helm.sh/hook": test }
spec:
  containers: [{ name: t, image: busybox }]
`,
};

function helmRelease(extra = '', opts: { name?: string; source?: string; chart?: string; namespace?: string } = {}): string {
  return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${opts.name ?? 'web'}
  namespace: ${opts.namespace ?? 'apps'}
spec:
  interval: 10m
  chart:
    spec:
      chart: ${opts.chart ?? './charts/web'}
      sourceRef:
        ${opts.source ?? 'kind: GitRepository\n        name: flux-system\n        namespace: flux-system'}
${extra}`;
}

/** A plain app in clusters/staging/web holding the HelmRelease (and what it needs). */
function files(release: string, more: Record<string, string> = {}): Record<string, string> {
  return { '.github/ferry.yml': CONFIG, ...CHART, 'clusters/staging/web/release.yaml': release, ...more };
}

const VALUES = '  values:\n    replicas: 2\n    greeting: hi\n';
const appOf = (p: Plan, name: string): AppPlan | undefined => {
  const a = p.environments[0]!.apps.find((x) => x.name === name);
  if (!a) console.log(JSON.stringify(p.environments[0]!.apps.map((x) => x.name)), JSON.stringify(p.findings));
  return a;
};

function plusLines(diff: string): Record<string, unknown> {
  return parse(diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).map((l) => l.slice(1)).join('\n')) as Record<string, unknown>;
}

/** A chart folder packaged with the real helm, served by a fetcher of the test's own. */
function packaged(dir: string): { file: string; digest: string } {
  const out = tempDir('ferry-chart-pkg-');
  execFileSync(TEST_HELM, ['package', dir, '-d', out], { encoding: 'utf8' });
  const file = path.join(out, readdirSync(out).find((f) => f.endsWith('.tgz'))!);
  const digest = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]!;
  return { file, digest };
}

function fetcher(served: Record<string, { file: string; digest: string; version: string }>, asked: ChartRef[] = []): ChartFetcher {
  return {
    async fetch(ref) {
      asked.push(ref);
      const hit = served[`${ref.repoUrl}|${ref.chart}`];
      return hit ? { ok: true, file: hit.file, digest: hit.digest, version: hit.version } : { ok: false, message: `chart ${ref.chart} not found in ${ref.repoUrl}` };
    },
  };
}

describe('a HelmRelease with an in-repo chart (GitRepository)', () => {
  it('shows a values change as the Deployment diff under the HelmRelease, and the HelmRelease change itself', async () => {
    const r = new TestRepo().write(files(helmRelease(VALUES)));
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/release.yaml': helmRelease(VALUES.replace('replicas: 2', 'replicas: 5')) });
    const head = r.commit('scale');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const app = appOf(p, 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    const byKind = new Map(app.changes.map((c) => [c.kind, c]));
    expect([...byKind.keys()].sort()).toEqual(['Deployment', 'HelmRelease']);
    const dep = byKind.get('Deployment')!;
    expect(dep.producer).toBe('HelmRelease/apps/web');
    expect(dep.name).toBe('web-web');
    expect(dep.diff).toMatch(/^-  replicas: 2$/m);
    expect(dep.diff).toMatch(/^\+  replicas: 5$/m);
    expect(byKind.get('HelmRelease')!.producer).toBeUndefined();
    // The reports say where the Deployment comes from; JSON carries the field.
    // In the release namespace, as helm installs it (the chart writes none).
    expect(renderText(p)).toContain('~ Deployment/apps/web-web (from HelmRelease/apps/web)');
    expect(renderMarkdown(p)).toMatch(/Deployment\/apps\/web-web`\*\* <sub>from HelmRelease\/apps\/web<\/sub>/);
    const json = JSON.parse(renderJson(p)) as { environments: { apps: { changes: { kind: string; producer?: string }[] }[] }[] };
    expect(json.environments[0]!.apps[0]!.changes.find((c) => c.kind === 'Deployment')!.producer).toBe('HelmRelease/apps/web');
  });

  it('equals helm template run by hand with the same chart, values, release and namespace (plus Flux\'s labels)', async () => {
    const extra = `  targetNamespace: web-prod\n${VALUES}`;
    const r = new TestRepo().write(files(''));
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': helmRelease(extra) });
    const head = r.commit('release');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    const produced = app.changes.filter((c) => c.producer).map((c) => plusLines(c.diff!));
    const valuesFile = path.join(tempDir('ferry-hand-'), 'v.yaml');
    writeFileSync(valuesFile, 'replicas: 2\ngreeting: hi\n');
    const hand = execFileSync(TEST_HELM, ['template', 'web-prod-web', path.join(r.dir, 'charts/web'), '--namespace', 'web-prod', '--skip-tests', '--include-crds', '--values', valuesFile], { encoding: 'utf8' });
    const expected = parseAllDocuments(hand).map((d) => d.toJS() as Record<string, unknown>).filter(Boolean);
    // helm installs the Deployment, written without a namespace, into the release namespace.
    const handDep = expected.find((o) => o.kind === 'Deployment')!.metadata as Record<string, unknown>;
    expect(handDep.namespace).toBeUndefined();
    handDep.namespace = 'web-prod';
    for (const o of produced) {
      const labels = (o.metadata as { labels: Record<string, string> }).labels;
      expect(labels['helm.toolkit.fluxcd.io/name']).toBe('web');
      expect(labels['helm.toolkit.fluxcd.io/namespace']).toBe('apps');
      delete labels['helm.toolkit.fluxcd.io/name'];
      delete labels['helm.toolkit.fluxcd.io/namespace'];
      if (Object.keys(labels).length === 0) delete (o.metadata as Record<string, unknown>).labels;
    }
    const key = (o: Record<string, unknown>) => `${String(o.kind)}/${String((o.metadata as { name: string }).name)}`;
    const sort = (xs: Record<string, unknown>[]) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sort(produced)).toEqual(sort(expected));
    // Not vacuous: the release name is `targetNamespace-name`, the test hook is left out.
    expect(produced.map(key).sort()).toEqual(['Deployment/web-prod-web-web', 'Service/web-prod-web-web']);
  });

  it('valuesFiles replace the chart\'s values.yaml, as source-controller packages them; a change to one plans the app', async () => {
    const vf = (list: string) => `      valuesFiles: [${list}]\n`;
    const withFiles = (list: string) => helmRelease('').replace('      sourceRef:', `${vf(list)}      sourceRef:`);
    const prod = { 'charts/web/values-prod.yaml': 'replicas: 3\nimage: nginx:prod\ntoken: prod\n' };
    const r = new TestRepo().write(files(withFiles('charts/web/values-prod.yaml'), prod));
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/release.yaml': withFiles('values.yaml, charts/web/values-prod.yaml') });
    const head = r.commit('defaults too');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    const dep = app.changes.find((c) => c.kind === 'Deployment')!.diff!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    // Without the chart's values.yaml, greeting is unset; listed first, it is back.
    expect(dep).toMatch(/^-\s+value: null$/m);
    expect(dep).toMatch(/^\+\s+value: hello$/m);
    expect(dep).toMatch(/^ +value: prod$/m);
    r.write({ 'charts/web/values-prod.yaml': 'replicas: 6\nimage: nginx:prod\ntoken: prod\n' });
    const next = r.commit('scale in the values file');
    const again = appOf(await plan({ repo: r.dir, base: head, head: next, cacheDir }), 'web')!;
    expect(again.changes.map((c) => c.kind)).toEqual(['Deployment']);
    expect(again.changes[0]!.diff).toMatch(/^\+  replicas: 6$/m);
  });

  it('applies kustomize postRenderers (patches, images) before Flux\'s labels', async () => {
    const post = `  postRenderers:
    - kustomize:
        patches:
          - target: { kind: Deployment }
            patch: |
              - op: add
                path: /metadata/annotations
                value: { patched: "yes" }
        images:
          - name: nginx
            newTag: "1.29.0"
`;
    const r = new TestRepo().write(files(''));
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/release.yaml': helmRelease(VALUES + post) });
    const head = r.commit('release');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    const dep = plusLines(app.changes.find((c) => c.kind === 'Deployment')!.diff!) as { metadata: { annotations: Record<string, string>; labels: Record<string, string> }; spec: { template: { spec: { containers: { image: string }[] } } } };
    expect(dep.metadata.annotations).toEqual({ patched: 'yes' });
    expect(dep.metadata.labels['helm.toolkit.fluxcd.io/name']).toBe('web');
    expect(dep.spec.template.spec.containers[0]!.image).toBe('nginx:1.29.0');
    const svc = plusLines(app.changes.find((c) => c.kind === 'Service')!.diff!) as { metadata: Record<string, unknown> };
    expect(svc.metadata.annotations).toBeUndefined();

    // A patch read from a file is not something Flux has: refused.
    r.write({ 'clusters/staging/web/release.yaml': helmRelease(VALUES + '  postRenderers:\n    - kustomize:\n        patches:\n          - path: ../../../../etc/passwd\n') });
    const bad = r.commit('patch from a file');
    const refused = appOf(await plan({ repo: r.dir, base: head, head: bad, cacheDir }), 'web')!;
    expect(refused.findings.find((f) => f.rule === 'render-refused')?.message).toMatch(/without an inline `patch`/);
  });

  it('a PR touching only a chart template plans the app and shows the diff', async () => {
    const r = new TestRepo().write(files(helmRelease(VALUES)));
    const base = r.commit('base');
    r.write({ 'charts/web/templates/service.yaml': CHART['charts/web/templates/service.yaml'].replace('port: 80', 'port: 8080') });
    const head = r.commit('port');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app).toBeDefined();
    expect(app.changes.map((c) => `${c.kind}/${c.name}`)).toEqual(['Service/web-web']);
    expect(app.changes[0]!.diff).toMatch(/^\+.*port: 8080/m);
  });

  it('a Kustomize app: a chart-only change reaches it through the reach index', async () => {
    const r = new TestRepo().write({
      ...files(''),
      'clusters/staging/web/release.yaml': helmRelease(VALUES),
      'clusters/staging/web/kustomization.yaml': 'resources:\n  - release.yaml\n',
    });
    const base = r.commit('base');
    r.write({ 'charts/web/values.yaml': CHART['charts/web/values.yaml'].replace('nginx:1.27.0', 'nginx:1.27.1') });
    const head = r.commit('image');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app?.renderer).toBe('kustomize');
    expect(app.changes.map((c) => `${c.kind}/${c.name}`)).toEqual(['Deployment/web-web']);
    expect(app.changes[0]!.diff).toMatch(/^\+.*image: nginx:1\.27\.1$/m);
  });
});

const CM = (greeting: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-values
  namespace: apps
data:
  values.yaml: |
    greeting: ${greeting}
    replicas: 3
`;
const SECRET = (token: string) => `apiVersion: v1
kind: Secret
metadata:
  name: web-secret
  namespace: apps
stringData:
  token: ${token}
`;
const VALUES_FROM = `  valuesFrom:
    - kind: ConfigMap
      name: web-values
    - kind: Secret
      name: web-secret
      valuesKey: token
      targetPath: token
  values:
    replicas: 4
`;

describe('valuesFrom', () => {
  const more = (greeting: string, token: string) => ({ 'infra/values/cm.yaml': CM(greeting), 'infra/values/secret.yaml': SECRET(token) });

  it('a ConfigMap-only change plans the app and diffs the Deployment; spec.values wins over it', async () => {
    const r = new TestRepo().write(files(helmRelease(VALUES_FROM), more('hello-cm', 'sup3r-s3cret-t0ken')));
    const base = r.commit('base');
    r.write({ 'infra/values/cm.yaml': CM('bonjour-cm').replace('replicas: 3', 'replicas: 7') });
    const head = r.commit('greeting');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app).toBeDefined();
    expect(app.changes.map((c) => c.kind)).toEqual(['Deployment']);
    expect(app.changes[0]!.diff).toMatch(/^-\s+value: hello-cm$/m);
    expect(app.changes[0]!.diff).toMatch(/^\+\s+value: bonjour-cm$/m);
    // spec.values sets replicas over the ConfigMap's: its change there changes nothing.
    expect(app.changes[0]!.diff).not.toMatch(/replicas/);
  });

  it('a Kustomize app: deleting a valuesFrom ConfigMap plans it (read at base), and its chart\'s output is unknown, not removed', async () => {
    const r = new TestRepo().write({
      ...files(helmRelease(VALUES_FROM), more('hello-cm', 'sup3r-s3cret-t0ken')),
      'clusters/staging/web/kustomization.yaml': 'resources:\n  - release.yaml\n',
    });
    const base = r.commit('base');
    r.remove('infra/values/cm.yaml');
    const head = r.commit('drop the values');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app?.renderer).toBe('kustomize');
    expect(app.findings.find((f) => f.rule === 'chart-unavailable')?.message).toMatch(/ConfigMap apps\/web-values is not defined in this repository/);
    expect(app.changes).toEqual([]);
  });

  it('a numeric Secret value set by targetPath is masked too, though helm types it as a number', async () => {
    // The Secret is not planned (unchanged): only the HelmRelease's own masking can hide it.
    // Its key sets greeting (the chart's b64enc of token needs a string).
    const release = helmRelease(VALUES_FROM.replace('targetPath: token', 'targetPath: greeting') + '    token: plain-token\n');
    const r = new TestRepo().write({ ...files(''), ...more('hello-cm', '"84729301"') });
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': release });
    const p = await plan({ repo: r.dir, base, head: r.commit('release'), cacheDir });
    const dep = appOf(p, 'web')!.changes.find((c) => c.kind === 'Deployment')?.diff ?? '';
    expect(dep).toMatch(/^\+\s+- name: GREETING\n\+\s+value: "?\(masked\)"?$/m);
    const outputs = [JSON.stringify(p), renderJson(p), renderMarkdown(p), renderText(p)].join('\n');
    for (const form of ['84729301', '8.4729301e+07']) expect(outputs).not.toContain(form);
  });

  it('a Secret integer a chart prints as a YAML number is masked, and the render cache on disk never holds it', async () => {
    // Attack: `port: {{ .Values.pin | int }}` parses as a number, not a string.
    const cache = tempDir('ferry-cache-');
    const release = helmRelease(VALUES_FROM.replace('targetPath: token', 'targetPath: pin') + '    token: plain-token\n');
    const r = new TestRepo().write({
      ...files(''), ...more('hello-cm', '"84729301"'),
      'charts/web/templates/pin.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: pin\nspec:\n  ports:\n    - port: {{ .Values.pin | int }}\n      targetPort: {{ .Values.pin }}\n',
    });
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': release });
    const p = await plan({ repo: r.dir, base, head: r.commit('release'), cacheDir: cache });
    const svc = appOf(p, 'web')!.changes.find((c) => c.kind === 'Service' && c.name === 'pin')?.diff ?? '';
    expect(svc).toMatch(/^\+\s+- port: "?\(masked\)"?$/m);
    const outputs = [JSON.stringify(p), renderJson(p), renderMarkdown(p), renderText(p)].join('\n');
    for (const form of ['84729301', '8.4729301e+07']) expect(outputs).not.toContain(form);
    const disk: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const q = path.join(d, e.name);
        if (e.isDirectory()) walk(q);
        else if (e.isFile()) disk.push(readFileSync(q, 'latin1'));
      }
    };
    walk(cache);
    expect(disk.join('\n')).not.toContain('84729301');
  });

  it('a Secret value that reads back as a number in another form (0123, 0x1A2B, 12.50) is masked in that form too', async () => {
    // Attack: printed unquoted, `0x1A2B` reads back as 6699, which is not the Secret's text;
    // `01234567` as octal 342391 (go-yaml's reading, which Ferry's parsers follow).
    for (const [secret, shown] of [['"0x1A2B"', '6699'], ['"0017501"', '17501'], ['"175012.50"', '175012.5'], ['"01234567"', '342391']] as const) {
      const release = helmRelease(VALUES_FROM.replace('targetPath: token', 'targetPath: pin') + '    token: plain-token\n');
      const r = new TestRepo().write({
        ...files(''), ...more('hello-cm', secret),
        'charts/web/templates/pin.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pin\ndata:\n  raw: {{ .Values.pin }}\n',
      });
      const base = r.commit('no release yet');
      r.write({ 'clusters/staging/web/release.yaml': release });
      const p = await plan({ repo: r.dir, base, head: r.commit('release'), cacheDir });
      const cm = appOf(p, 'web')!.changes.find((c) => c.kind === 'ConfigMap' && c.name === 'pin')?.diff ?? '';
      expect(cm, secret).toMatch(/^\+\s+raw: "?\(masked\)"?$/m);
      expect([JSON.stringify(p), renderMarkdown(p)].join('\n'), secret).not.toContain(shown);
    }
  });

  it('a Secret-sourced value appears nowhere: not in JSON, comment, text or findings, plain or base64', async () => {
    const r = new TestRepo().write(files(helmRelease(VALUES_FROM), more('hello-cm', 'sup3r-s3cret-t0ken')));
    const base = r.commit('base');
    r.write({ 'infra/values/secret.yaml': SECRET('n3w-s3cret-t0ken'), 'infra/values/cm.yaml': CM('bonjour-cm') });
    const head = r.commit('rotate');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const app = appOf(p, 'web')!;
    // Planned: the Secret is an input of the HelmRelease.
    expect(app).toBeDefined();
    const outputs = [JSON.stringify(p), renderJson(p), renderMarkdown(p), renderText(p)].join('\n');
    for (const secret of ['sup3r-s3cret-t0ken', 'n3w-s3cret-t0ken']) {
      expect(outputs).not.toContain(secret);
      expect(outputs).not.toContain(Buffer.from(secret).toString('base64'));
    }
    // The token is in the Deployment, masked (as written and base64 encoded).
    const dep = addedOrHead(app.changes.find((c) => c.kind === 'Deployment')?.diff ?? '');
    expect(dep).toMatch(/- name: TOKEN\n\s+value: \(masked\)\n\s+- name: GREETING\n\+\s+value: bonjour-cm\n\s+- name: TOKEN_B64\n\s+value: \(masked\)/);
  });
});

describe('Secret values through template functions', () => {
  const FX_CHART = {
    'charts/fx/Chart.yaml': 'apiVersion: v2\nname: fx\nversion: 0.1.0\n',
    'charts/fx/templates/cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: fx
data:
  upper: {{ .Values.pw | upper | quote }}
  lower: {{ .Values.pw | lower | quote }}
  trim: {{ .Values.padded | trim | quote }}
  trimUpper: {{ .Values.padded | trim | upper | quote }}
  quoted: {{ .Values.pw | quote }}
  squoted: {{ .Values.pw | squote }}
  b64: {{ .Values.pw | b64enc | quote }}
  b32: {{ .Values.pw | b32enc | quote }}
  sha256: {{ .Values.pw | sha256sum | quote }}
  sha1: {{ .Values.pw | sha1sum | quote }}
  json: {{ .Values.pwq | toJson | quote }}
  prefixed: {{ printf "user:%s" .Values.pw | quote }}
  part: {{ .Values.pw | trunc 6 | quote }}
  both: {{ printf "user:%s" .Values.pw | b64enc | quote }}
`,
  };
  const VALUES_YAML = 'pw: MixedCase-S3cret\npadded: "  padded-s3cret-value  "\npwq: "quo\\"ted\\\\s3cret"\n';
  const SECRET_FX = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: fx-secret\n  namespace: apps\nstringData:\n  values.yaml: |\n${VALUES_YAML.split('\n').filter(Boolean).map((l) => `    ${l}`).join('\n')}\n`;

  it('masks the forms a chart derives (upper, lower, trim, quote, toJson, b64enc, b32enc, sha1sum, sha256sum), as helm renders them; a part or an encoded concatenation is not recognised', async () => {
    const r = new TestRepo().write({ ...files(''), ...FX_CHART, 'clusters/staging/web/secret.yaml': SECRET_FX });
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': helmRelease('  valuesFrom:\n    - kind: Secret\n      name: fx-secret\n', { chart: './charts/fx' }) });
    const p = await plan({ repo: r.dir, base, head: r.commit('release'), cacheDir });
    const app = appOf(p, 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    const valuesFile = path.join(tempDir('ferry-hand-'), 'v.yaml');
    writeFileSync(valuesFile, VALUES_YAML);
    const hand = (parseAllDocuments(execFileSync(TEST_HELM, ['template', 'web', path.join(r.dir, 'charts/fx'), '--values', valuesFile], { encoding: 'utf8' })).map((d) => d.toJS()).find(Boolean) as { data: Record<string, string> }).data;
    // Not vacuous: helm made each form, and they differ from the secret as written.
    expect(hand.upper).toBe('MIXEDCASE-S3CRET');
    expect(hand.trim).toBe('padded-s3cret-value');
    expect(hand.json).toBe('"quo\\"ted\\\\s3cret"');
    expect(hand.sha256).toMatch(/^[0-9a-f]{64}$/);
    const data = (plusLines(app.changes.find((c) => c.kind === 'ConfigMap' && c.producer)!.diff!) as { data: Record<string, string> }).data;
    const outputs = [JSON.stringify(p), renderJson(p), renderMarkdown(p), renderText(p)].join('\n');
    for (const k of ['upper', 'lower', 'trim', 'trimUpper', 'quoted', 'squoted', 'b64', 'b32', 'sha256', 'sha1', 'json', 'prefixed']) {
      expect(data[k], k).toBe('(masked)');
      expect(outputs.includes(hand[k]!.replace(/^'|'$/g, '')), k).toBe(false);
    }
    // Documented limits: shown as helm renders them.
    expect(data.part).toBe(hand.part);
    expect(data.both).toBe(hand.both);
  });
});

describe('valuesFrom details', () => {
  const TP_CHART = {
    'charts/tp/Chart.yaml': 'apiVersion: v2\nname: tp\nversion: 0.1.0\n',
    'charts/tp/values.yaml': 'tp:\n  keep: chart\n',
    'charts/tp/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tp\ndata:\n  values: {{ toJson .Values | quote }}\n  printed: {{ printf "%v %v %v" .Values.tp.n .Values.tp.id .Values.tp.neg | quote }}\n',
  };
  const SETS: [string, string, string][] = [
    ['n', 'tp.n', '5'], ['b', 'tp.b', 'TRUE'], ['q', 'tp.q', "'007'"], ['z', 'tp.z', '0123'], ['nul', 'tp.nul', 'null'],
    ['esc', 'tp.esc', 'a\\,b'], ['list', 'tp.list', '{x,y,3}'], ['dot', 'tp.a\\.b', 'dot'], ['idx', 'tp.items[1].name', 'second'],
    ['big', 'tp.big', '99999999999999999999'], ['yes', 'tp.y', 'y'],
    // int64 as Flux sets them: printed as written, not as a values file's float (8.4729301e+07).
    ['id', 'tp.id', '84729301'], ['neg', 'tp.neg', '-9223372036854775808'], ['plus', 'tp.plus', '+7'],
    // A comma starts another assignment, as helm-controller hands `<targetPath>=<value>` to strvals.
    ['comma', 'tp.comma', 'first,tp.extra=2,tp.l[2]=z,tp.items[0].n=33554433'], ['lst', 'tp.lst', '{1,b}tp.after=x'],
  ];
  const cm = (name: string, data: Record<string, string>, ns = 'apps') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`).join('')}`;
  const from = (entries: string) => `  valuesFrom:\n${entries}  values:\n    other: 1\n`;
  const tpRelease = (entries: string) => helmRelease(from(entries), { chart: './charts/tp' });
  const rendered = (app: AppPlan) => JSON.parse(((plusLines(app.changes.find((c) => c.kind === 'ConfigMap' && c.producer)!.diff!) as { data: { values: string } }).data.values)) as unknown;

  it('targetPath sets one value as helm --set / --set-string does (types, quotes, escapes, lists, indexes); optional sources may be missing', async () => {
    const entries = SETS.map(([key, tp]) => `    - kind: ConfigMap\n      name: tp-values\n      valuesKey: ${key}\n      targetPath: ${JSON.stringify(tp)}\n`).join('')
      + '    - kind: ConfigMap\n      name: not-there\n      optional: true\n'
      + '    - kind: Secret\n      name: tp-values-secret\n      valuesKey: nope\n      optional: true\n      targetPath: tp.never\n';
    const r = new TestRepo().write({ ...files(''), ...TP_CHART, 'clusters/staging/web/values.yaml': cm('tp-values', Object.fromEntries(SETS.map(([k, , v]) => [k, v]))) });
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': tpRelease(entries) });
    const head = r.commit('release');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    expect(app.findings.filter((f) => f.rule === 'chart-unavailable')).toEqual([]);
    const args = SETS.flatMap(([, tp, v]) => (/^'.*'$/.test(v) ? ['--set-string', `${tp}=${v.slice(1, -1)}`] : ['--set', `${tp}=${v}`]));
    const hand = execFileSync(TEST_HELM, ['template', 'web', path.join(r.dir, 'charts/tp'), '--namespace', 'apps', ...args, '--set', 'other=1'], { encoding: 'utf8' });
    const expected = JSON.parse((parseAllDocuments(hand).map((d) => d.toJS() as { data: { values: string } }).find(Boolean)!).data.values) as { tp: Record<string, unknown> };
    // Not vacuous: helm typed these.
    expect(expected.tp).toMatchObject({ n: 5, b: true, q: '007', z: '0123', esc: 'a,b', list: ['x', 'y', 3], 'a.b': 'dot', items: [{ n: 33554433 }, { name: 'second' }], keep: 'chart', y: 'y' });
    expect(expected.tp).toMatchObject({ id: 84729301, plus: 7, comma: 'first', extra: 2, l: [null, null, 'z'], lst: [1, 'b'], after: 'x' });
    expect(rendered(app)).toEqual(expected);
    const printed = (o: unknown) => (o as { data: { printed: string } }).data.printed;
    const handPrinted = printed(parseAllDocuments(hand).map((d) => d.toJS()).find(Boolean));
    expect(handPrinted).toBe('5 84729301 -9223372036854775808');
    expect(printed(plusLines(app.changes.find((c) => c.kind === 'ConfigMap' && c.producer)!.diff!))).toBe(handPrinted);
  });

  it('a value helm-controller\'s parser fails on (a key after a comma without `=`) is not rendered: a warning says why, naming no Secret text', async () => {
    const r = new TestRepo().write({
      ...files(''), ...TP_CHART,
      'clusters/staging/web/values.yaml': cm('tp-values', { v: 'a,b' }),
      'clusters/staging/web/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: tp-secret\n  namespace: apps\nstringData:\n  v: "hunter2,s3cr3tpart"\n',
    });
    // Real helm's parser (the one helm-controller calls) refuses the same text.
    expect(() => execFileSync(TEST_HELM, ['template', 'web', path.join(r.dir, 'charts/tp'), '--set', 'tp.v=a,b'], { stdio: 'pipe' })).toThrow(/key "b" has no value/);
    const base = r.commit('no release yet');
    for (const [kind, name] of [['ConfigMap', 'tp-values'], ['Secret', 'tp-secret']]) {
      r.write({ 'clusters/staging/web/release.yaml': tpRelease(`    - kind: ${kind}\n      name: ${name}\n      valuesKey: v\n      targetPath: tp.v\n`) });
      const head = r.commit(`release from a ${kind}`);
      const p = await plan({ repo: r.dir, base, head, cacheDir });
      const app = appOf(p, 'web')!;
      expect(app.changes.map((c) => c.kind)).toEqual(['HelmRelease']);
      expect(app.findings.find((f) => f.rule === 'chart-unavailable')).toMatchObject({ severity: 'warning', message: expect.stringMatching(/targetPath "tp\.v": helm-controller fails this HelmRelease: helm's --set parser, which it hands `<targetPath>=<value>`, finds .* has no value/) });
      if (kind === 'ConfigMap') expect(JSON.stringify(app.findings)).toMatch(/key \\"b\\" has no value/);
      else expect(JSON.stringify(p)).not.toMatch(/hunter2|s3cr3tpart/);
    }
  });

  it('a targetPath `__proto__` renders as helm sets it; a bound only Ferry has is an error (the check fails), never a warning hiding the change', async () => {
    const pad = Array.from({ length: 10 }, (_, i) => `l${i}[65536]=x`).join(',');
    const manyKeys = Array.from({ length: 2100 }, (_, i) => `k${i}=v${i}xyz`).join(',');
    const r = new TestRepo().write({
      ...files(''), ...TP_CHART,
      'clusters/staging/web/values.yaml': cm('tp-values', { proto: '1,a.__proto__.b=2,constructor.prototype=3', pad: `x,${pad}`, big: 'x'.repeat(2 ** 20 + 1) }),
      'clusters/staging/web/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: many\n  namespace: apps\nstringData:\n  v: ${JSON.stringify(manyKeys)}\n`,
    });
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': tpRelease('    - kind: ConfigMap\n      name: tp-values\n      valuesKey: proto\n      targetPath: __proto__\n') });
    const app = appOf(await plan({ repo: r.dir, base, head: r.commit('proto'), cacheDir }), 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    const hand = execFileSync(TEST_HELM, ['template', 'web', path.join(r.dir, 'charts/tp'), '--namespace', 'apps', '--set', '__proto__=1,a.__proto__.b=2,constructor.prototype=3', '--set', 'other=1'], { encoding: 'utf8' });
    const expected = JSON.parse((parseAllDocuments(hand).map((d) => d.toJS() as { data: { values: string } }).find(Boolean)!).data.values) as Record<string, unknown>;
    expect(Object.keys(expected).sort()).toEqual(['__proto__', 'a', 'constructor', 'other', 'tp']);
    expect(rendered(app)).toEqual(expected);
    const cases: [string, RegExp][] = [
      ['    - kind: ConfigMap\n      name: tp-values\n      valuesKey: pad\n      targetPath: tp.p\n', /pad lists past .* past what Ferry renders/],
      ['    - kind: ConfigMap\n      name: tp-values\n      valuesKey: big\n      targetPath: tp.big\n', /key "big" is larger than 1 MiB/],
      ['    - kind: Secret\n      name: many\n      valuesKey: v\n      targetPath: tp.m\n', /more than 2000 distinct values, too many to mask safely/],
    ];
    for (const [entry, message] of cases) {
      r.write({ 'clusters/staging/web/release.yaml': tpRelease(entry) });
      const p = await plan({ repo: r.dir, base, head: r.commit('over a bound'), cacheDir });
      const a = appOf(p, 'web')!;
      expect(a.findings.filter((f) => f.rule === 'render-limit' || f.rule === 'chart-unavailable'), String(message)).toEqual([expect.objectContaining({ severity: 'error', rule: 'render-limit', message: expect.stringMatching(message) })]);
      expect(JSON.stringify(p)).not.toContain('v7xyz');
    }
  });

  it('integers whose --set arguments would pass 128 KiB stay in the values file, with a note (the OS limits a command line)', async () => {
    // 700 integers (under the count cap) with 200-character keys: 140 KB of arguments.
    const long = Array.from({ length: 700 }, (_, i) => `tp.${'k'.repeat(190)}${i}=${i}`).join(',');
    const r = new TestRepo().write({ ...files(''), ...TP_CHART, 'clusters/staging/web/values.yaml': cm('tp-values', { v: `84729301,${long}` }) });
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': tpRelease('    - kind: ConfigMap\n      name: tp-values\n      valuesKey: v\n      targetPath: tp.id\n') });
    const app = appOf(await plan({ repo: r.dir, base, head: r.commit('release'), cacheDir }), 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    expect(app.findings.filter((f) => f.rule === 'chart-unavailable')).toEqual([expect.objectContaining({ severity: 'info', message: expect.stringMatching(/128 KiB of arguments/) })]);
    const printed = (plusLines(app.changes.find((c) => c.kind === 'ConfigMap' && c.producer)!.diff!) as { data: { printed: string } }).data.printed;
    expect(printed).toBe('<nil> 8.4729301e+07 <nil>');
  });

  it('a targetPath the HelmRelease API refuses (a comma, a space) is said so, not rendered', async () => {
    const r = new TestRepo().write({ ...files(''), ...TP_CHART, 'clusters/staging/web/values.yaml': cm('tp-values', { v: 'x' }) });
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': tpRelease('    - kind: ConfigMap\n      name: tp-values\n      valuesKey: v\n      targetPath: "tp.v,other"\n') });
    const app = appOf(await plan({ repo: r.dir, base, head: r.commit('release'), cacheDir }), 'web')!;
    expect(app.changes.map((c) => c.kind)).toEqual(['HelmRelease']);
    expect(app.findings.find((f) => f.rule === 'chart-unavailable')?.message).toMatch(/targetPath "tp\.v,other" is not one the HelmRelease API accepts/);
  });

  it('a source defined twice with different data: the nearest definition is used and a warning names both; identical copies say nothing', async () => {
    const r = new TestRepo().write({ ...files(''), ...TP_CHART, 'clusters/staging/values/tp.yaml': cm('tp-values', { 'values.yaml': 'tp:\n  env: staging\n' }), 'clusters/production/values/tp.yaml': cm('tp-values', { 'values.yaml': 'tp:\n  env: production\n' }) });
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': tpRelease('    - kind: ConfigMap\n      name: tp-values\n') });
    const head = r.commit('release');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect((rendered(app) as { tp: unknown }).tp).toEqual({ keep: 'chart', env: 'staging' });
    const warned = app.findings.filter((f) => f.rule === 'chart-unavailable');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ severity: 'warning', message: expect.stringMatching(/ConfigMap apps\/tp-values is defined 2 times .*clusters\/production\/values\/tp\.yaml, clusters\/staging\/values\/tp\.yaml.*the one in clusters\/staging\/values\/tp\.yaml/) });

    r.write({ 'clusters/production/values/tp.yaml': cm('tp-values', { 'values.yaml': 'tp:\n  env: staging\n' }) });
    const same = r.commit('same data');
    const again = appOf(await plan({ repo: r.dir, base, head: same, cacheDir }), 'web')!;
    expect(again.findings.filter((f) => f.rule === 'chart-unavailable')).toEqual([]);
  });
});

describe('Secret-sourced values in the output', () => {
  it('are masked where they are, multi-line ones too, and nothing else: not apiVersions, names, ports or flags', async () => {
    const pem = ['-----BEGIN CERTIFICATE-----', 'MIIBszCCAVmgAwIBAgIUQ2hhcnRzQXJlTm90U2VjcmV0cw', 'c2VjcmV0LWNlcnQtbGluZS10d28tb2YtdGhyZWU', '-----END CERTIFICATE-----'];
    const secret = (user: string) => `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: apps
stringData:
  values.yaml: |
    db:
      user: ${user}
      short: app
      port: 5432
      enabled: true
      cert: |
${pem.map((l) => `        ${l}`).join('\n')}
`;
    const template = `{{- if .Values.db }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-db
data:
  user: {{ .Values.db.user | quote }}
  short: {{ .Values.db.short | quote }}
  url: "postgres://{{ .Values.db.user }}@db:{{ .Values.db.port }}/apps"
  port: {{ .Values.db.port | quote }}
  enabled: {{ .Values.db.enabled | quote }}
  note: "apps for the web app"
  cert: |
{{ .Values.db.cert | indent 4 }}
{{- end }}
`;
    const release = helmRelease(`  valuesFrom:\n    - kind: Secret\n      name: db\n`);
    const r = new TestRepo().write(files('', { 'charts/web/templates/db.yaml': template, 'infra/values/db.yaml': secret('reader-app') }));
    const empty = r.commit('no release yet');
    r.write(files(release));
    const base = r.commit('base');
    r.write({ 'infra/values/db.yaml': secret('writer-app') });
    const head = r.commit('rotate the user');
    for (const [from, to] of [[empty, base], [base, head]] as const) {
      const p = await plan({ repo: r.dir, base: from, head: to, cacheDir });
      const app = appOf(p, 'web')!;
      expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
      const outputs = [JSON.stringify(p), renderMarkdown(p), renderText(p)].join('\n');
      for (const l of [...pem.slice(1, 3), 'reader-app', 'writer-app']) expect(outputs).not.toContain(l);
      if (from === base) {
        // Every value the rotated user reaches is masked on both sides: nothing to show.
        expect(app.changes).toEqual([]);
        continue;
      }
      const cm = addedOrHead(app.changes.find((c) => c.kind === 'ConfigMap')!.diff!);
      expect(cm).toMatch(/user: \(masked\)/);
      expect(cm).toMatch(/short: \(masked\)/);
      expect(cm).toMatch(/url: \(masked\)/);
      expect(cm).toMatch(/cert: \(masked\)/);
      // Identity and ordinary values are untouched, though a secret is "app" and a port 5432.
      expect(cm).toMatch(/port: '5432'/);
      expect(cm).toMatch(/enabled: 'true'/);
      expect(cm).toMatch(/note: apps for the web app/);
      const dep = app.changes.find((c) => c.kind === 'Deployment')!;
      expect(dep.apiVersion).toBe('apps/v1');
      expect(dep.name).toBe('web-web');
    }
  });
});

/** Context and added lines of a diff (the head side). */
function addedOrHead(diff: string): string {
  return diff.split('\n').filter((l) => !l.startsWith('-')).join('\n');
}

describe('a HelmRepository chart', () => {
  const REPO_OBJ = `---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
  namespace: apps
spec:
  url: https://charts.example.invalid
`;
  const release = (v: string) => helmRelease(`  values:\n    replicas: ${v}\n`, { chart: 'web', source: 'kind: HelmRepository\n        name: charts' }) + REPO_OBJ;

  it('is fetched through the plan\'s chart fetcher, and its resources point at the HelmRelease', async () => {
    const r = new TestRepo().write(files(release('2')));
    const pkg = packaged(path.join(r.dir, 'charts/web'));
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/release.yaml': release('3') });
    const head = r.commit('scale');
    const asked: ChartRef[] = [];
    const p = await plan({ repo: r.dir, base, head, cacheDir, charts: fetcher({ 'https://charts.example.invalid|web': { ...pkg, version: '1.2.3' } }, asked) });
    const app = appOf(p, 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    expect(asked[0]).toEqual({ repoUrl: 'https://charts.example.invalid', chart: 'web', version: '*' });
    const dep = app.changes.find((c) => c.kind === 'Deployment')!;
    expect(dep.producer).toBe('HelmRelease/apps/web');
    expect(dep.diff).toMatch(/^\+  replicas: 3$/m);
    expect(app.findings.filter((f) => f.rule === 'chart-unavailable')).toEqual([]);
  });

  it.each([
    ['a fetch failure', fetcher({})],
    ['no fetcher', undefined],
  ])('%s: a chart-unavailable warning, the HelmRelease still diffed, the rest of the plan fine', async (_what, charts) => {
    const r = new TestRepo().write({ ...files(release('2')), 'clusters/staging/other/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  a: "1"\n' });
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/release.yaml': release('3'), 'clusters/staging/other/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  a: "2"\n' });
    const head = r.commit('scale');
    const p = await plan({ repo: r.dir, base, head, cacheDir, ...(charts ? { charts } : {}) });
    const app = appOf(p, 'web')!;
    expect(app.status).toBe('rendered');
    expect(app.changes.map((c) => c.kind)).toEqual(['HelmRelease']);
    const f = app.findings.filter((x) => x.rule === 'chart-unavailable');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', file: 'clusters/staging/web/release.yaml', resource: 'HelmRelease/apps/web' });
    expect(appOf(p, 'other')!.changes.map((c) => c.kind)).toEqual(['ConfigMap']);
  });
  it('valuesFiles of a fetched chart are read from its archive and replace its values.yaml, as source-controller packages it', async () => {
    const withFiles = (list: string, extra = '') => release('2').replace('      sourceRef:', `      valuesFiles: [${list}]\n${extra}      sourceRef:`).replace('    replicas: 2\n', '');
    const prod = 'replicas: 3\nimage: nginx:prod\ntoken: prod\n';
    const r = new TestRepo().write({ ...files(''), 'charts/web/values-prod.yaml': prod });
    const pkg = packaged(path.join(r.dir, 'charts/web'));
    r.remove('charts/web/values-prod.yaml');
    const none = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': withFiles('values.yaml, values-prod.yaml') });
    const both = r.commit('defaults and prod values');
    r.write({ 'clusters/staging/web/release.yaml': withFiles('values-prod.yaml') });
    const head = r.commit('prod values only');
    const charts = fetcher({ 'https://charts.example.invalid|web': { ...pkg, version: '1.2.3' } });
    const deployment = async (to: string) => {
      const app = appOf(await plan({ repo: r.dir, base: none, head: to, cacheDir, charts }), 'web')!;
      expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
      return withoutFluxLabels(plusLines(app.changes.find((c) => c.kind === 'Deployment')!.diff!), 'web', 'apps');
    };
    // Against helm template by hand: with values.yaml listed, the chart's defaults under
    // values-prod.yaml (helm -f); without, a chart whose values.yaml is values-prod.yaml.
    const hand = (args: string[], chart: string) => {
      const o = parseAllDocuments(execFileSync(TEST_HELM, ['template', 'web', chart, '--namespace', 'apps', '--skip-tests', ...args], { encoding: 'utf8' }))
        .map((d) => d.toJS() as Record<string, unknown>).find((x) => x?.kind === 'Deployment')!;
      (o.metadata as Record<string, unknown>).namespace = 'apps';
      return o;
    };
    const prodFile = path.join(tempDir('ferry-hand-'), 'values-prod.yaml');
    writeFileSync(prodFile, prod);
    const replaced = path.join(tempDir('ferry-hand-'), 'web');
    cpSync(path.join(r.dir, 'charts/web'), replaced, { recursive: true });
    writeFileSync(path.join(replaced, 'values.yaml'), prod);
    const withDefaults = hand(['-f', prodFile], pkg.file);
    const prodOnly = hand([], replaced);
    expect(await deployment(both)).toEqual(withDefaults);
    expect(await deployment(head)).toEqual(prodOnly);
    // Not vacuous: the chart's greeting is there only with its values.yaml.
    expect(JSON.stringify(withDefaults)).toContain('hello');
    expect(JSON.stringify(prodOnly)).not.toContain('hello');

    // A file the chart lacks: a warning, unless ignoreMissingValuesFiles.
    r.write({ 'clusters/staging/web/release.yaml': withFiles('values-prod.yaml, values-none.yaml') });
    const missing = r.commit('missing');
    const warned = appOf(await plan({ repo: r.dir, base: head, head: missing, cacheDir, charts }), 'web')!;
    expect(warned.findings.find((f) => f.rule === 'chart-unavailable')?.message).toMatch(/valuesFiles: values-none\.yaml does not exist in the chart/);
    r.write({ 'clusters/staging/web/release.yaml': withFiles('values-prod.yaml, values-none.yaml', '      ignoreMissingValuesFiles: true\n') });
    const ignored = r.commit('ignored');
    const fine = appOf(await plan({ repo: r.dir, base: head, head: ignored, cacheDir, charts }), 'web')!;
    expect(fine.status, JSON.stringify(fine.findings)).toBe('rendered');
    expect(fine.changes.map((c) => c.kind)).toEqual(['HelmRelease']);
  });

  it('an OCIRepository chartRef is fetched as oci://host/path with the last segment as the chart', async () => {
    const oci = (replicas: string) => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: apps
spec:
  chartRef:
    kind: OCIRepository
    name: web-chart
  values:
    replicas: ${replicas}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: web-chart
  namespace: apps
spec:
  url: oci://registry.example.invalid:5000/team/charts/web
  ref:
    semver: ">=1.0.0"
`;
    const r = new TestRepo().write(files(oci('2')));
    const pkg = packaged(path.join(r.dir, 'charts/web'));
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/release.yaml': oci('3') });
    const head = r.commit('scale');
    const asked: ChartRef[] = [];
    const p = await plan({ repo: r.dir, base, head, cacheDir, charts: fetcher({ 'oci://registry.example.invalid:5000/team/charts|web': { ...pkg, version: '1.2.3' } }, asked) });
    const app = appOf(p, 'web')!;
    expect(asked[0]).toEqual({ repoUrl: 'oci://registry.example.invalid:5000/team/charts', chart: 'web', version: '>=1.0.0' });
    expect(app.changes.find((c) => c.kind === 'Deployment')?.diff).toMatch(/^\+  replicas: 3$/m);

    // A tag that is not a version (or none: Flux pulls `latest`) is not resolved to some other chart.
    for (const ref of ['    tag: latest\n', '    tag: main\n', '']) {
      r.write({ 'clusters/staging/web/release.yaml': oci('4').replace('  ref:\n    semver: ">=1.0.0"\n', ref ? `  ref:\n${ref}` : '') });
      const tagged = r.commit(`tag ${ref}`);
      const asked2: ChartRef[] = [];
      const q = await plan({ repo: r.dir, base: head, head: tagged, cacheDir, charts: fetcher({ 'oci://registry.example.invalid:5000/team/charts|web': { ...pkg, version: '1.2.3' } }, asked2) });
      // Only the base side (its semver ref) was fetched.
      expect(asked2.map((a) => a.version)).toEqual(['>=1.0.0']);
      expect(appOf(q, 'web')!.findings.find((f) => f.rule === 'chart-unavailable')?.message).toMatch(/pulls the tag "(latest|main)", which is not a version/);
    }
  });

  it('an OCIRepository pinned by spec.ref.digest is fetched by that digest (it wins over semver, as in Flux); a Bucket source is a clear not-rendered-offline warning', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const ociRelease = (ref: string) => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: apps
spec:
  chartRef:
    kind: OCIRepository
    name: web-chart
  values:
    replicas: 5
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: web-chart
  namespace: apps
spec:
  url: oci://registry.example.invalid/team/web
  ref:
${ref}`;
    const r = new TestRepo().write(files(''));
    const pkg = packaged(path.join(r.dir, 'charts/web'));
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': ociRelease(`    semver: ">=1.0.0"\n    digest: ${digest}\n`) });
    const asked: ChartRef[] = [];
    const p = await plan({ repo: r.dir, base, head: r.commit('pinned'), cacheDir, charts: fetcher({ 'oci://registry.example.invalid/team|web': { ...pkg, version: digest } }, asked) });
    expect(asked).toEqual([{ repoUrl: 'oci://registry.example.invalid/team', chart: 'web', digest }]);
    const app = appOf(p, 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    expect(plusLines(app.changes.find((c) => c.kind === 'Deployment')!.diff!)).toMatchObject({ spec: { replicas: 5 } });
    r.write({ 'clusters/staging/web/release.yaml': ociRelease('    digest: sha1:abc\n') });
    const bad = appOf(await plan({ repo: r.dir, base, head: r.commit('not sha256'), cacheDir, charts: fetcher({}) }), 'web')!;
    expect(bad.findings.find((f) => f.rule === 'chart-unavailable')?.message).toMatch(/spec\.ref\.digest "sha1:abc" is not a sha256 digest/);

    const bucket = `---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\nmetadata:\n  name: charts\n  namespace: apps\nspec:\n  bucketName: charts\n  endpoint: s3.amazonaws.com\n`;
    r.write({ 'clusters/staging/web/release.yaml': helmRelease(VALUES, { source: 'kind: Bucket\n        name: charts' }) + bucket });
    const b = appOf(await plan({ repo: r.dir, base, head: r.commit('bucket'), cacheDir, charts: fetcher({}) }), 'web')!;
    expect(b.changes.map((c) => c.kind).sort()).toEqual(['Bucket', 'HelmRelease']);
    expect(b.findings.filter((f) => f.rule === 'chart-unavailable')).toEqual([expect.objectContaining({
      severity: 'warning', resource: 'HelmRelease/apps/web',
      message: expect.stringMatching(/chart source Bucket apps\/charts is not rendered offline: it is object storage .*; the HelmRelease object itself is still diffed/),
    })]);
  });

  it('a chart that renders at base but not at head: its resources are unknown at head, not removed', async () => {
    const r = new TestRepo().write(files(release('2')));
    const pkg = packaged(path.join(r.dir, 'charts/web'));
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/release.yaml': release('2').replace('charts.example.invalid', 'moved.example.invalid') });
    const head = r.commit('move the repository');
    const p = await plan({ repo: r.dir, base, head, cacheDir, charts: fetcher({ 'https://charts.example.invalid|web': { ...pkg, version: '1.2.3' } }) });
    const app = appOf(p, 'web')!;
    expect(app.changes.map((c) => `${c.action} ${c.kind}`)).toEqual(['changed HelmRepository']);
    expect(app.findings.map((f) => f.rule)).toContain('chart-unavailable');
  });
});

/** Flux's labels taken off a rendered object, checked first. */
function withoutFluxLabels(o: Record<string, unknown>, name: string, namespace: string): Record<string, unknown> {
  const meta = o.metadata as { labels: Record<string, string> };
  expect(meta.labels['helm.toolkit.fluxcd.io/name']).toBe(name);
  expect(meta.labels['helm.toolkit.fluxcd.io/namespace']).toBe(namespace);
  delete meta.labels['helm.toolkit.fluxcd.io/name'];
  delete meta.labels['helm.toolkit.fluxcd.io/namespace'];
  if (Object.keys(meta.labels).length === 0) delete (o.metadata as Record<string, unknown>).labels;
  return o;
}

const crd = (kind: string, scope: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${kind.toLowerCase()}s.example.com
spec:
  group: example.com
  scope: ${scope}
  names: { kind: ${kind}, plural: ${kind.toLowerCase()}s, singular: ${kind.toLowerCase()} }
  versions:
    - name: v1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
`;

/** A chart outside the repository: its CRDs are known only from its own output. */
function scopedChart(): string {
  const dir = path.join(tempDir('ferry-scoped-'), 'scoped');
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  mkdirSync(path.join(dir, 'crds'), { recursive: true });
  writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: scoped\nversion: 0.1.0\n');
  writeFileSync(path.join(dir, 'crds', 'widgets.yaml'), crd('Widget', 'Cluster'));
  writeFileSync(path.join(dir, 'templates', 'gadgets.yaml'), crd('Gadget', 'Namespaced'));
  writeFileSync(path.join(dir, 'templates', 'all.yaml'), [
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata: { a: "1" }\n',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: placed\n  namespace: elsewhere\ndata: { a: "1" }\n',
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n',
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: reader\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader }\nsubjects: []\n',
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n',
    'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\nprovisioner: example.com/fast\n',
    'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n',
    'apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n',
    'apiVersion: other.example.org/v1\nkind: Sprocket\nmetadata:\n  name: s\n',
  ].join('---\n'));
  return dir;
}

describe('the release namespace', () => {
  it('goes on namespaced objects without one, as helm installs them; cluster-scoped kinds (built in, or by the chart\'s CRDs) and placed objects stay as written', async () => {
    const chartDir = scopedChart();
    const pkg = packaged(chartDir);
    const REPO_OBJ = 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n  namespace: apps\nspec:\n  url: https://charts.example.invalid\n';
    const r = new TestRepo().write(files(''));
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': helmRelease('  targetNamespace: web-prod\n', { chart: 'scoped', source: 'kind: HelmRepository\n        name: charts' }) + '---\n' + REPO_OBJ });
    const head = r.commit('release');
    const p = await plan({ repo: r.dir, base, head, cacheDir, charts: fetcher({ 'https://charts.example.invalid|scoped': { ...pkg, version: '0.1.0' } }) });
    const app = appOf(p, 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    const made = app.changes.filter((c) => c.producer);
    expect(made.map((c) => `${c.kind}/${c.namespace ?? '-'}/${c.name}`).sort()).toEqual([
      'ClusterRole/-/reader', 'ConfigMap/elsewhere/placed', 'ConfigMap/web-prod/plain', 'CustomResourceDefinition/-/gadgets.example.com',
      'CustomResourceDefinition/-/widgets.example.com', 'Gadget/web-prod/g', 'Namespace/-/extra', 'RoleBinding/web-prod/reader',
      'Sprocket/-/s', 'StorageClass/-/fast', 'Widget/-/w',
    ]);
    // Exactly helm template's objects, with the namespace added where helm's install adds it.
    const hand = execFileSync(TEST_HELM, ['template', 'web-prod-web', chartDir, '--namespace', 'web-prod', '--skip-tests', '--include-crds'], { encoding: 'utf8' });
    const expected = parseAllDocuments(hand).map((d) => d.toJS() as Record<string, unknown>).filter(Boolean);
    for (const o of expected) {
      const meta = o.metadata as Record<string, unknown>;
      if (['ConfigMap/plain', 'RoleBinding/reader', 'Gadget/g'].includes(`${String(o.kind)}/${String(meta.name)}`)) {
        expect(meta.namespace).toBeUndefined();
        meta.namespace = 'web-prod';
      }
    }
    const key = (o: Record<string, unknown>) => `${String(o.kind)}/${String((o.metadata as { name: string }).name)}`;
    const sort = (xs: Record<string, unknown>[]) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sort(made.map((c) => withoutFluxLabels(plusLines(c.diff!), 'web', 'apps')))).toEqual(sort(expected));
    // A custom kind nothing describes is left as written, and said so.
    const notes = app.findings.filter((f) => f.severity === 'info' && /Sprocket/.test(f.message));
    expect(notes).toHaveLength(1);
    expect(notes[0]!.message).toMatch(/other\.example\.org\/v1 Sprocket: no CustomResourceDefinition .* shown without the release namespace web-prod/);
  });
});

describe('spec.commonMetadata', () => {
  it('puts its labels and annotations on every object helm makes, over the chart\'s, under Flux\'s own labels', async () => {
    const common = `  commonMetadata:
    labels: { team: payments, app: billing, helm.toolkit.fluxcd.io/name: not-this }
    annotations: { owner: "payments@example.com" }
`;
    const r = new TestRepo().write(files(''));
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': helmRelease(common + VALUES) });
    const head = r.commit('release');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    const made = app.changes.filter((c) => c.producer).map((c) => plusLines(c.diff!));
    const valuesFile = path.join(tempDir('ferry-hand-'), 'v.yaml');
    writeFileSync(valuesFile, 'replicas: 2\ngreeting: hi\n');
    const hand = execFileSync(TEST_HELM, ['template', 'web', path.join(r.dir, 'charts/web'), '--namespace', 'apps', '--skip-tests', '--include-crds', '--values', valuesFile], { encoding: 'utf8' });
    const expected = parseAllDocuments(hand).map((d) => d.toJS() as Record<string, unknown>).filter(Boolean);
    for (const o of expected) {
      const meta = o.metadata as Record<string, unknown>;
      meta.namespace ??= 'apps';
      meta.labels = { ...(meta.labels as Record<string, string> | undefined), team: 'payments', app: 'billing' };
      meta.annotations = { ...(meta.annotations as Record<string, string> | undefined), owner: 'payments@example.com' };
    }
    // Not vacuous: the chart's own `app: web` label is there to be overridden.
    expect(hand).toMatch(/^    app: web$/m);
    const key = (o: Record<string, unknown>) => `${String(o.kind)}/${String((o.metadata as { name: string }).name)}`;
    const sort = (xs: Record<string, unknown>[]) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
    // Flux's name label wins over commonMetadata's.
    expect(sort(made.map((o) => withoutFluxLabels(o, 'web', 'apps')))).toEqual(sort(expected));
    // Selectors and pod templates are not metadata: untouched.
    const dep = made.find((o) => o.kind === 'Deployment') as { spec: { selector: unknown; template: { metadata: unknown } } };
    expect(dep.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(dep.spec.template.metadata).toEqual({ labels: { app: 'web' } });
  });
});

const OP_CHART = {
  'charts/op/Chart.yaml': 'apiVersion: v2\nname: op\nversion: 0.1.0\n',
  'charts/op/crds/widgets.yaml': crd('Widget', 'Namespaced'),
  'charts/op/templates/crds/gadgets.yaml': crd('Gadget', 'Namespaced'),
  'charts/op/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: op\ndata: { a: "1" }\n',
};
const opRelease = (extra: string, apiVersion = 'helm.toolkit.fluxcd.io/v2') => helmRelease(extra, { chart: './charts/op' }).replace('helm.toolkit.fluxcd.io/v2', apiVersion);
const CRD_PATCH = `  commonMetadata:
    labels: { team: payments }
  postRenderers:
    - kustomize:
        patches:
          - target: { kind: CustomResourceDefinition }
            patch: |
              - op: add
                path: /metadata/annotations
                value: { patched: "yes" }
`;

describe('CRDs of a chart\'s crds/ folder', () => {
  const made = (app: AppPlan) => new Map(app.changes.filter((c) => c.producer).map((c) => [`${c.action} ${c.kind}/${c.name}`, plusLines(c.diff ?? '')]));
  const handCrd = (dir: string, name: string, crds: boolean) => {
    const out = execFileSync(TEST_HELM, ['template', 'web', path.join(dir, 'charts/op'), '--namespace', 'apps', ...(crds ? ['--include-crds'] : [])], { encoding: 'utf8' });
    return parseAllDocuments(out).map((d) => d.toJS() as Record<string, unknown>).filter((o) => o && (o.metadata as { name: string }).name === name);
  };

  it('are installed as helm-controller applies them: not post-rendered, with Flux\'s labels only; a templates/crds/ CRD is post-rendered', async () => {
    const r = new TestRepo().write({ ...files(''), ...OP_CHART });
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': opRelease(CRD_PATCH) });
    const head = r.commit('release');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    const objs = made(app);
    expect([...objs.keys()].sort()).toEqual(['added ConfigMap/op', 'added CustomResourceDefinition/gadgets.example.com', 'added CustomResourceDefinition/widgets.example.com']);
    // Exactly helm's CRD plus Flux's labels: no patch, no commonMetadata.
    expect(withoutFluxLabels(objs.get('added CustomResourceDefinition/widgets.example.com')!, 'web', 'apps')).toEqual(handCrd(r.dir, 'widgets.example.com', true)[0]);
    const gadget = objs.get('added CustomResourceDefinition/gadgets.example.com') as { metadata: { annotations: unknown; labels: Record<string, string> } };
    expect(gadget.metadata.annotations).toEqual({ patched: 'yes' });
    expect(gadget.metadata.labels.team).toBe('payments');
  });

  it('install.crds: Skip leaves them out (as helm template without --include-crds); the v2beta install.skipCRDs does too, a v2 one is not read', async () => {
    const r = new TestRepo().write({ ...files(''), ...OP_CHART });
    const base = r.commit('no release yet');
    const cases: [string, string, boolean][] = [
      ['  install:\n    crds: Skip\n', 'helm.toolkit.fluxcd.io/v2', false],
      ['  install:\n    crds: CreateReplace\n', 'helm.toolkit.fluxcd.io/v2', true],
      ['  install:\n    skipCRDs: true\n', 'helm.toolkit.fluxcd.io/v2beta1', false],
      ['  install:\n    skipCRDs: true\n    crds: Create\n', 'helm.toolkit.fluxcd.io/v2beta2', true],
      ['  install:\n    skipCRDs: true\n', 'helm.toolkit.fluxcd.io/v2', true],
    ];
    expect(handCrd(r.dir, 'widgets.example.com', false)).toEqual([]);
    for (const [extra, api, has] of cases) {
      r.write({ 'clusters/staging/web/release.yaml': opRelease(extra, api) });
      const head = r.commit(`${api} ${extra}`);
      const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
      expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
      const keys = [...made(app).keys()];
      expect(keys.includes('added CustomResourceDefinition/widgets.example.com'), `${api} ${extra}`).toBe(has);
      expect(keys).toContain('added CustomResourceDefinition/gadgets.example.com');
    }
  });

  it('on upgrade: an existing one is not updated unless upgrade.crds: CreateReplace, a new one is created unless Skip, none is deleted', async () => {
    const changed = crd('Widget', 'Namespaced').replace('singular: widget', 'singular: widget, shortNames: [wd]');
    const run = async (extra: string, edit: Record<string, string>, drop?: string) => {
      const r = new TestRepo().write({ ...files(opRelease(extra)), ...OP_CHART });
      const base = r.commit('installed');
      r.write(edit);
      if (drop) r.remove(drop);
      const head = r.commit('new chart');
      const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
      expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
      return { keys: [...made(app).keys()].sort(), notes: app.findings.filter((f) => f.severity === 'info' && /crds\/ folder/.test(f.message)).map((f) => f.message) };
    };
    const edit = { 'charts/op/crds/widgets.yaml': changed, 'charts/op/crds/sprockets.yaml': crd('Sprocket', 'Namespaced') };
    const create = await run('', edit);
    expect(create.keys).toEqual(['added CustomResourceDefinition/sprockets.example.com']);
    expect(create.notes).toEqual([expect.stringMatching(/widgets\.example\.com .*upgrade\.crds: Create does not update an existing CRD/)]);
    const replace = await run('  upgrade:\n    crds: CreateReplace\n', edit);
    expect(replace.keys).toEqual(['added CustomResourceDefinition/sprockets.example.com', 'changed CustomResourceDefinition/widgets.example.com']);
    expect(replace.notes).toEqual([]);
    const skip = await run('  upgrade:\n    crds: Skip\n', edit);
    expect(skip.keys).toEqual([]);
    expect(skip.notes).toHaveLength(2);
    const gone = await run('  upgrade:\n    crds: CreateReplace\n', {}, 'charts/op/crds/widgets.yaml');
    expect(gone.keys).toEqual([]);
    expect(gone.notes).toEqual([expect.stringMatching(/widgets\.example\.com .*never deletes a CRD/)]);
  });
});

describe('chart CRDs are the chart\'s crds/ files, never what a template prints', () => {
  const made = (app: AppPlan) => app.changes.filter((c) => c.producer).map((c) => `${c.action} ${c.kind}/${c.name}`).sort();
  const handNames = (dir: string, crds: boolean) => parseAllDocuments(execFileSync(TEST_HELM, ['template', 'web', dir, '--namespace', 'apps', ...(crds ? ['--include-crds'] : [])], { encoding: 'utf8' }))
    .map((d) => d.toJS() as { kind: string; metadata: { name: string } } | null).filter((o) => o !== null).map((o) => `${o.kind}/${o.metadata.name}`).sort();
  // A template that prints its own document separator and a crds/ Source comment, then a CRD:
  // to pass for one of the chart's, which install.crds / upgrade.crds would hide or freeze.
  const FORGED = {
    'charts/op/templates/forged.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: decoy\n---\n# Source: op/crds/evil.yaml\n${crd('Evil', 'Namespaced')}`,
    // A crds/ file of several documents: every one is the chart's.
    'charts/op/crds/pair.yaml': `${crd('Apple', 'Namespaced')}---\n${crd('Pear', 'Namespaced')}`,
  };

  it('install.crds: Skip hides exactly what helm leaves out without --include-crds: the forged CRD and the template\'s stay, all of a multi-document crds/ file goes', async () => {
    const r = new TestRepo().write({ ...files(''), ...OP_CHART, ...FORGED });
    const base = r.commit('no release yet');
    const skip = handNames(path.join(r.dir, 'charts/op'), false);
    // Not vacuous: helm's own output holds the forged CRD as a template's.
    expect(skip).toContain('CustomResourceDefinition/evils.example.com');
    expect(skip).not.toContain('CustomResourceDefinition/apples.example.com');
    r.write({ 'clusters/staging/web/release.yaml': opRelease('  install:\n    crds: Skip\n') });
    const app = appOf(await plan({ repo: r.dir, base, head: r.commit('skip'), cacheDir }), 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    const names = (xs: string[]) => xs.map((x) => x.replace(/^added /, '')).sort();
    expect(names(made(app))).toEqual(skip);
    r.write({ 'clusters/staging/web/release.yaml': opRelease('  commonMetadata:\n    labels: { team: payments }\n') });
    const all = appOf(await plan({ repo: r.dir, base, head: r.commit('create'), cacheDir }), 'web')!;
    const include = handNames(path.join(r.dir, 'charts/op'), true);
    expect(include).toEqual(expect.arrayContaining(['CustomResourceDefinition/apples.example.com', 'CustomResourceDefinition/pears.example.com']));
    expect(names(made(all))).toEqual(include);
    // helm-controller applies the crds/ files itself, without commonMetadata; templates get it.
    const team = (n: string) => (plusLines(all.changes.find((c) => c.name === n)!.diff!) as { metadata: { labels: Record<string, string> } }).metadata.labels.team;
    expect(['apples', 'pears', 'widgets', 'evils', 'gadgets'].map((n) => team(`${n}.example.com`))).toEqual([undefined, undefined, undefined, 'payments', 'payments']);
  });

  it('on upgrade with upgrade.crds: Skip, a forged CRD is created as a template\'s object; the chart\'s are left as installed', async () => {
    const r = new TestRepo().write({ ...files(opRelease('  upgrade:\n    crds: Skip\n  commonMetadata:\n    labels: { team: payments }\n')), ...OP_CHART });
    const base = r.commit('installed');
    r.write({ ...FORGED, 'charts/op/crds/widgets.yaml': crd('Widget', 'Namespaced').replace('singular: widget', 'singular: widget, shortNames: [wd]') });
    const app = appOf(await plan({ repo: r.dir, base, head: r.commit('new chart'), cacheDir }), 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    const changes = made(app);
    expect(changes).toContain('added CustomResourceDefinition/evils.example.com');
    expect(changes).toContain('added ConfigMap/decoy');
    // The chart's own: new ones not created, the changed one not updated (upgrade.crds: Skip).
    for (const n of ['apples', 'pears']) expect(changes).not.toContain(`added CustomResourceDefinition/${n}.example.com`);
    expect(changes).not.toContain('changed CustomResourceDefinition/widgets.example.com');
    expect(app.findings.map((f) => f.message)).toEqual(expect.arrayContaining([
      expect.stringMatching(/apples\.example\.com .*upgrade\.crds: Skip does not create it/),
      expect.stringMatching(/widgets\.example\.com .*does not update an existing CRD/),
    ]));
    // The forged one is a template's: commonMetadata goes on it, as helm-controller renders it.
    const evil = plusLines(app.changes.find((c) => c.name === 'evils.example.com')!.diff!) as { metadata: { labels: Record<string, string> } };
    expect(evil.metadata.labels.team).toBe('payments');
  });

  it('a fetched chart\'s crds/ files (and a packed subchart\'s) are read from its archive', async () => {
    const root = tempDir('ferry-crd-pkg-');
    const sub = path.join(root, 'sub');
    mkdirSync(path.join(sub, 'crds'), { recursive: true });
    writeFileSync(path.join(sub, 'Chart.yaml'), 'apiVersion: v2\nname: sub\nversion: 0.1.0\n');
    writeFileSync(path.join(sub, 'crds', 'bolts.yaml'), crd('Bolt', 'Namespaced'));
    const op = path.join(root, 'op');
    for (const [f, text] of Object.entries({ ...OP_CHART, ...FORGED })) {
      mkdirSync(path.dirname(path.join(root, f.replace('charts/', ''))), { recursive: true });
      writeFileSync(path.join(root, f.replace('charts/', '')), text);
    }
    mkdirSync(path.join(op, 'charts'), { recursive: true });
    execFileSync(TEST_HELM, ['package', sub, '-d', path.join(op, 'charts')]);
    // Packed with tar, not helm package (which unpacks subcharts): the subchart stays a .tgz inside.
    const file = path.join(root, 'op-0.1.0.tgz');
    execFileSync('tar', ['czf', file, '-C', root, 'op']);
    expect(execFileSync('tar', ['tzf', file], { encoding: 'utf8' })).toMatch(/^op\/charts\/sub-0\.1\.0\.tgz$/m);
    const pkg = { file, digest: execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]! };
    const REPO_OBJ = 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n  namespace: apps\nspec:\n  url: https://charts.example.invalid\n';
    const charts = fetcher({ 'https://charts.example.invalid|op': { ...pkg, version: '0.1.0' } });
    const r = new TestRepo().write(files(''));
    const base = r.commit('no release yet');
    const hand = (crds: boolean) => handNames(pkg.file, crds);
    expect(hand(true)).toContain('CustomResourceDefinition/bolts.example.com');
    for (const [extra, crds] of [['  install:\n    crds: Skip\n', false], ['', true]] as const) {
      r.write({ 'clusters/staging/web/release.yaml': helmRelease(`${extra}  commonMetadata:\n    labels: { team: payments }\n`, { chart: 'op', source: 'kind: HelmRepository\n        name: charts' }) + '---\n' + REPO_OBJ });
      const app = appOf(await plan({ repo: r.dir, base, head: r.commit(`fetched ${crds}`), cacheDir, charts }), 'web')!;
      expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
      expect(made(app).map((x) => x.replace(/^added /, ''))).toEqual(hand(crds));
      if (!crds) continue;
      // The packed subchart's and the root's crds/ files are the chart's: no commonMetadata.
      const team = (n: string) => (plusLines(app.changes.find((c) => c.name === n)!.diff!) as { metadata: { labels: Record<string, string> } }).metadata.labels.team;
      expect(['bolts', 'pears', 'evils'].map((n) => team(`${n}.example.com`))).toEqual([undefined, undefined, 'payments']);
    }
  });
});

describe('a packed subchart Ferry\'s tar reader cannot read, helm can', () => {
  const entry = tarEntry;
  const sub = (name: string, sum?: (n: number) => string) => gzipSync(Buffer.concat([
    entry('sub/Chart.yaml', 'apiVersion: v2\nname: sub\nversion: 0.1.0\n', sum),
    entry(name, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub-out\ndata:\n  k: v\n', sum),
    Buffer.alloc(1024),
  ]));
  const run = async (tgz: Buffer) => {
    const r = new TestRepo().write(files(helmRelease(VALUES)));
    const base = r.commit('base');
    r.write({ 'charts/web/values.yaml': CHART['charts/web/values.yaml'].replace('greeting: hello', 'greeting: EVIL'), 'charts/web/charts/sub.tgz': tgz });
    const head = r.commit('head');
    // helm loads the chart: Flux deploys it.
    expect(execFileSync(TEST_HELM, ['template', 'x', path.join(r.dir, 'charts/web')], { encoding: 'utf8' })).toContain('name: sub-out');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    expect(app.changes.find((c) => c.kind === 'ConfigMap' && c.name === 'sub-out')?.action, JSON.stringify(app.findings)).toBe('added');
    return app;
  };

  it('a name helm cleans (`sub/templates//cm.yaml`) is read as helm reads it: the release renders, nothing said', async () => {
    const app = await run(sub('sub/templates//cm.yaml'));
    expect(app.findings.filter((f) => f.rule === 'chart-unavailable')).toEqual([]);
  });

  it('a header Ferry refuses (a checksum written with a leading NUL, as Go reads it): the chart is taken as having no crds/ files, the PR\'s change is shown, an info note says why', async () => {
    const app = await run(sub('sub/templates/cm.yaml', (n) => '\0' + n.toString(8).padStart(6, '0') + ' '));
    const notes = app.findings.filter((f) => f.rule === 'chart-unavailable');
    expect(notes.map((f) => f.severity)).toEqual(['info']);
    expect(notes[0]!.message).toMatch(/crds\/ files cannot be read .*checksum/);
  });
});

describe('v2beta postRenderers', () => {
  it('patchesStrategicMerge and patchesJson6902 are applied as their controllers applied them', async () => {
    const old = `  postRenderers:
    - kustomize:
        patchesStrategicMerge:
          - apiVersion: apps/v1
            kind: Deployment
            metadata: { name: web-web }
            spec: { replicas: 9 }
        patchesJson6902:
          - target: { version: v1, kind: Service, name: web-web }
            patch:
              - { op: add, path: /metadata/annotations, value: { patched: "yes" } }
`;
    const r = new TestRepo().write(files(''));
    const base = r.commit('no release yet');
    r.write({ 'clusters/staging/web/release.yaml': helmRelease(VALUES + old).replace('helm.toolkit.fluxcd.io/v2', 'helm.toolkit.fluxcd.io/v2beta1') });
    const head = r.commit('release');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    const dep = plusLines(app.changes.find((c) => c.kind === 'Deployment')!.diff!) as { spec: { replicas: number; template: unknown } };
    expect(dep.spec.replicas).toBe(9);
    expect(dep.spec.template).toBeDefined();
    const svc = plusLines(app.changes.find((c) => c.kind === 'Service')!.diff!) as { metadata: { annotations: unknown } };
    expect(svc.metadata.annotations).toEqual({ patched: 'yes' });
  });
});

describe('release names', () => {
  it('are shortened past 53 characters as helm-controller does', () => {
    const long = 'a'.repeat(30);
    const name = releaseName(long, { targetNamespace: 'n'.repeat(30) });
    expect(name).toHaveLength(53);
    expect(name).toBe(`${'n'.repeat(30)}-${'a'.repeat(9)}-${createHash('sha256').update(`${'n'.repeat(30)}-${long}`).digest('hex').slice(0, 12)}`);
    expect(releaseName('web', { targetNamespace: 'prod' })).toBe('prod-web');
    expect(releaseName('web', { targetNamespace: 'prod', releaseName: 'mine' })).toBe('mine');
  });

  it('spec.releaseName names what the chart renders, end to end through plan(), over targetNamespace-name', async () => {
    const r = new TestRepo().write(files(''));
    const none = r.commit('no release yet');
    const release = (name: string) => helmRelease(`  releaseName: ${name}\n  targetNamespace: web-prod\n${VALUES}`);
    r.write({ 'clusters/staging/web/release.yaml': release('site') });
    const site = r.commit('release named site');
    const app = appOf(await plan({ repo: r.dir, base: none, head: site, cacheDir }), 'web')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    const produced = app.changes.filter((c) => c.producer === 'HelmRelease/apps/web');
    expect(produced.map((c) => `${c.action} ${c.kind}/${c.namespace}/${c.name}`).sort()).toEqual(['added Deployment/web-prod/site-web', 'added Service/web-prod/site-web']);
    // The name is the chart's `{{ .Release.Name }}-web`, inside the object too, not only in the label.
    expect((plusLines(produced.find((c) => c.kind === 'Deployment')!.diff!) as { metadata: { name: string } }).metadata.name).toBe('site-web');

    // Renaming the release replaces what it made.
    r.write({ 'clusters/staging/web/release.yaml': release('shop') });
    const shop = r.commit('renamed to shop');
    const renamed = appOf(await plan({ repo: r.dir, base: site, head: shop, cacheDir }), 'web')!;
    expect(renamed.changes.filter((c) => c.producer).map((c) => `${c.action} ${c.kind}/${c.name}`).sort()).toEqual([
      'added Deployment/shop-web', 'added Service/shop-web', 'removed Deployment/site-web', 'removed Service/site-web',
    ]);
  });
});

describe('hostile HelmReleases', () => {
  it('a chart path leaving the repository is refused', async () => {
    const r = new TestRepo().write(files(''));
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/release.yaml': helmRelease(VALUES, { chart: '../../../etc' }) });
    const head = r.commit('escape');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app.findings.find((f) => f.rule === 'path-escape')?.message).toMatch(/leaves the repository/);
    expect(app.changes.filter((c) => c.producer)).toEqual([]);
  });

  it('a chart folder behind a symlink leaving the repository is refused', async () => {
    const outside = tempDir('ferry-outside-');
    cpSync(path.join(CHART_DIR_SRC()), outside, { recursive: true });
    const r = new TestRepo().write(files(''));
    const base = r.commit('base');
    mkdirSync(path.join(r.dir, 'links'), { recursive: true });
    symlinkSync(outside, path.join(r.dir, 'links/web'));
    r.write({ 'clusters/staging/web/release.yaml': helmRelease(VALUES, { chart: './links/web' }) });
    const head = r.commit('escape by link');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app.findings.find((f) => f.rule === 'path-escape')?.message).toMatch(/leaves the repository/);
    expect(app.changes.filter((c) => c.producer)).toEqual([]);
  });

  it('a release name starting with - is refused, never passed to helm as a flag', async () => {
    const r = new TestRepo().write(files(''));
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/release.yaml': helmRelease(`  releaseName: "--post-renderer=/bin/sh"\n${VALUES}`) });
    const head = r.commit('flag');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app.findings.find((f) => f.rule === 'render-refused')?.message).toMatch(/not a valid Helm release name/);
    expect(app.changes.filter((c) => c.producer)).toEqual([]);
  });

  it('an alias bomb in spec.values is bounded: a finding, not memory', async () => {
    const bomb = ['  values:', '    a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) bomb.push(`    a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(',')}]`);
    const r = new TestRepo().write(files(''));
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/release.yaml': helmRelease(bomb.join('\n') + '\n') });
    const head = r.commit('bomb');
    const app = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
    expect(app.findings.some((f) => f.rule === 'yaml-error')).toBe(true);
    expect(app.changes.filter((c) => c.producer)).toEqual([]);
  });
});

let chartSrc: string | null = null;
function CHART_DIR_SRC(): string {
  if (!chartSrc) {
    chartSrc = tempDir('ferry-chart-src-');
    for (const [p, body] of Object.entries(CHART)) {
      const abs = path.join(chartSrc, p.replace(/^charts\/web\//, ''));
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, body);
    }
  }
  return chartSrc;
}

describe.skipIf(!hasCorpus('flux2-kustomize-helm-example'))('the flux2-kustomize-helm-example corpus with the podinfo chart', () => {
  it('staging renders podinfo\'s Deployment, Service and HTTPRoute with the staging values', async () => {
    const example = path.join(CORPUS, 'flux2-kustomize-helm-example');
    const r = new TestRepo();
    cpSync(example, r.dir, { recursive: true });
    const kfile = 'apps/base/podinfo/kustomization.yaml';
    const kustomization = readFile(path.join(example, kfile));
    r.write({ '.github/ferry.yml': `environments:\n  - name: staging\n    path: clusters/staging\nrender:\n  helm: ${TEST_HELM}\n`, [kfile]: kustomization.replace('  - release.yaml\n', '') });
    const before = r.commit('corpus without the release');
    r.write({ [kfile]: kustomization });
    const base = r.commit('corpus');
    r.write({ 'apps/staging/podinfo-values.yaml': readFile(path.join(example, 'apps/staging/podinfo-values.yaml')).replace('podinfo.staging', 'podinfo.staging.example') });
    const head = r.commit('hostname');
    const pkg = packaged(path.join(CORPUS, 'podinfo/charts/podinfo'));
    const asked: ChartRef[] = [];
    const charts = fetcher({ 'https://stefanprodan.github.io/podinfo|podinfo': { ...pkg, version: '6.14.1' } }, asked);
    const p = await plan({ repo: r.dir, base, head, cacheDir, charts });
    const app = appOf(p, 'flux-system/apps')!;
    expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
    expect(asked[0]).toEqual({ repoUrl: 'https://stefanprodan.github.io/podinfo', chart: 'podinfo', version: '>=1.0.0-alpha' });
    const kinds = app.changes.map((c) => `${c.action} ${c.kind}/${c.name}${c.producer ? ` < ${c.producer}` : ''}`);
    expect(kinds).toEqual(['changed HTTPRoute/podinfo < HelmRelease/podinfo/podinfo', 'changed HelmRelease/podinfo']);
    const route = app.changes.find((c) => c.kind === 'HTTPRoute')!.diff!;
    expect(route).toMatch(/^-\s+- podinfo\.staging$/m);
    expect(route).toMatch(/^\+\s+- podinfo\.staging\.example$/m);

    // The release added: podinfo's Deployment, Service and HTTPRoute, with the staging values.
    const added = appOf(await plan({ repo: r.dir, base: before, head: base, cacheDir, charts }), 'flux-system/apps')!;
    expect(added.status, JSON.stringify(added.findings)).toBe('rendered');
    const made = new Map(added.changes.filter((c) => c.producer === 'HelmRelease/podinfo/podinfo').map((c) => [`${c.action} ${c.kind}/${c.name}`, plusLines(c.diff!)]));
    for (const k of ['added Deployment/podinfo', 'added Service/podinfo', 'added HTTPRoute/podinfo', 'added Deployment/podinfo-redis', 'added Service/podinfo-redis']) expect(made.has(k), [...made.keys()].join(', ')).toBe(true);
    const hr = made.get('added HTTPRoute/podinfo') as { spec: { hostnames: string[] } };
    expect(hr.spec.hostnames).toEqual(['podinfo.staging']);
    const dep = made.get('added Deployment/podinfo') as { metadata: { labels: Record<string, string> }; spec: { template: { spec: { containers: { image: string }[] } } } };
    expect(dep.metadata.labels['helm.toolkit.fluxcd.io/name']).toBe('podinfo');
    expect(dep.spec.template.spec.containers[0]!.image).toMatch(/podinfo:6\.14\.1$/);
    expect(added.changes.some((c) => c.kind === 'HelmRelease' && c.action === 'added' && !c.producer)).toBe(true);
  });
});

function readFile(p: string): string {
  return execFileSync('cat', [p], { encoding: 'utf8' });
}
