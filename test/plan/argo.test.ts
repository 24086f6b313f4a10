/**
 * Argo CD Applications as apps: each source rendered as Argo CD renders it (directory,
 * kustomize, helm in the repository or from a Helm repository), with the Application's
 * own options and its destination namespace, and planned when a file it reads changes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import type { ChartFetcher } from '../../src/render/charts/types.js';
import type { Plan } from '../../src/types.js';
import { TEST_HELM } from '../helpers/bin.js';
import { deployment, service } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { addedObjects, appOf, argoApp, CHART, docs, normalized } from '../helpers/argo.js';

const cacheDir = tempDir('ferry-cache-');
const CONFIG = `environments:\n  - name: prod\n    path: argocd\nrender:\n  helm: ${TEST_HELM}\nvalidate:\n  kubernetesVersion: "1.31"\n`;
const REPO_URL = 'https://git.example.com/org/gitops.git';

function withNamespace(objs: Record<string, unknown>[], ns: string, clusterKinds: string[] = []): Record<string, unknown>[] {
  return objs.map((o) => {
    const meta = o.metadata as Record<string, unknown>;
    if (!meta.namespace && !clusterKinds.includes(String(o.kind))) meta.namespace = ns;
    return o;
  });
}

function helmByHand(dir: string, args: string[]): Record<string, unknown>[] {
  return docs(execFileSync(TEST_HELM, ['template', ...args], { cwd: dir, encoding: 'utf8' }));
}

function kustomize(dir: string): Record<string, unknown>[] {
  return docs(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }));
}

async function planAdded(files: Record<string, string>, added: Record<string, string>, extra: Partial<Parameters<typeof plan>[0]> = {}): Promise<{ p: Plan; r: TestRepo; base: string; head: string }> {
  const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, ...files });
  const base = r.commit('base');
  r.write(added);
  const head = r.commit('application');
  const p = await plan({ repo: r.dir, base, head, cacheDir, ...extra });
  return { p, r, base, head };
}

describe('directory sources', () => {
  const files = {
    'manifests/web/deployment.yaml': deployment('web'),
    'manifests/web/service.yaml': service('web'),
    'manifests/web/extra.json': JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-json' } }),
    'manifests/web/nested/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nested\n',
    'manifests/web/nested/skip.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: skipped\n',
    'manifests/web/nested/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n',
    'manifests/web/lib/main.jsonnet': '{ a: 1 }\n',
  };

  it('recurse, include and exclude (with {a,b}) pick the files; the destination namespace goes on namespaced resources only', async () => {
    const { p } = await planAdded(files, {
      'argocd/web.yaml': argoApp('web', `  source:
    repoURL: ${REPO_URL}
    path: manifests/web
    directory:
      recurse: true
      include: '{*.yaml,nested/*.yaml,*.jsonnet,*/*.jsonnet}'
      exclude: 'nested/skip*'
  destination:
    server: https://kubernetes.default.svc
    namespace: web-prod
