/**
 * Flux HelmReleases whose chart is in an OCI registry (an OCIRepository `chartRef`, and a
 * HelmRepository of `type: oci`), fetched from a loopback registry by the real fetcher,
 * compared whole with `helm template` of the same package and the same values.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { chartFetcher } from '../../src/render/charts/index.js';
import type { AppPlan, Plan } from '../../src/types.js';
import { TEST_HELM } from '../helpers/bin.js';
import { addedDocs, byIdentity, defaultNamespace, type Doc, helmTemplate, identities, withoutAdded } from '../helpers/equivalence.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { type PackagedChart, packageChart, podinfoChartDir, serveOciRegistry } from '../helpers/helm-repo.js';

// The cluster's version, which helm-controller gives helm: here the configured one, passed to helm by hand too.
const CONFIG = `environments:\n  - name: staging\n    path: clusters/staging\nrender:\n  helm: ${TEST_HELM}\nvalidate:\n  kubernetesVersion: "1.31"\n`;

/**
 * What helm-controller adds to every object of a release, and nothing else: the two labels
 * naming the HelmRelease (its post-renderer's). Checked for their values, then removed.
 */
const fluxLabels = (name: string, namespace: string) => ({ labels: { 'helm.toolkit.fluxcd.io/name': name, 'helm.toolkit.fluxcd.io/namespace': namespace } });

/**
 * The flags Ferry passes for a HelmRelease, each Flux's behaviour: test hooks are not part
 * of an install (`spec.test` runs them apart), and the chart's crds/ are installed
 * (`install.crds: Create`, the default).
 */
const FLUX_FLAGS = ['--skip-tests', '--include-crds', '--kube-version', '1.31'];

/**
 * A chart with its own crds/ (a CRD helm-controller applies itself), a custom resource of
 * that kind and a ConfigMap written without a namespace, a cluster-scoped ClusterRole, a
 * test hook, and the cluster's version in its output.
 */
function widgetsChart(): string {
  const dir = path.join(tempDir('ferry-chart-src-'), 'widgets');
  mkdirSync(path.join(dir, 'crds'), { recursive: true });
  mkdirSync(path.join(dir, 'templates', 'tests'), { recursive: true });
  const files: Record<string, string> = {
    'Chart.yaml': 'apiVersion: v2\nname: widgets\nversion: 0.1.0\n',
    'values.yaml': 'size: small\ncount: 1\n',
    'crds/widget.yaml': 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }\n  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true }\n',
    'templates/widget.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  size: {{ .Values.size }}\n  count: {{ .Values.count }}\n',
    'templates/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n  namespace: {{ .Release.Namespace | quote }}\n  size: {{ .Values.size | quote }}\n',
    'templates/clusterrole.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {{ .Release.Name }}-reader\nrules:\n  - apiGroups: [example.com]\n    resources: [widgets]\n    verbs: [get, list]\n',
    'templates/tests/test.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-test\n  annotations: { "helm.sh/hook": test }\nspec:\n  containers: [{ name: t, image: busybox }]\n',
  };
  for (const [rel, text] of Object.entries(files)) writeFileSync(path.join(dir, rel), text);
  return dir;
}

// Values given as the HelmRelease's spec.values over a valuesFrom ConfigMap, and the same values merged by hand.
const CM_VALUES = 'replicaCount: 2\nui:\n  message: from the ConfigMap\n  color: "#123456"\nredis:\n  enabled: true\n';
const RELEASE_VALUES = `    ui:
      message: from the HelmRelease
    redis:
      tag: 7.2.5
    podAnnotations:
      team: platform
    httpRoute:
      enabled: true
      parentRefs: [{ name: gw, namespace: gateways }]
      hostnames: [podinfo.example.com]
`;
const MERGED_VALUES = `replicaCount: 2
ui:
  message: from the HelmRelease
  color: "#123456"
redis:
  enabled: true
  tag: 7.2.5
podAnnotations:
  team: platform
httpRoute:
  enabled: true
  parentRefs: [{ name: gw, namespace: gateways }]
  hostnames: [podinfo.example.com]
`;

