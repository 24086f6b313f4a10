/**
 * Chart credentials come from the operator's configuration (FERRY_CHART_CREDENTIALS), never
 * from the pull request: a Flux HelmRepository's `secretRef`, or an Argo CD repository
 * Secret, naming credentials committed to the repository is not used to fetch the chart,
 * and those credentials are not shown in the plan. The chart is served by a real Helm
 * repository on loopback, which records every request it gets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { chartFetcher } from '../../src/render/charts/index.js';
import { renderJson, renderMarkdown, renderText } from '../../src/report/plan.js';
import type { AppPlan, Plan } from '../../src/types.js';
import { TEST_HELM } from '../helpers/bin.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { makeChart, packageChart, serveHelmRepo } from '../helpers/helm-repo.js';

const USER = 'pr-chart-user-7f3a';
const PASSWORD = 'pr-chart-pass-Qw9z';

/** Every form in which the credentials could leak: as written, base64, and as a Basic header. */
const LEAKS = [USER, PASSWORD, Buffer.from(USER).toString('base64'), Buffer.from(PASSWORD).toString('base64'), Buffer.from(`${USER}:${PASSWORD}`).toString('base64')];

function outputs(p: Plan): string {
  return [JSON.stringify(p), renderJson(p), renderMarkdown(p), renderText(p)].join('\n');
}

function appIn(p: Plan, env: string, name: string): AppPlan {
  const app = p.environments.find((e) => e.name === env)?.apps.find((a) => a.name === name);
  if (!app) throw new Error(`no app ${env}/${name} in ${JSON.stringify(p.environments.map((e) => [e.name, e.apps.map((a) => a.name)]))}`);
  return app;
}

describe('chart credentials written in the repository', () => {
  let served: Awaited<ReturnType<typeof serveHelmRepo>>;
  const cacheDir = tempDir('ferry-cache-');

  beforeAll(async () => {
    served = await serveHelmRepo([packageChart(makeChart('web'), '0.1.0')]);
  });
  afterAll(async () => {
    await served?.close();
  });

  // Each plan gets a fresh chart cache, so the chart really is fetched from the server.
  const fetcher = () => chartFetcher({ cacheDir: tempDir('ferry-charts-'), timeoutMs: 30_000, maxChartBytes: 20 << 20, maxIndexBytes: 8 << 20, credentials: [], allowPrivateNetworks: true });

  function expectNoCredentialSent(from: number): void {
    const requests = served.requests.slice(from);
    expect(requests.map((q) => q.url)).toContain('/web-0.1.0.tgz');
    expect(requests.map((q) => q.headers.authorization)).toEqual(requests.map(() => undefined));
    const seen = JSON.stringify(requests);
    for (const s of LEAKS) expect(seen).not.toContain(s);
  }

  it('a Flux HelmRepository secretRef to a Secret in the repository: the chart is fetched without it, and its values are shown nowhere', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': `environments:\n  - name: staging\n    path: clusters/staging\nrender:\n  helm: ${TEST_HELM}\n`,
      'clusters/staging/other/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n',
    });
    const base = r.commit('base');
    r.write({
      'clusters/staging/web/release.yaml': `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: apps
spec:
  interval: 10m
  chart:
    spec:
      chart: web
      version: 0.1.0
      sourceRef:
        kind: HelmRepository
        name: charts
  values:
    greeting: from-the-pr
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
  namespace: apps
spec:
  interval: 1h
  url: ${served.url}
  secretRef:
    name: charts-auth
---
apiVersion: v1
kind: Secret
metadata:
  name: charts-auth
  namespace: apps
type: Opaque
stringData:
  username: ${USER}
  password: ${PASSWORD}
---
apiVersion: v1
kind: Secret
metadata:
  name: charts-auth-data
  namespace: apps
type: Opaque
data:
  username: ${Buffer.from(USER).toString('base64')}
  password: ${Buffer.from(PASSWORD).toString('base64')}
`,
    });
    const head = r.commit('a HelmRelease from a private repository');
    const from = served.requests.length;
    try {
      const p = await plan({ repo: r.dir, base, head, cacheDir, charts: fetcher() });
      const app = appIn(p, 'staging', 'web');
      expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
      // The chart rendered: its ConfigMap is shown under the HelmRelease, with the PR's values.
      const cm = app.changes.find((c) => c.kind === 'ConfigMap' && c.producer === 'HelmRelease/apps/web');
      expect(cm?.diff).toContain('from-the-pr');
      expect(app.changes.filter((c) => c.kind === 'Secret').map((c) => c.name).sort()).toEqual(['charts-auth', 'charts-auth-data']);
      expectNoCredentialSent(from);
      const text = outputs(p);
      for (const s of LEAKS) expect(text).not.toContain(s);
    } finally {
      r.cleanup();
    }
  });

  it('an Argo CD repository Secret for the chart\'s URL: the chart is fetched without it, and its values are shown nowhere', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': `environments:\n  - name: prod\n    path: argocd\nrender:\n  helm: ${TEST_HELM}\n`,
      'argocd/other.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  namespace: argocd\n',
    });
    const base = r.commit('base');
    r.write({
      'argocd/web.yaml': `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ${served.url}
    chart: web
    targetRevision: 0.1.0
    helm:
      valuesObject:
        greeting: from-the-pr
  destination:
    server: https://kubernetes.default.svc
    namespace: web
`,
      'argocd/repo-secret.yaml': `apiVersion: v1
kind: Secret
metadata:
  name: private-charts
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: repository
stringData:
  type: helm
  name: private-charts
  url: ${served.url}
  username: ${USER}
  password: ${PASSWORD}
`,
    });
    const head = r.commit('an Application from a private Helm repository');
    const from = served.requests.length;
    try {
      const p = await plan({ repo: r.dir, base, head, cacheDir, charts: fetcher() });
      const app = appIn(p, 'prod', 'argocd/web');
      expect(app.status, JSON.stringify(app.findings)).toBe('rendered');
      expect(app.changes.find((c) => c.kind === 'ConfigMap')?.diff).toContain('from-the-pr');
      expectNoCredentialSent(from);
      const text = outputs(p);
      for (const s of LEAKS) expect(text).not.toContain(s);
    } finally {
      r.cleanup();
    }
  });
});