`),
    });
    const app = appOf(p, 'argocd/web')!;
    expect(app).toBeDefined();
    expect(app.status).toBe('rendered');
    const objs = addedObjects(app);
    expect(objs.map((o) => `${String(o.kind)}/${String((o.metadata as Record<string, string>).namespace)}/${String((o.metadata as Record<string, string>).name)}`).sort()).toEqual([
      'ConfigMap/web-prod/nested', 'Deployment/web-prod/web', 'Namespace/undefined/web', 'Service/web-prod/web',
    ]);
    // JSON left out by include; jsonnet said, not rendered.
    expect(app.findings.some((f) => f.file === 'manifests/web/lib/main.jsonnet' && /not rendered \(jsonnet\)/.test(f.message))).toBe(true);
    expect(app.findings.some((f) => f.severity === 'info' && f.message.includes(`repoURL ${REPO_URL} is assumed to be this repository`))).toBe(true);
    // The folder is the Application's, not an app of its own.
    expect(p.environments[0]!.apps.map((a) => a.name)).not.toContain('manifests/web');
  });

  it('without recurse only the folder\'s own files; JSON manifests count', async () => {
    const { p } = await planAdded(files, {
      'argocd/web.yaml': argoApp('web', `  source:\n    repoURL: ${REPO_URL}\n    path: manifests/web\n  destination:\n    namespace: web-prod\n`),
    });
    const names = addedObjects(appOf(p, 'argocd/web')!).map((o) => (o.metadata as Record<string, string>).name).sort();
    expect(names).toEqual(['from-json', 'web', 'web']);
  });
});

describe('render.argo: false', () => {
  it('the folders Applications name are apps of their own, as before', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': 'environments:\n  - name: prod\nrender:\n  argo: false\n',
      'manifests/web/deployment.yaml': deployment('web'),
      'argocd/web.yaml': argoApp('web', `  source:\n    repoURL: ${REPO_URL}\n    path: manifests/web\n  destination:\n    namespace: web-prod\n`),
    });
    const base = r.commit('base');
    r.write({ 'manifests/web/deployment.yaml': deployment('web', { replicas: 2 }) });
    const head = r.commit('scale');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(p.environments[0]!.apps.map((a) => a.name)).toEqual(['manifests/web']);
    expect(p.environments[0]!.apps[0]!.changes.map((c) => `${c.action} ${c.kind}/${c.namespace}/${c.name}`)).toEqual(['changed Deployment/null/web']);
  });
});

describe('kustomize sources', () => {
  const files = {
    'apps/web/kustomization.yaml': 'resources:\n  - deployment.yaml\n  - service.yaml\n',
    'apps/web/deployment.yaml': deployment('web'),
    'apps/web/service.yaml': service('web'),
    'apps/web/components/ha/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: web\n      spec:\n        template:\n          metadata:\n            annotations: { ha: "true" }\n',
  };
  const SPEC = `  source:
    repoURL: ${REPO_URL}
    path: apps/web
    kustomize:
      namePrefix: pre-
      nameSuffix: -suf
      namespace: web-ns
      images:
        - nginx=ghcr.io/org/nginx:1.28.0
      commonLabels:
        team: platform
      commonAnnotations:
        owner: ops
      replicas:
        - name: web
          count: 4
      components:
        - components/ha
      patches:
        - target: { kind: Service }
          patch: '[{"op": "add", "path": "/spec/sessionAffinity", "value": "ClientIP"}]'
  destination:
    namespace: ignored-by-kustomize-namespace
`;

  it('renders the options as kustomize builds them, equal to kubectl kustomize of the same overlay', async () => {
    const { p, r } = await planAdded(files, { 'argocd/web.yaml': argoApp('web', SPEC) });
    const app = appOf(p, 'argocd/web')!;
    expect(app.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(app.status).toBe('rendered');
    const hand = tempDir('ferry-argo-hand-');
    cpSync(path.join(r.dir, 'apps'), path.join(hand, 'apps'), { recursive: true });
    mkdirSync(path.join(hand, 'overlay'));
    writeFileSync(path.join(hand, 'overlay/kustomization.yaml'), `resources: [../apps/web]
namePrefix: pre-
nameSuffix: -suf
namespace: web-ns
images: [{ name: nginx, newName: ghcr.io/org/nginx, newTag: "1.28.0" }]
commonLabels: { team: platform }
commonAnnotations: { owner: ops }
replicas: [{ name: web, count: 4 }]
components: [../apps/web/components/ha]
patches:
  - target: { kind: Service }
    patch: '[{"op": "add", "path": "/spec/sessionAffinity", "value": "ClientIP"}]'
