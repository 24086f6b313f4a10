import { cpSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { Plan } from '../../src/types.js';
import { CORPUS, hasCorpus } from '../helpers/bin.js';
import { configMap, deployment, kustomization } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

/**
 * Zero-config discovery over the repository layouts GitOps tools use, each rebuilt as a
 * small real git repository: which folders are apps, and that a change inside one is
 * planned rather than dropped.
 */

const cacheDir = tempDir('ferry-cache-');

async function run(args: string[]): Promise<{ code: number; plan: Plan }> {
  let out = '';
  let err = '';
  const code = await main([...args, '--format', 'json', '--cache-dir', cacheDir], { out: (s) => (out += s), err: (s) => (err += s) });
  if (code === 2) throw new Error(`ferry exited 2: ${err}`);
  return { code, plan: JSON.parse(out) as Plan };
}

const appPaths = (p: Plan) => p.environments.flatMap((e) => e.apps.map((a) => `${a.path}:${a.renderer}`));
/** Apps with their names: a Flux Kustomization's app is named after the object. */
const appNames = (p: Plan) => p.environments.flatMap((e) => e.apps.map((a) => `${a.name} = ${a.path}:${a.renderer}`));
const changesOf = (p: Plan, app: string) =>
  p.environments.flatMap((e) => e.apps.filter((a) => a.path === app).flatMap((a) => a.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)));

function fluxKs(name: string, p: string): string {
  return `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ${p}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`;
}

function helmRelease(name: string, version: string): string {
  return `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: ${name}\n      version: ${version}\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n        namespace: flux-system\n`;
}

