/**
 * The Flux example's HelmReleases rendered from a real Helm repository on loopback, built
 * from podinfo's chart with `helm package` + `helm repo index`, through the real chart
 * fetcher and its cache: what a server with network does, offline.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { chartFetcher } from '../../src/render/charts/index.js';
import type { AppPlan, Plan } from '../../src/types.js';
import { CORPUS, hasCorpus, TEST_HELM } from '../helpers/bin.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { addedDocs, byIdentity, defaultNamespace, type Doc, helmTemplate, identities, kubectlKustomize, withoutAdded } from '../helpers/equivalence.js';
import { type PackagedChart, packageChart, serveHelmRepo } from '../helpers/helm-repo.js';

const EXAMPLE = path.join(CORPUS, 'flux2-kustomize-helm-example');
const CONFIG = `environments:\n  - name: staging\n    path: clusters/staging\n  - name: production\n    path: clusters/production\nrender:\n  helm: ${TEST_HELM}\n`;

function appOf(p: Plan, env: string, name: string): AppPlan {
  const app = p.environments.find((e) => e.name === env)?.apps.find((a) => a.name === name);
  if (!app) throw new Error(`no app ${env}/${name} in ${JSON.stringify(p.environments.map((e) => [e.name, e.apps.map((a) => a.name)]))}`);
  return app;
}

/** The object an added resource's diff shows. */
function added(app: AppPlan, kind: string, name: string): Record<string, any> {
  const c = app.changes.find((x) => x.action === 'added' && x.kind === kind && x.name === name && x.producer === 'HelmRelease/podinfo/podinfo');
  if (!c?.diff) throw new Error(`no added ${kind}/${name} from the HelmRelease: ${app.changes.map((x) => `${x.action} ${x.kind}/${x.name} ${x.producer ?? ''}`).join(', ')}`);
  return parse(c.diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).map((l) => l.slice(1)).join('\n'));
}