`);
    expect(normalized(addedObjects(app))).toEqual(normalized(kustomize(path.join(hand, 'overlay'))));
    const dep = addedObjects(app).find((o) => o.kind === 'Deployment') as { metadata: { name: string; namespace: string }; spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } };
    expect(dep.metadata).toMatchObject({ name: 'pre-web-suf', namespace: 'web-ns' });
    expect(dep.spec.replicas).toBe(4);
    expect(dep.spec.template.spec.containers[0]!.image).toBe('ghcr.io/org/nginx:1.28.0');
  });

  it('a change to a file the kustomization reads plans the Application, named by it', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, ...files, 'argocd/web.yaml': argoApp('web', SPEC) });
    const base = r.commit('base');
    r.write({ 'apps/web/deployment.yaml': deployment('web', { image: 'nginx:1.27.1' }), 'apps/web/service.yaml': service('web').replace('port: 80', 'port: 81') });
    const head = r.commit('bump');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const app = appOf(p, 'argocd/web')!;
    // The Application's image override wins over the bumped image: only the Service changes, as Argo CD applies it.
    expect(app.changes.map((c) => `${c.action} ${c.kind}/${c.namespace}/${c.name}`)).toEqual(['changed Service/web-ns/pre-web-suf']);
    expect(app.changes[0]!.diff).toMatch(/^\+    - port: 81$/m);
  });
});

describe('helm sources in the repository', () => {
  it('valueFiles, values, parameters (forceString), release name, namespace, CRDs and kube version as helm template does', async () => {
    const { p, r } = await planAdded({ ...CHART, 'charts/web/values-prod.yaml': 'replicas: 3\ngreeting: prod\n' }, {
      'argocd/web.yaml': argoApp('web', `  source:
    repoURL: ${REPO_URL}
    path: charts/web
    helm:
      valueFiles: [values-prod.yaml, missing.yaml]
      ignoreMissingValueFiles: true
      values: |
        image: nginx:1.28.0
      parameters:
        - name: port
          value: "8080"
          forceString: true
        - name: greeting
          value: "from,param"
  destination:
    namespace: web-prod
`),
    });
    const app = appOf(p, 'argocd/web')!;
    expect(app.status).toBe('rendered');
    writeFileSync(path.join(r.dir, 'inline.yaml'), 'image: nginx:1.28.0\n');
    const expected = withNamespace(helmByHand(r.dir, [
      'web', 'charts/web', '--namespace', 'web-prod', '--include-crds', '--kube-version', '1.31',
      '--values', 'charts/web/values-prod.yaml', '--values', 'inline.yaml', '--set-string', 'port=8080', '--set', 'greeting=from\\,param',
    ]), 'web-prod', ['CustomResourceDefinition']);
    expect(normalized(addedObjects(app))).toEqual(normalized(expected));
    const cm = addedObjects(app).find((o) => o.kind === 'ConfigMap') as { metadata: { namespace: string }; data: Record<string, string> };
    expect(cm.data).toEqual({ greeting: 'from,param', port: '8080', kube: 'v1.31.0', namespace: 'web-prod' });
    expect(cm.metadata.namespace).toBe('web-prod');
    expect(addedObjects(app).map((o) => o.kind).sort()).toEqual(['ConfigMap', 'CustomResourceDefinition', 'Deployment']);
  });

  it('parameters reach helm as Argo CD passes them: lists, escaped commas, backslashes, last value per name, --set-string last', async () => {
    const params = `apiVersion: v1
kind: ConfigMap
metadata:
  name: params
data:
  list: {{ .Values.list | toJson | quote }}
  escaped: {{ .Values.escaped | quote }}
  path: {{ .Values.path | quote }}
`;
    const { p, r } = await planAdded({ ...CHART, 'charts/web/templates/params.yaml': params }, {
      'argocd/web.yaml': argoApp('web', `  source:
    repoURL: ${REPO_URL}
    path: charts/web
    helm:
      parameters:
        - { name: list, value: "first" }
        - { name: list, value: "{a,b}" }
        - { name: escaped, value: 'x\\,y,z' }
        - { name: path, value: 'C:\\dir' }
        - { name: port, value: "a,b", forceString: true }
        - { name: port, value: "9090" }
  destination:
    namespace: web-prod