function namespace(name: string): string {
  return `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;
}

describe('Flux home-lab layout: <ns>/kustomization.yaml lists <app>/ks.yaml, the app lives in <app>/app', () => {
  const files = {
    'kubernetes/flux/cluster/ks.yaml': fluxKs('cluster-apps', './kubernetes/apps'),
    'kubernetes/apps/default/kustomization.yaml': kustomization('resources:\n  - ./namespace.yaml\n  - ./echo/ks.yaml\n  - ./whoami/ks.yaml\n'),
    'kubernetes/apps/default/namespace.yaml': namespace('default'),
    'kubernetes/apps/default/echo/ks.yaml': fluxKs('echo', './kubernetes/apps/default/echo/app'),
    'kubernetes/apps/default/echo/app/kustomization.yaml': kustomization('resources:\n  - ./helmrelease.yaml\n'),
    'kubernetes/apps/default/echo/app/helmrelease.yaml': helmRelease('echo', '1.0.0'),
    'kubernetes/apps/default/whoami/ks.yaml': fluxKs('whoami', './kubernetes/apps/default/whoami/app'),
    'kubernetes/apps/default/whoami/app/kustomization.yaml': kustomization('resources:\n  - ./helmrelease.yaml\n'),
    'kubernetes/apps/default/whoami/app/helmrelease.yaml': helmRelease('whoami', '2.0.0'),
    'kubernetes/apps/kube-system/kustomization.yaml': kustomization('resources:\n  - ./cilium/ks.yaml\n'),
    'kubernetes/apps/kube-system/cilium/ks.yaml': `${fluxKs('cilium', './kubernetes/apps/kube-system/cilium/app')}---\n${fluxKs('cilium-config', './kubernetes/apps/kube-system/cilium/config')}`,
    'kubernetes/apps/kube-system/cilium/app/kustomization.yaml': kustomization('resources:\n  - ./helmrelease.yaml\n'),
    'kubernetes/apps/kube-system/cilium/app/helmrelease.yaml': helmRelease('cilium', '1.16.0'),
    'kubernetes/apps/kube-system/cilium/config/kustomization.yaml': kustomization('resources:\n  - ./pool.yaml\n'),
    'kubernetes/apps/kube-system/cilium/config/pool.yaml': configMap('pool'),
    // Applied by hand before Flux runs (the CNI): it includes the cilium app, which Flux
    // also deploys on its own, so cilium/app is an app although a kustomization references it.
    'kubernetes/bootstrap/kustomization.yaml': kustomization('resources:\n  - ../apps/kube-system/cilium/app\n'),
  };

  it('makes every Flux Kustomization an app of its folder; the namespace kustomizations render under cluster-apps', async () => {
    const r = new TestRepo().write(files);
    const base = r.commit('home-lab');
    const { plan } = await run(['validate', '--repo', r.dir, '--ref', base]);
    // cluster-apps points at kubernetes/apps, which has no kustomization: Flux generates
    // one listing the namespace folders, so they are part of it, not apps of their own.
    expect(appNames(plan)).toEqual([
      'flux-system/cilium = kubernetes/apps/kube-system/cilium/app:kustomize',
      'flux-system/cilium-config = kubernetes/apps/kube-system/cilium/config:kustomize',
      'flux-system/cluster-apps = kubernetes/apps:kustomize',
      'flux-system/echo = kubernetes/apps/default/echo/app:kustomize',
      'flux-system/whoami = kubernetes/apps/default/whoami/app:kustomize',
      'kubernetes/bootstrap = kubernetes/bootstrap:kustomize',
      'kubernetes/flux/cluster = kubernetes/flux/cluster:plain',
    ]);
    expect(plan.environments[0]!.apps.every((a) => a.status === 'rendered')).toBe(true);
  });

  it('a change inside <ns>/<app>/app is planned, with its diff; one in a Flux ks.yaml plans the namespace', async () => {
    const r = new TestRepo().write(files);
    const base = r.commit('home-lab');
    r.write({
      'kubernetes/apps/default/echo/app/helmrelease.yaml': helmRelease('echo', '1.1.0'),
      'kubernetes/apps/kube-system/cilium/app/helmrelease.yaml': helmRelease('cilium', '1.17.0'),
      'kubernetes/apps/default/whoami/ks.yaml': fluxKs('whoami', './kubernetes/apps/default/whoami/app').replace('interval: 1h', 'interval: 30m'),
    });
    const head = r.commit('bump');
    const { plan } = await run(['plan', '--repo', r.dir, '--base', base, '--head', head]);
    // whoami's own object changed: its app is planned (nothing it renders changed), and
    // the object's change shows under cluster-apps, which applies it.
    expect(plan.environments[0]!.apps.map((a) => a.name)).toEqual([
      'flux-system/cilium',
      'flux-system/cluster-apps',
      'flux-system/echo',
      'flux-system/whoami',
      'kubernetes/bootstrap',
    ]);
    expect(changesOf(plan, 'kubernetes/apps/default/echo/app')).toEqual(['changed HelmRelease/echo']);
    expect(changesOf(plan, 'kubernetes/apps/kube-system/cilium/app')).toEqual(['changed HelmRelease/cilium']);
    expect(changesOf(plan, 'kubernetes/apps')).toEqual(['changed Kustomization/whoami']);
    expect(changesOf(plan, 'kubernetes/apps/default/whoami/app')).toEqual([]);
    expect(plan.findings).toEqual([]);
  });
});

describe('flux2-kustomize-helm-example layout: clusters/<env> hold Flux Kustomizations for infrastructure/ and apps/<env>', () => {
  const files = {
    'clusters/staging/flux-system/kustomization.yaml': kustomization('resources:\n  - gotk-sync.yaml\n'),
    'clusters/staging/flux-system/gotk-sync.yaml': fluxKs('flux-system', './clusters/staging'),
    'clusters/staging/apps.yaml': fluxKs('apps', './apps/staging'),
    'clusters/staging/infrastructure.yaml': `${fluxKs('infra-controllers', './infrastructure/controllers')}---\n${fluxKs('infra-configs', './infrastructure/configs')}`,
    'clusters/production/apps.yaml': fluxKs('apps', './apps/production'),
    'apps/base/podinfo/kustomization.yaml': kustomization('resources:\n  - namespace.yaml\n  - release.yaml\n'),
    'apps/base/podinfo/namespace.yaml': namespace('podinfo'),
    'apps/base/podinfo/release.yaml': helmRelease('podinfo', '6.0.0'),
    'apps/staging/kustomization.yaml': kustomization('resources:\n  - ../base/podinfo\n'),
    'apps/production/kustomization.yaml': kustomization('resources:\n  - ../base/podinfo\npatches:\n  - path: values.yaml\n'),
    'apps/production/values.yaml': 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\nspec:\n  values:\n    replicaCount: 2\n',
    'infrastructure/controllers/kustomization.yaml': kustomization('resources:\n  - cert-manager.yaml\n'),
    'infrastructure/controllers/cert-manager.yaml': helmRelease('cert-manager', '1.15.0'),
    'infrastructure/configs/kustomization.yaml': kustomization('resources:\n  - issuers.yaml\n'),
    'infrastructure/configs/issuers.yaml': configMap('issuers'),
  };

  it('the Flux Kustomization targets are apps, the shared base is not, and a base change plans both environments', async () => {
    const r = new TestRepo().write(files);
    const base = r.commit('flux example');
    const { plan: all } = await run(['validate', '--repo', r.dir, '--ref', base]);
    // Without environments in ferry.yml, the two clusters' `flux-system/apps` are told apart by folder.
    expect(appNames(all)).toEqual([
      'clusters/production = clusters/production:plain',
      'flux-system/apps (clusters/production) = apps/production:kustomize',
      'flux-system/apps (clusters/staging) = apps/staging:kustomize',
      'flux-system/flux-system = clusters/staging:kustomize',
      'flux-system/infra-configs = infrastructure/configs:kustomize',
      'flux-system/infra-controllers = infrastructure/controllers:kustomize',
    ]);
    r.write({ 'apps/base/podinfo/release.yaml': helmRelease('podinfo', '6.1.0') });
    const head = r.commit('bump podinfo');
    const { plan } = await run(['plan', '--repo', r.dir, '--base', base, '--head', head]);
    expect(plan.environments[0]!.apps.map((a) => a.name)).toEqual(['flux-system/apps (clusters/production)', 'flux-system/apps (clusters/staging)']);
    expect(plan.findings).toEqual([]);
  });
});

describe.skipIf(!hasCorpus('flux2-kustomize-helm-example'))('fluxcd/flux2-kustomize-helm-example from the corpus, at the repository root', () => {
  it('discovers its overlays, cluster folders and infrastructure, not apps/base', async () => {
    const r = new TestRepo();
    cpSync(path.join(CORPUS, 'flux2-kustomize-helm-example'), r.dir, { recursive: true });
    const base = r.commit('corpus');
    const { plan } = await run(['validate', '--repo', r.dir, '--ref', base]);
    // Its Flux Kustomizations read ExternalArtifacts (paths like ./production inside an
    // artifact), which its ArtifactGenerators copy from folders of the repository.
    expect(appNames(plan)).toEqual([
      'clusters/production = clusters/production:plain',
      'clusters/production/flux-system = clusters/production/flux-system:kustomize',
      'clusters/staging = clusters/staging:plain',
      'clusters/staging/flux-system = clusters/staging/flux-system:kustomize',
      'flux-system/apps (clusters/production) = apps/production:kustomize',
      'flux-system/apps (clusters/staging) = apps/staging:kustomize',
      'flux-system/infra-configs (clusters/production) = infrastructure/configs:kustomize',
      'flux-system/infra-configs (clusters/staging) = infrastructure/configs:kustomize',
      'flux-system/infra-controllers (clusters/production) = infrastructure/controllers:kustomize',
      'flux-system/infra-controllers (clusters/staging) = infrastructure/controllers:kustomize',
    ]);
  });
});

function argoApp(name: string, source: string): string {
  return `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n${source}  destination:\n    server: https://kubernetes.default.svc\n    namespace: ${name}\n`;
}