function releases(registry: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: podinfo-values
  namespace: apps
data:
  values.yaml: |
${CM_VALUES.replace(/^/gm, '    ').trimEnd()}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: podinfo-oci
  namespace: apps
spec:
  interval: 10m
  url: ${registry}/podinfo
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
  ref:
    semver: ">=6.0.0 <6.6.0"
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: from-ocirepo
  namespace: apps
spec:
  interval: 10m
  targetNamespace: web
  chartRef:
    kind: OCIRepository
    name: podinfo-oci
  valuesFrom:
    - kind: ConfigMap
      name: podinfo-values
  values:
${RELEASE_VALUES.trimEnd()}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
  namespace: apps
spec:
  interval: 10m
  type: oci
  url: ${registry}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: from-helmrepo
  namespace: apps
spec:
  interval: 10m
  chart:
    spec:
      chart: podinfo
      version: 6.6.x
      sourceRef:
        kind: HelmRepository
        name: charts
  valuesFrom:
    - kind: ConfigMap
      name: podinfo-values
  values:
${RELEASE_VALUES.trimEnd()}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: widgets
  namespace: apps
spec:
  interval: 10m
  url: ${registry}/widgets
  ref:
    tag: 0.3.0
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: widgets
  namespace: apps
spec:
  interval: 10m
  targetNamespace: tools
  releaseName: gadgets
  chartRef:
    kind: OCIRepository
    name: widgets
  values:
    size: large
    count: 3
`;
}

describe('HelmReleases of OCI charts equal helm template of the same package', () => {
  let charts: PackagedChart[];
  let registry: Awaited<ReturnType<typeof serveOciRegistry>>;
  let r: TestRepo;
  let p: Plan;
  let valuesFile: string;

  beforeAll(async () => {
    const dir = podinfoChartDir();
    charts = [...['6.5.0', '6.6.0', '7.0.0'].map((v) => packageChart(dir, v)), packageChart(widgetsChart(), '0.3.0')];
    registry = await serveOciRegistry(charts);
    r = new TestRepo().write({ '.github/ferry.yml': CONFIG, 'clusters/staging/web/keep.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n' });
    const base = r.commit('no releases');
    r.write({ 'clusters/staging/web/releases.yaml': releases(registry.url) });
    const head = r.commit('releases');
    const fetcher = chartFetcher({ cacheDir: tempDir('ferry-charts-'), timeoutMs: 30_000, maxChartBytes: 20 << 20, maxIndexBytes: 8 << 20, credentials: [], allowPrivateNetworks: true });
    p = await plan({ repo: r.dir, base, head, cacheDir: tempDir('ferry-cache-'), charts: fetcher });
    valuesFile = path.join(tempDir('ferry-hand-'), 'values.yaml');
    writeFileSync(valuesFile, MERGED_VALUES);
  });
  afterAll(async () => {
    await registry?.close();
    r?.cleanup();
  });

  const app = (): AppPlan => {
    const a = p.environments[0]!.apps.find((x) => x.name === 'web');
    if (!a) throw new Error(`no app web: ${JSON.stringify(p.environments[0]!.apps.map((x) => x.name))}`);
    expect(a.status, JSON.stringify(a.findings)).toBe('rendered');
    expect(a.findings.filter((f) => f.severity === 'error' || f.rule === 'chart-unavailable')).toEqual([]);
    return a;
  };
  const tgz = (version: string, name = 'podinfo') => charts.find((c) => c.name === name && c.version === version)!.file;

  it('an OCIRepository chartRef (semver range): every object of the release, as helm template renders 6.5.0', () => {
    const ferry = withoutAdded(addedDocs(app(), 'HelmRelease/apps/from-ocirepo'), fluxLabels('from-ocirepo', 'apps'));
    // Flux's release name is `<targetNamespace>-<name>`; namespaced objects land in the target namespace.
    const hand = defaultNamespace(helmTemplate(['web-from-ocirepo', tgz('6.5.0'), '-f', valuesFile, '--namespace', 'web', ...FLUX_FLAGS]), 'web');
    expect(byIdentity(ferry)).toEqual(byIdentity(hand));
    // Not vacuous: the release's objects, with the version the range picks and the merged values.
    expect(identities(ferry)).toContain('apps/v1|Deployment|web|web-from-ocirepo-podinfo-redis');
    const dep = ferry.find((o) => o.kind === 'Deployment' && (o.metadata as { name: string }).name === 'web-from-ocirepo-podinfo') as Doc & { spec: { replicas: number; template: { metadata: { annotations: Record<string, string> } } } };
    expect((dep.metadata as { labels: Record<string, string> }).labels['helm.sh/chart']).toBe('podinfo-6.5.0');
    expect(dep.spec.replicas).toBe(2);
    expect(dep.spec.template.metadata.annotations.team).toBe('platform');
  });

  it('a HelmRepository of type oci (oci:// URL, chart and version constraint): every object, as helm template renders 6.6.0', () => {
    const ferry = withoutAdded(addedDocs(app(), 'HelmRelease/apps/from-helmrepo'), fluxLabels('from-helmrepo', 'apps'));
    const hand = defaultNamespace(helmTemplate(['from-helmrepo', tgz('6.6.0'), '-f', valuesFile, '--namespace', 'apps', ...FLUX_FLAGS]), 'apps');
    expect(byIdentity(ferry)).toEqual(byIdentity(hand));
    expect(identities(ferry).length).toBeGreaterThanOrEqual(5);
    const dep = ferry.find((o) => o.kind === 'Deployment' && (o.metadata as { name: string }).name === 'from-helmrepo-podinfo')!;
    expect((dep.metadata as { labels: Record<string, string> }).labels['helm.sh/chart']).toBe('podinfo-6.6.0');
    // The packages came from the loopback registry, by the real fetcher.
    expect(registry.requests.map((q) => q.url)).toEqual(expect.arrayContaining(['/v2/charts/podinfo/tags/list']));
  });

  it('an OCIRepository chartRef (version tag) of a chart with crds/: its CRD, a custom resource, a cluster-scoped object, no test hook', () => {
    const ferry = withoutAdded(addedDocs(app(), 'HelmRelease/apps/widgets'), fluxLabels('widgets', 'apps'));
    const values = path.join(tempDir('ferry-hand-'), 'widgets.yaml');
    writeFileSync(values, 'size: large\ncount: 3\n');
    const hand = defaultNamespace(helmTemplate(['gadgets', tgz('0.3.0', 'widgets'), '-f', values, '--namespace', 'tools', ...FLUX_FLAGS]), 'tools');
    expect(byIdentity(ferry)).toEqual(byIdentity(hand));
    expect(identities(ferry)).toEqual([
      'apiextensions.k8s.io/v1|CustomResourceDefinition||widgets.example.com', 'example.com/v1|Widget|tools|gadgets',
      'rbac.authorization.k8s.io/v1|ClusterRole||gadgets-reader', 'v1|ConfigMap|tools|gadgets-config',
    ]);
    expect((ferry.find((o) => o.kind === 'ConfigMap') as { data: Record<string, string> }).data).toEqual({ kube: 'v1.31.0', namespace: 'tools', size: 'large' });
  });
});