`),
    });
    const app = appOf(p, 'argocd/web')!;
    expect(app.status).toBe('rendered');
    const data = (o: Record<string, unknown>[], name: string) => (o.find((x) => (x.metadata as { name: string }).name === name) as { data: Record<string, string> }).data;
    const objs = addedObjects(app);
    // What Argo CD's helm command line gives (util/helm/cmd.go, cleanSetParameters); helm
    // applies every --set before every --set-string, so forceString wins wherever it is listed.
    expect(data(objs, 'params')).toEqual({ list: '["a","b"]', escaped: 'x,y,z', path: 'C:dir' });
    expect(data(objs, 'web-config').port).toBe('a,b');
    const byHand = helmByHand(r.dir, [
      'web', 'charts/web', '--namespace', 'web-prod', '--include-crds', '--kube-version', '1.31',
      '--set', 'escaped=x\\,y\\,z', '--set', 'list={a,b}', '--set', 'path=C:\\dir', '--set', 'port=9090', '--set-string', 'port=a\\,b',
    ]);
    expect(data(byHand, 'params')).toEqual(data(objs, 'params'));
  });

  it('valuesObject wins over values; skipCrds leaves the CRDs out; releaseName is used', async () => {
    const { p } = await planAdded(CHART, {
      'argocd/web.yaml': argoApp('web', `  source:
    repoURL: ${REPO_URL}
    path: charts/web
    helm:
      releaseName: site
      skipCrds: true
      values: 'greeting: from-values'
      valuesObject:
        greeting: from-object
  destination:
    namespace: web-prod
`),
    });
    const objs = addedObjects(appOf(p, 'argocd/web')!);
    expect(objs.map((o) => `${String(o.kind)}/${String((o.metadata as Record<string, string>).name)}`).sort()).toEqual(['ConfigMap/site-config', 'Deployment/site']);
    expect((objs.find((o) => o.kind === 'ConfigMap') as { data: Record<string, string> }).data.greeting).toBe('from-object');
  });

  it('a PR editing only a chart template plans the Application and shows the Deployment diff', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': CONFIG, ...CHART,
      'argocd/web.yaml': argoApp('web', `  source:\n    repoURL: ${REPO_URL}\n    path: charts/web\n  destination:\n    namespace: web-prod\n`),
      'manifests/other/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n',
      'argocd/other.yaml': argoApp('other', `  source:\n    repoURL: ${REPO_URL}\n    path: manifests/other\n  destination:\n    namespace: other\n`),
    });
    const base = r.commit('base');
    const template = CHART['charts/web/templates/deployment.yaml'];
    const edited = template.replace('        - name: web\n', '        - name: web\n          args: ["--verbose"]\n');
    expect(edited).not.toBe(template);
    r.write({ 'charts/web/templates/deployment.yaml': edited });
    const head = r.commit('a template edit');
    expect(r.git('diff', '--name-only', base, head).trim()).toBe('charts/web/templates/deployment.yaml');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(p.environments[0]!.apps.map((a) => a.name)).toEqual(['argocd/web']);
    const app = appOf(p, 'argocd/web')!;
    expect(app.status).toBe('rendered');
    expect(app.changes.map((c) => `${c.action} ${c.kind}/${c.namespace}/${c.name}`)).toEqual(['changed Deployment/web-prod/web']);
    expect(app.changes[0]!.diff).toMatch(/^\+ {10}args:$/m);
    expect(app.changes[0]!.diff).toMatch(/^\+ {12}- '--verbose'$/m);
  });

  it('a missing value file without ignoreMissingValueFiles is an error', async () => {
    const { p } = await planAdded(CHART, {
      'argocd/web.yaml': argoApp('web', `  source:\n    repoURL: ${REPO_URL}\n    path: charts/web\n    helm:\n      valueFiles: [nope.yaml]\n`),
    });
    const app = appOf(p, 'argocd/web')!;
    expect(app.status).toBe('error');
    expect(app.findings.map((f) => f.message).join('\n')).toMatch(/charts\/web\/nope\.yaml does not exist/);
  });
});

const MULTI = (valuesPath: string) => `  sources:
    - repoURL: ${REPO_URL}
      path: charts/web
      helm:
        valueFiles: [${valuesPath}]
    - repoURL: ${REPO_URL}
      targetRevision: HEAD
      ref: values
  destination:
    namespace: web-prod