describe('Argo CD layout: an app-of-apps folder of Applications and an ApplicationSet with a git directory generator', () => {
  const repoURL = 'https://github.com/example/gitops.git';
  const files = {
    'argocd/apps/kustomization.yaml': kustomization('resources:\n  - guestbook.yaml\n  - platform.yaml\n  - addons.yaml\n'),
    'argocd/apps/guestbook.yaml': argoApp('guestbook', `  source:\n    repoURL: ${repoURL}\n    targetRevision: HEAD\n    path: guestbook/overlays/prod\n`),
    'argocd/apps/platform.yaml': argoApp(
      'platform',
      `  sources:\n    - repoURL: https://charts.example.com\n      chart: redis\n      targetRevision: 1.0.0\n    - repoURL: ${repoURL}\n      targetRevision: HEAD\n      path: platform/common\n`,
    ),
    'argocd/apps/addons.yaml': `apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: addons\n  namespace: argocd\nspec:\n  generators:\n    - git:\n        repoURL: ${repoURL}\n        revision: HEAD\n        directories:\n          - path: addons/*\n          - path: addons/base\n            exclude: true\n  template:\n    metadata:\n      name: '{{path.basename}}'\n    spec:\n      project: default\n      source:\n        repoURL: ${repoURL}\n        targetRevision: HEAD\n        path: '{{path}}'\n      destination:\n        server: https://kubernetes.default.svc\n        namespace: '{{path.basename}}'\n`,
    'guestbook/base/kustomization.yaml': kustomization('resources:\n  - deployment.yaml\n'),
    'guestbook/base/deployment.yaml': deployment('guestbook'),
    'guestbook/overlays/prod/kustomization.yaml': kustomization('resources:\n  - ../../base\n  - ../../../platform/common\n'),
    'platform/common/kustomization.yaml': kustomization('resources:\n  - settings.yaml\n'),
    'platform/common/settings.yaml': configMap('settings'),
    'addons/base/kustomization.yaml': kustomization('resources:\n  - sa.yaml\n'),
    'addons/base/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: addon\n',
    'addons/ingress/kustomization.yaml': kustomization('resources:\n  - ../base\n  - deployment.yaml\n'),
    'addons/ingress/deployment.yaml': deployment('ingress'),
    'addons/logging/kustomization.yaml': kustomization('resources:\n  - deployment.yaml\n'),
    'addons/logging/deployment.yaml': deployment('logging'),
    'addons/logging-lite/kustomization.yaml': kustomization('resources:\n  - ../logging\nnamePrefix: lite-\n'),
  };

  it('Applications and generated Applications are apps of their own, rendering the folders they point at', async () => {
    const r = new TestRepo().write(files);
    const base = r.commit('argo');
    const { plan } = await run(['validate', '--repo', r.dir, '--ref', base]);
    expect(plan.environments[0]!.apps.map((a) => `${a.name} ${a.path}:${a.renderer}`)).toEqual([
      // addons/base: excluded from the generator and included by ingress.
      'argocd/apps argocd/apps:kustomize',
      'argocd/guestbook guestbook/overlays/prod:kustomize',
      'argocd/ingress addons/ingress:kustomize',
      'argocd/logging addons/logging:kustomize',
      'argocd/logging-lite addons/logging-lite:kustomize',
      // A chart from a Helm repository beside platform/common: not fetched without a chart fetcher.
      'argocd/platform platform/common:helm',
    ]);
    expect(plan.environments[0]!.apps.find((a) => a.name === 'argocd/platform')!.findings.map((f) => f.rule)).toContain('chart-unavailable');
    r.write({ 'platform/common/settings.yaml': configMap('settings').replace('k: v', 'level: debug') });
    const head = r.commit('debug');
    const { plan: changed } = await run(['plan', '--repo', r.dir, '--base', base, '--head', head]);
    expect(changed.environments[0]!.apps.map((a) => a.name)).toEqual(['argocd/guestbook', 'argocd/platform']);
    // Into the Application's destination namespace, as Argo CD applies it.
    expect(changed.environments[0]!.apps[0]!.changes.map((c) => `${c.action} ${c.kind}/${c.namespace}/${c.name}`)).toEqual(['changed ConfigMap/guestbook/settings']);
  });
});

describe('scanning for GitOps manifests', () => {
  it('a YAML file over the read limit beside an untouched kustomization is skipped, not reported on every plan', async () => {
    const prev = process.env.FERRY_MAX_FILE_MB;
    process.env.FERRY_MAX_FILE_MB = '1';
    try {
      const r = new TestRepo().write({
        'big/kustomization.yaml': kustomization('resources:\n  - deploy.yaml\n'),
        'big/deploy.yaml': deployment('big'),
        'big/dump.yaml': `${configMap('dump')}# ${'x'.repeat(2 * 1024 * 1024)}\n`,
        'web/d.yaml': deployment('web'),
      });
      const base = r.commit('initial');
      r.write({ 'web/d.yaml': deployment('web', { replicas: 2 }) });
      const head = r.commit('scale');
      const { code, plan } = await run(['plan', '--repo', r.dir, '--base', base, '--head', head]);
      expect(plan.environments[0]!.apps.map((a) => a.path)).toEqual(['web']);
      expect(plan.findings).toEqual([]);
      expect(code).toBe(0);
    } finally {
      if (prev === undefined) delete process.env.FERRY_MAX_FILE_MB;
      else process.env.FERRY_MAX_FILE_MB = prev;
    }
  });
});
