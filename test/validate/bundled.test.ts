import { describe, expect, it } from 'vitest';
import { crdSchemasFromObjects, loadBundledSchemas, validateResources } from '../../src/validate/index.js';
import { OPTS, res, rules } from './helpers.js';

type Obj = Record<string, unknown>;

const meta = (name: string, namespace = 'apps') => ({ name, namespace });

/**
 * One valid object per project whose CRDs Ferry bundles, and a misspelt field in it
 * (pointer of the object holding the field, the wrong name, the name meant).
 */
const CASES: Array<{ obj: Obj; at: string[]; wrong: string; meant: string }> = [
  {
    obj: {
      apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: meta('podinfo'),
      spec: { interval: '5m', chart: { spec: { chart: 'podinfo', version: '6.x', sourceRef: { kind: 'HelmRepository', name: 'podinfo' } } }, values: { anything: { goes: [1, { here: true }] } } },
    },
    at: ['spec'], wrong: 'valuesFrm', meant: 'valuesFrom',
  },
  {
    obj: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: meta('apps', 'flux-system'), spec: { interval: '10m', path: './apps', prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } } },
    at: ['spec'], wrong: 'targetNamespce', meant: 'targetNamespace',
  },
  {
    obj: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: meta('repo', 'flux-system'), spec: { interval: '1m', url: 'https://example.com/repo.git', ref: { branch: 'main' } } },
    at: ['spec', 'ref'], wrong: 'brnch', meant: 'branch',
  },
  {
    obj: { apiVersion: 'notification.toolkit.fluxcd.io/v1beta3', kind: 'Alert', metadata: meta('alert', 'flux-system'), spec: { providerRef: { name: 'slack' }, eventSources: [{ kind: 'Kustomization', name: '*' }] } },
    at: ['spec', 'eventSources', '0'], wrong: 'nme', meant: 'name',
  },
  {
    obj: { apiVersion: 'image.toolkit.fluxcd.io/v1beta2', kind: 'ImagePolicy', metadata: meta('app', 'flux-system'), spec: { imageRepositoryRef: { name: 'app' }, policy: { semver: { range: '1.x' } } } },
    at: ['spec', 'policy'], wrong: 'semvr', meant: 'semver',
  },
  {
    obj: {
      apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: meta('guestbook', 'argocd'),
      spec: { project: 'default', source: { repoURL: 'https://example.com/repo.git', path: 'guestbook', targetRevision: 'HEAD', helm: { valuesObject: { any: { thing: [1] } } } }, destination: { server: 'https://kubernetes.default.svc', namespace: 'guestbook' } },
    },
    at: ['spec', 'source'], wrong: 'targetRevison', meant: 'targetRevision',
  },
  {
    obj: {
      apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: meta('apps', 'argocd'),
      spec: {
        generators: [{ list: { elements: [{ cluster: 'dev' }] } }],
        template: { metadata: { name: '{{cluster}}' }, spec: { project: 'default', source: { repoURL: 'https://example.com/r.git', path: 'apps' }, destination: { server: 'https://kubernetes.default.svc' } } },
      },
    },
    at: ['spec'], wrong: 'generator', meant: 'generators',
  },
  {
    obj: { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: meta('team', 'argocd'), spec: { sourceRepos: ['*'], destinations: [{ namespace: '*', server: '*' }] } },
    at: ['spec'], wrong: 'sourceRepo', meant: 'sourceRepos',
  },
  {
    obj: {
      apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: meta('web'),
      spec: {
        replicas: 2, selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
        strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } },
      },
    },
    at: ['spec', 'strategy', 'canary'], wrong: 'step', meant: 'steps',
  },
  {
    obj: { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: meta('web'), spec: { secretName: 'web-tls', dnsNames: ['example.com'], issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } } },
    at: ['spec'], wrong: 'dnsName', meant: 'dnsNames',
  },
  {
    obj: {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta('web'),
      spec: { parentRefs: [{ name: 'gw' }], hostnames: ['example.com'], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'web', port: 80 }] }] },
    },
    at: ['spec', 'rules', '0'], wrong: 'backendRef', meant: 'backendRefs',
  },
  {
    obj: { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: meta('web'), spec: { selector: { matchLabels: { app: 'web' } }, endpoints: [{ port: 'http', interval: '30s' }] } },
    at: ['spec', 'endpoints', '0'], wrong: 'intervall', meant: 'interval',
  },
  {
    obj: {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: meta('db'),
      spec: { refreshInterval: '1h', secretStoreRef: { name: 'vault', kind: 'ClusterSecretStore' }, target: { name: 'db' }, data: [{ secretKey: 'password', remoteRef: { key: 'db/password' } }] },
    },
    at: ['spec'], wrong: 'secretStoreReff', meant: 'secretStoreRef',
  },
  {
    obj: { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: meta('db'), spec: { encryptedData: { password: 'AgBy8hC...' }, template: { type: 'Opaque' } } },
    at: ['spec'], wrong: 'encryptedDta', meant: 'encryptedData',
  },
  {
    obj: { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: meta('web'), spec: { scaleTargetRef: { name: 'web' }, minReplicaCount: 1, triggers: [{ type: 'cpu', metadata: { value: '60' } }] } },
    at: ['spec'], wrong: 'minReplicaCnt', meant: 'minReplicaCount',
  },
  {
    obj: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta('web'), spec: { hosts: ['web'], http: [{ route: [{ destination: { host: 'web', port: { number: 80 } } }] }] } },
    at: ['spec'], wrong: 'host', meant: 'hosts',
  },
  {
    obj: { apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', metadata: meta('web'), spec: { entryPoints: ['web'], routes: [{ match: 'Host(`example.com`)', kind: 'Rule', services: [{ name: 'web', port: 80 }] }] } },
    at: ['spec'], wrong: 'entryPoint', meant: 'entryPoints',
  },
  {
    obj: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: meta('hello'), spec: { template: { spec: { containers: [{ image: 'ghcr.io/knative/helloworld-go:latest', env: [{ name: 'TARGET', value: 'x' }] }] } } } },
    at: ['spec', 'template', 'spec'], wrong: 'container', meant: 'containers',
  },
  {
    obj: { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta('web'), spec: { host: 'web', trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } } },
    at: ['spec', 'trafficPolicy'], wrong: 'loadBalancr', meant: 'loadBalancer',
  },
  {
    obj: { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'letsencrypt' }, spec: { acme: { server: 'https://acme.example/directory', privateKeySecretRef: { name: 'le' }, solvers: [{ http01: { ingress: { ingressClassName: 'nginx' } } }] } } },
    at: ['spec', 'acme'], wrong: 'sever', meant: 'server',
  },
  {
    obj: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: meta('gw'), spec: { gatewayClassName: 'envoy', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] } },
    at: ['spec', 'listeners', '0'], wrong: 'protocl', meant: 'protocol',
  },
  // Not in any @kubernetes-models package: Ferry's own schema (src/validate/own-schemas.ts).
  {
    obj: {
      apiVersion: 'source.extensions.fluxcd.io/v1beta1', kind: 'ArtifactGenerator', metadata: meta('flux-system', 'flux-system'),
      spec: {
        sources: [{ alias: 'monorepo', kind: 'GitRepository', name: 'flux-system' }],
        artifacts: [{ name: 'apps', originRevision: '@monorepo', copy: [{ from: '@monorepo/apps/base/**', to: '@artifact/base/' }] }],
      },
    },
    at: ['spec', 'artifacts', '0'], wrong: 'originRevison', meant: 'originRevision',
  },
];