`;

describe('multiple sources', () => {
  it('a $values file from a ref source is read; a PR changing only that file plans the Application', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': CONFIG, ...CHART,
      'env/prod/web-values.yaml': 'replicas: 2\n',
      'argocd/web.yaml': argoApp('web', MULTI('$values/env/prod/web-values.yaml')),
    });
    const base = r.commit('base');
    r.write({ 'env/prod/web-values.yaml': 'replicas: 5\n' });
    const head = r.commit('scale');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const app = appOf(p, 'argocd/web')!;
    expect(app).toBeDefined();
    expect(app.changes.map((c) => `${c.action} ${c.kind}/${c.namespace}/${c.name}`)).toEqual(['changed Deployment/web-prod/web']);
    expect(app.changes[0]!.diff).toMatch(/^-  replicas: 2$/m);
    expect(app.changes[0]!.diff).toMatch(/^\+  replicas: 5$/m);
  });

  it('a chart from a Helm repository comes through the chart fetcher, with $values from this repository', async () => {
    const pkg = tempDir('ferry-argo-pkg-');
    const src = tempDir('ferry-argo-chart-');
    for (const [f, body] of Object.entries(CHART)) {
      mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
      writeFileSync(path.join(src, f), body);
    }
    execFileSync(TEST_HELM, ['package', path.join(src, 'charts/web'), '-d', pkg]);
    const tgz = path.join(pkg, readdirSync(pkg).find((f) => f.endsWith('.tgz'))!);
    const digest = createHash('sha256').update(readFileSync(tgz)).digest('hex');
    const asked: unknown[] = [];
    const charts: ChartFetcher = {
      fetch: async (ref) => {
        asked.push(ref);
        return ref.chart === 'web' ? { ok: true, file: tgz, version: '0.1.0', digest } : { ok: false, message: `chart ${ref.chart} not found in the index` };
      },
    };
    const spec = (chart: string) => `  sources:
    - repoURL: https://charts.example.com/stable
      chart: ${chart}
      targetRevision: 0.1.0
      helm:
        valueFiles: [$values/env/prod/web-values.yaml]
    - repoURL: ${REPO_URL}
      ref: values
  destination:
    namespace: web-prod
