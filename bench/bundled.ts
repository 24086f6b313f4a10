/**
 * Custom resources validated with the bundled @kubernetes-models schemas: what loading a
 * kind's schema costs the first time (a fresh process, so cold means cold), and validation
 * throughput with and without `strict` (unknown fields are found through a proxy that
 * records what the validator reads), against built-in Deployments validated in the same
 * run. Prints figures and ratios; asserts nothing.
 */
import type { Resource } from '../src/types.js';
import { loadSchemas, validateResources, type ValidateOptions } from '../src/validate/index.js';

const meta = { name: 'x', namespace: 'apps' };
const OBJECTS: Array<Record<string, unknown>> = [
  { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: meta, spec: { interval: '5m', chart: { spec: { chart: 'podinfo', sourceRef: { kind: 'HelmRepository', name: 'podinfo' } } }, values: { replicaCount: 2, ingress: { enabled: true } } } },
  { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: meta, spec: { interval: '10m', path: './apps', prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } } },
  { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: meta, spec: { secretName: 'tls', dnsNames: ['example.com'], issuerRef: { name: 'le', kind: 'ClusterIssuer' } } },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta, spec: { parentRefs: [{ name: 'gw' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'web', port: 80 }] }] } },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: meta, spec: { selector: { matchLabels: { app: 'web' } }, endpoints: [{ port: 'http' }] } },
  { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: meta, spec: { project: 'default', source: { repoURL: 'https://example.com/r.git', path: 'p' }, destination: { server: 'https://kubernetes.default.svc' } } },
];
const DEPLOYMENT = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta,
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '1', memory: '64Mi' } } }] } } },
};

const res = (o: Record<string, unknown>): Resource => ({ id: { apiVersion: String(o.apiVersion), kind: String(o.kind), namespace: 'apps', name: 'x' }, object: o, source: null });
const rate = (r: number) => `${Math.round(r).toLocaleString('en-US')} resources/s`;

function throughput(resources: Resource[], opts: ValidateOptions): number {
  validateResources(resources.slice(0, 50), opts); // compile and warm
  const t = performance.now();
  for (let i = 0; i < resources.length; i += 50) validateResources(resources.slice(i, i + 50), opts);
  return resources.length / ((performance.now() - t) / 1000);
}

const strict: ValidateOptions = { kubernetesVersion: '1.31', strict: true, rules: {} };
const lax: ValidateOptions = { ...strict, strict: false };

let t = performance.now();
await loadSchemas([OBJECTS[0]!].map((o) => res(o).id));
const first = performance.now() - t;
t = performance.now();
await loadSchemas(OBJECTS.map((o) => res(o).id));
const rest = performance.now() - t;
console.log(`bundled schemas, first load in a fresh process: HelmRelease ${first.toFixed(0)} ms; the other ${OBJECTS.length - 1} kinds (5 more packages) ${rest.toFixed(0)} ms`);

const n = 20_000;
const crs = Array.from({ length: n }, (_, i) => res(OBJECTS[i % OBJECTS.length]!));
const deps = Array.from({ length: n }, () => res(DEPLOYMENT));
const base = throughput(deps, strict);
const s = throughput(crs, strict);
const l = throughput(crs, lax);
console.log(`  baseline, built-in Deployments (strict): ${rate(base)}`);
console.log(`  bundled custom resources, strict: ${rate(s)} (${(s / base).toFixed(2)}× baseline); without strict: ${rate(l)} (${(l / base).toFixed(2)}× baseline; strict costs ${(l / s).toFixed(1)}×)`);