function at(obj: Obj, path: string[]): Obj {
  let cur: unknown = obj;
  for (const k of path) cur = (cur as Obj)[k];
  return cur as Obj;
}

const validate = async (objs: Obj[], opts = OPTS) => {
  const resources = objs.map((o) => res(o));
  await loadBundledSchemas(resources.map((r) => r.id));
  return validateResources(resources, opts);
};

const noLatest = { ...OPTS, rules: { 'no-latest-tag': 'off' as const, 'resource-limits': 'off' as const } };

describe('bundled custom-resource schemas', () => {
  for (const c of CASES) {
    const label = `${String(c.obj.apiVersion)} ${String(c.obj.kind)}`;
    it(`${label}: a valid object passes; a misspelt field is an unknown-field error`, async () => {
      expect(await validate([c.obj], noLatest)).toEqual([]);
      const bad = structuredClone(c.obj);
      const holder = at(bad, c.at);
      holder[c.wrong] = holder[c.meant];
      delete holder[c.meant];
      const f = await validate([bad], { ...noLatest, rules: { ...noLatest.rules, schema: 'off' } });
      const path = [...c.at, c.wrong].map((k) => (/^\d+$/.test(k) ? `[${k}]` : `.${k}`)).join('').slice(1).replace(/\.\[/g, '[');
      expect(f.map((x) => [x.severity, x.rule, x.message])).toEqual([['error', 'unknown-field', `${path}: unknown field (did you mean ${JSON.stringify(c.meant)}?)`]]);
    });
  }

  it('reports wrong values with their path: a HelmRelease interval, a Certificate duration, an HTTPRoute port', async () => {
    const hr = structuredClone(CASES[0]!.obj);
    (hr.spec as Obj).interval = 5;
    const cert = structuredClone(CASES.find((c) => c.obj.kind === 'Certificate')!.obj);
    (cert.spec as Obj).issuerRef = { kind: 'ClusterIssuer' };
    const route = structuredClone(CASES.find((c) => c.obj.kind === 'HTTPRoute')!.obj);
    (((route.spec as Obj).rules as Obj[])[0]!.backendRefs as Obj[])[0]!.port = '80';
    const f = await validate([hr, cert, route]);
    expect(f.map((x) => [x.resource, x.rule, x.message])).toEqual([
      ['HelmRelease/apps/podinfo', 'schema', 'spec.interval: expected string, got integer'],
      ['Certificate/apps/web', 'schema', 'spec.issuerRef: missing required field "name"'],
      ['HTTPRoute/apps/web', 'schema', 'spec.rules[0].backendRefs[0].port: expected integer, got string'],
    ]);
  });

  it('leaves free-form fields alone and checks metadata once', async () => {
    const hr = structuredClone(CASES[0]!.obj);
    (hr.metadata as Obj).lables = { a: 'b' };
    const f = await validate([hr]);
    expect(f.map((x) => x.message)).toEqual(['metadata.lables: unknown field (did you mean "labels"?)']);
  });

  it('reports no unknown field without strict', async () => {
    const hr = structuredClone(CASES[0]!.obj);
    (hr.spec as Obj).valuesFrm = [];
    expect(await validate([hr], { ...OPTS, strict: false })).toEqual([]);
  });

  it('a CRD in the repository wins over the bundled schema, and so do the versions it defines', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'helmreleases.helm.toolkit.fluxcd.io' },
      spec: {
        group: 'helm.toolkit.fluxcd.io', scope: 'Namespaced', names: { kind: 'HelmRelease', plural: 'helmreleases' },
        versions: [{ name: 'v2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', required: ['owner'], properties: { owner: { type: 'string' } } } } } } }],
      },
    };
    const crds = crdSchemasFromObjects([crd]);
    const hr = CASES[0]!.obj;
    const resources = [res(hr), res({ ...hr, apiVersion: 'helm.toolkit.fluxcd.io/v2beta2', metadata: meta('older') })];
    await loadBundledSchemas(resources.map((r) => r.id));
    const f = validateResources(resources, { ...OPTS, crds });
    expect(f.map((x) => [x.rule, x.message])).toEqual([
      ['schema', 'spec: missing required field "owner"'],
      ['unknown-field', 'spec.interval: unknown field'],
      ['unknown-field', 'spec.chart: unknown field'],
      ['unknown-field', 'spec.values: unknown field'],
      ['unknown-kind', 'helm.toolkit.fluxcd.io/v2beta2 HelmRelease: CRD helmreleases.helm.toolkit.fluxcd.io does not define this version (it has helm.toolkit.fluxcd.io/v2)'],
    ]);
  });

  it('a kind no package carries stays an unknown-kind warning', async () => {
    const f = await validate([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: meta('a') }]);
    expect(f.map((x) => [x.severity, x.rule])).toEqual([['warning', 'unknown-kind']]);
    // Types that are not top-level kinds are not mistaken for ones.
    expect(rules(await validate([{ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmReleaseSpec', metadata: meta('a') }]))).toEqual(['unknown-kind']);
  });

  describe("ArtifactGenerator, from Ferry's own schema", () => {
    const generator = () => structuredClone(CASES.find((c) => c.obj.kind === 'ArtifactGenerator')!.obj);
    const artifact = (o: Obj) => ((o.spec as Obj).artifacts as Obj[])[0]!;

    it('reports wrong values with their path: a source kind, a copy destination, a missing copy list', async () => {
      const bad = generator();
      ((bad.spec as Obj).sources as Obj[])[0]!.kind = 'HelmRepository';
      (artifact(bad).copy as Obj[])[0]!.to = 'base/';
      const missing = generator();
      (missing.metadata as Obj).name = 'other';
      delete artifact(missing).copy;
      const f = await validate([bad, missing]);
      expect(f.map((x) => [x.severity, x.resource, x.rule, x.message])).toEqual([
        ['error', 'ArtifactGenerator/flux-system/flux-system', 'schema', 'spec.sources[0].kind: "HelmRepository" is not one of "Bucket", "GitRepository", "OCIRepository", "HelmChart", "ExternalArtifact"'],
        ['error', 'ArtifactGenerator/flux-system/flux-system', 'schema', 'spec.artifacts[0].copy[0].to: "base/" does not match the pattern ^@(artifact)/(.*)$'],
        ['error', 'ArtifactGenerator/flux-system/other', 'schema', 'spec.artifacts[0]: missing required field "copy"'],
      ]);
    });

    it('other versions of the kind stay unknown, and a CRD in the repository wins', async () => {
      expect(rules(await validate([{ ...generator(), apiVersion: 'source.extensions.fluxcd.io/v1alpha1' }]))).toEqual(['unknown-kind']);
      const crd = {
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'artifactgenerators.source.extensions.fluxcd.io' },
        spec: {
          group: 'source.extensions.fluxcd.io', scope: 'Namespaced', names: { kind: 'ArtifactGenerator', plural: 'artifactgenerators' },
          versions: [{ name: 'v1beta1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', required: ['owner'], properties: { owner: { type: 'string' }, sources: { type: 'array' }, artifacts: { type: 'array' } } } } } } }],
        },
      };
      const f = validateResources([res(generator())], { ...OPTS, crds: crdSchemasFromObjects([crd]) });
      expect(f.map((x) => [x.rule, x.message])).toEqual([['schema', 'spec: missing required field "owner"']]);
    });
  });

  it('refuses to validate a bundled kind whose schema was not loaded first', () => {
    const obj = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob', metadata: meta('j'), spec: {} };
    expect(() => validateResources([res(obj)], OPTS)).toThrow(/loadBundledSchemas/);
  });
});