describe.skipIf(!hasCorpus('flux2-kustomize-helm-example'))('the flux2-kustomize-helm-example HelmReleases from a loopback Helm repository', () => {
  let repo: Awaited<ReturnType<typeof serveHelmRepo>>;
  let r: TestRepo;
  let before: string;
  let after: string;
  let packages: PackagedChart[];
  /** The plan with a fresh chart cache, shared by the tests that read it. */
  let p: Plan;
  const cacheDir = tempDir('ferry-cache-');

  beforeAll(async () => {
    const chart = path.join(CORPUS, 'podinfo/charts/podinfo');
    // A stable and a prerelease: staging asks `>=1.0.0-alpha` (prereleases count), production `>=1.0.0` (they do not).
    packages = [packageChart(chart, '6.14.1'), packageChart(chart, '6.15.0-rc.1')];
    repo = await serveHelmRepo(packages);
    r = new TestRepo();
    cpSync(EXAMPLE, r.dir, { recursive: true });
    const source = 'apps/base/podinfo/repository.yaml';
    const kfile = 'apps/base/podinfo/kustomization.yaml';
    const kustomization = readFileSync(path.join(EXAMPLE, kfile), 'utf8');
    // The one edit to the example: its HelmRepository points at the loopback repository.
    const repository = readFileSync(path.join(EXAMPLE, source), 'utf8').replace('https://stefanprodan.github.io/podinfo', repo.url);
    expect(repository).toContain(repo.url);
    r.write({ '.github/ferry.yml': CONFIG, [source]: repository, [kfile]: kustomization.replace('  - release.yaml\n', '') });
    before = r.commit('the example without its HelmRelease');
    r.write({ [kfile]: kustomization });
    after = r.commit('the HelmRelease');
    const charts = chartFetcher({ cacheDir: path.join(cacheDir, 'charts'), timeoutMs: 30_000, maxChartBytes: 20 << 20, maxIndexBytes: 8 << 20, credentials: [], allowPrivateNetworks: true });
    p = await plan({ repo: r.dir, base: before, head: after, cacheDir, charts });
  });
  afterAll(async () => {
    await repo?.close();
    r?.cleanup();
  });

  it('each environment\'s release is, object for object, helm template of the package its constraint picks with the environment\'s merged values', () => {
    for (const [env, version] of [['staging', '6.15.0-rc.1'], ['production', '6.14.1']] as const) {
      const app = appOf(p, env, 'flux-system/apps');
      expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
      // The environment's HelmRelease as kustomize builds it (the base with the environment's
      // patch): its spec.values are the merged values, read here without Ferry.
      const kustomized = kubectlKustomize(path.join(r.dir, 'apps', env));
      // The object the pull request adds to the Kustomization's output is kustomize's build of
      // it, unchanged (Ferry shows none of kustomize-controller's apply-time labels, on either
      // side of a diff); the Namespace and HelmRepository are there at base.
      expect(addedDocs(app, null)).toEqual(kustomized.filter((o) => o.kind === 'HelmRelease'));
      const built = kustomized.find((o) => o.kind === 'HelmRelease') as Doc & { spec: { values: Doc; releaseName: string } };
      expect(built.spec.values.httpRoute).toMatchObject({ hostnames: [`podinfo.${env}`] });
      const values = path.join(tempDir('ferry-hand-'), 'values.yaml');
      writeFileSync(values, JSON.stringify(built.spec.values));
      const tgz = packages.find((c) => c.version === version)!.file;
      // Flux's install: test hooks are not installed (`--skip-tests`), the chart's crds/ are
      // (`install.crds: Create`); namespaced objects go to the release namespace.
      const hand = defaultNamespace(helmTemplate([built.spec.releaseName, tgz, '-f', values, '--namespace', 'podinfo', '--skip-tests', '--include-crds']), 'podinfo');
      // helm-controller's post-renderer adds exactly these two labels to every object of the release.
      const ferry = withoutAdded(addedDocs(app, 'HelmRelease/podinfo/podinfo'), { labels: { 'helm.toolkit.fluxcd.io/name': 'podinfo', 'helm.toolkit.fluxcd.io/namespace': 'podinfo' } });
      expect(byIdentity(ferry)).toEqual(byIdentity(hand));
      expect(identities(ferry)).toEqual([
        'apps/v1|Deployment|podinfo|podinfo', 'apps/v1|Deployment|podinfo|podinfo-redis', 'gateway.networking.k8s.io/v1|HTTPRoute|podinfo|podinfo',
        'v1|ConfigMap|podinfo|podinfo-redis', 'v1|Service|podinfo|podinfo', 'v1|Service|podinfo|podinfo-redis',
      ]);
    }
  });

  it('renders podinfo per environment, with the version each constraint picks and each environment\'s values', async () => {
    for (const [env, version, host] of [['staging', '6.15.0-rc.1', 'podinfo.staging'], ['production', '6.14.1', 'podinfo.production']] as const) {
      const app = appOf(p, env, 'flux-system/apps');
      expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
      expect(app.findings.filter((f) => f.rule === 'chart-unavailable')).toEqual([]);
      const deployment = added(app, 'Deployment', 'podinfo');
      expect(deployment.metadata.labels['helm.sh/chart']).toBe(`podinfo-${version}`);
      expect(deployment.metadata.labels['helm.toolkit.fluxcd.io/name']).toBe('podinfo');
      expect(added(app, 'HTTPRoute', 'podinfo').spec.hostnames).toEqual([host]);
      expect(added(app, 'Deployment', 'podinfo-redis').spec.template.spec.containers[0].image).toBe('public.ecr.aws/docker/library/redis:8.6.2');
      expect(app.changes.some((c) => c.kind === 'HelmRelease' && c.action === 'added' && !c.producer)).toBe(true);
    }
    const fetched = repo.requests.map((q) => q.url);
    expect(fetched).toContain('/index.yaml');
    expect(fetched).toContain('/podinfo-6.14.1.tgz');
    expect(fetched).toContain('/podinfo-6.15.0-rc.1.tgz');
    // Each chart was downloaded once, whatever the number of plans and environments asking.
    expect(fetched.filter((u) => u.endsWith('.tgz')).length).toBe(2);

    // A second server process (a new fetcher over the same cache), the repository gone: the charts on disk still render.
    await repo.close();
    const warm = chartFetcher({ cacheDir: path.join(cacheDir, 'charts'), timeoutMs: 5_000, maxChartBytes: 20 << 20, maxIndexBytes: 8 << 20, credentials: [], allowPrivateNetworks: true });
    const again = await plan({ repo: r.dir, base: before, head: after, cacheDir: tempDir('ferry-cache-'), charts: warm });
    expect(added(appOf(again, 'staging', 'flux-system/apps'), 'Deployment', 'podinfo').metadata.labels['helm.sh/chart']).toBe('podinfo-6.15.0-rc.1');
  });

  it('the address policy applies to a HelmRepository a pull request writes: loopback is refused by default, as a finding', async () => {
    const charts = chartFetcher({ cacheDir: tempDir('ferry-charts-'), timeoutMs: 5_000, maxChartBytes: 20 << 20, maxIndexBytes: 8 << 20, credentials: [], allowPrivateNetworks: false });
    const p = await plan({ repo: r.dir, base: before, head: after, cacheDir: tempDir('ferry-cache-'), charts });
    const app = appOf(p, 'staging', 'flux-system/apps');
    const f = app.findings.filter((x) => x.rule === 'chart-unavailable');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/private|loopback/);
    // The HelmRelease itself still diffs; nothing was produced.
    expect(app.changes.some((c) => c.kind === 'HelmRelease' && c.action === 'added')).toBe(true);
    expect(app.changes.filter((c) => c.producer)).toEqual([]);
  });
});