`;
    const { p, r } = await planAdded({ ...CHART, 'env/prod/web-values.yaml': 'replicas: 2\n' }, {
      'argocd/web.yaml': argoApp('web', spec('web')),
      'argocd/gone.yaml': argoApp('gone', spec('gone')),
      'argocd/local.yaml': argoApp('local', `  source:\n    repoURL: ${REPO_URL}\n    path: charts/web\n  destination:\n    namespace: local\n`),
    }, { charts });
    expect(asked).toContainEqual({ repoUrl: 'https://charts.example.com/stable', chart: 'web', version: '0.1.0' });
    const app = appOf(p, 'argocd/web')!;
    expect(app.status).toBe('rendered');
    const expected = withNamespace(helmByHand(r.dir, ['web', 'charts/web', '--namespace', 'web-prod', '--include-crds', '--kube-version', '1.31', '--values', 'env/prod/web-values.yaml']), 'web-prod', ['CustomResourceDefinition']);
    expect(normalized(addedObjects(app))).toEqual(normalized(expected));
    // The chart that cannot be fetched: a warning on its app, nothing shown as removed, the rest renders.
    const gone = appOf(p, 'argocd/gone')!;
    expect(gone.status).toBe('skipped');
    expect(gone.changes).toEqual([]);
    expect(gone.findings.filter((f) => f.rule === 'chart-unavailable').map((f) => f.severity)).toEqual(['warning']);
    expect(gone.findings.find((f) => f.rule === 'chart-unavailable')!.message).toMatch(/not found in the index/);
    expect(appOf(p, 'argocd/local')!.status).toBe('rendered');
  });

  it('without a chart fetcher, a chart from a Helm repository is chart-unavailable', async () => {
    const { p } = await planAdded(CHART, {
      'argocd/web.yaml': argoApp('web', `  source:\n    repoURL: registry.example.com/charts\n    chart: web\n    targetRevision: 1.0.0\n`),
    });
    const app = appOf(p, 'argocd/web')!;
    expect(app.status).toBe('skipped');
    expect(app.findings.find((f) => f.rule === 'chart-unavailable')!.message).toMatch(/oci:\/\/registry\.example\.com\/charts/);
  });
});

describe('hostile Applications', () => {
  it('a path or a values file leaving the repository, or a symlink out, is refused and nothing outside is read', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, ...CHART });
    const base = r.commit('base');
    symlinkSync('/etc', path.join(r.dir, 'etc-link'));
    symlinkSync('/etc/passwd', path.join(r.dir, 'charts/web/passwd.yaml'));
    r.write({
      'argocd/up.yaml': argoApp('up', `  source:\n    repoURL: ${REPO_URL}\n    path: ../../etc\n`),
      'argocd/values.yaml': argoApp('values', `  source:\n    repoURL: ${REPO_URL}\n    path: charts/web\n    helm:\n      valueFiles: [../../../../etc/passwd]\n`),
      'argocd/link.yaml': argoApp('link', `  source:\n    repoURL: ${REPO_URL}\n    path: etc-link\n`),
      'argocd/linked-values.yaml': argoApp('linked-values', `  source:\n    repoURL: ${REPO_URL}\n    path: charts/web\n    helm:\n      valueFiles: [passwd.yaml]\n`),
    });
    const head = r.commit('hostile');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    for (const name of ['argocd/up', 'argocd/values', 'argocd/link', 'argocd/linked-values']) {
      const app = appOf(p, name)!;
      expect(app, name).toBeDefined();
      expect(app.status, name).toBe('error');
      expect(app.findings.some((f) => f.rule === 'path-escape' && f.severity === 'error'), name).toBe(true);
      expect(app.changes, name).toEqual([]);
    }
    expect(JSON.stringify(p)).not.toMatch(/root:x:0:0/);
  });
});

describe('Application identity across commits', () => {
  it('an Application of the same name added in another folder leaves the first one unchanged, not removed and added', async () => {
    const src = (p: string) => `  source:\n    repoURL: ${REPO_URL}\n    path: ${p}\n  destination:\n    namespace: web\n`;
    const r = new TestRepo().write({
      '.github/ferry.yml': CONFIG,
      'apps/a/deployment.yaml': deployment('web'),
      'apps/b/deployment.yaml': deployment('web'),
      'argocd/cluster-a/web.yaml': argoApp('web', src('apps/a')),
    });
    const base = r.commit('base');
    r.write({ 'argocd/cluster-b/web.yaml': argoApp('web', src('apps/b')) });
    const head = r.commit('the same Application for cluster b');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const apps = p.environments[0]!.apps.filter((a) => a.changes.length).map((a) => `${a.name}: ${a.changes.map((c) => `${c.action} ${c.kind}/${c.name}`).join(', ')}`);
    // Only cluster b's Application is new (and the folder holding it lists the object); cluster a's renders the same as before.
    expect(apps).toEqual(['argocd/web (argocd/cluster-b): added Deployment/web', 'cluster-b: added Application/web']);
  });
});
