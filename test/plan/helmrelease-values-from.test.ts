import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { plan } from '../../src/engine.js';
import type { HelmTemplateRequest } from '../../src/render/helm-template.js';
import { TEST_HELM } from '../helpers/bin.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

/**
 * Where a HelmRelease's valuesFrom values come from, and how they reach helm.
 *
 * Integers that targetPath sets reach helm as `--set` arguments (helm reads a values
 * file's numbers as float64, Flux's as int64), but a Secret's never: a command line is
 * readable by anyone on the host who can list processes. Observed at the boundary: what
 * the HelmRelease asks helm for.
 */
const asked: HelmTemplateRequest[] = [];
vi.mock('../../src/render/helm-template.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/render/helm-template.js')>();
  return {
    ...real,
    helmTemplate: (req: HelmTemplateRequest, ...rest: unknown[]) => {
      asked.push(req);
      return (real.helmTemplate as (...a: unknown[]) => ReturnType<typeof real.helmTemplate>)(req, ...rest);
    },
  };
});

const cacheDir = tempDir('ferry-cache-');
const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

const CONFIG = `environments:\n  - name: staging\n    path: clusters/staging\nrender:\n  helm: ${TEST_HELM}\n`;
const CHART = {
  'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.2.3\n',
  'charts/web/values.yaml': 'pin: 0\nport: 0\ngreeting: hello\n',
  'charts/web/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\ndata:\n  pin: "{{ .Values.pin }}"\n  port: "{{ .Values.port }}"\n  greeting: {{ .Values.greeting | quote }}\n',
};
const HEAD = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: apps
spec:
  interval: 10m
  chart:
    spec:
      chart: ./charts/web
      sourceRef:
        kind: GitRepository
        name: flux-system
        namespace: flux-system
  valuesFrom:
`;
const RELEASE = `${HEAD}    - kind: Secret
      name: creds
      valuesKey: pin
      targetPath: pin
    - kind: ConfigMap
      name: settings
      valuesKey: port
      targetPath: port
`;
const SOURCES = `apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: apps
stringData:
  pin: "84729301"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: apps
data:
  port: "12345678"
`;

describe('targetPath integers on helm\'s command line', () => {
  it('a ConfigMap\'s is passed with --set, a Secret\'s is not', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, ...CHART, 'clusters/staging/web/sources.yaml': SOURCES });
    repos.push(r);
    const base = r.commit('sources');
    r.write({ 'clusters/staging/web/release.yaml': RELEASE });
    const head = r.commit('release');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const app = p.environments[0]!.apps.find((a) => a.name.endsWith('web'))!;
    const out = app.changes.find((c) => c.kind === 'ConfigMap' && c.name === 'out');
    // The ConfigMap's integer is printed as Flux prints it (int64), the Secret's masked.
    expect(out?.diff, out?.diff ?? '').toMatch(/^\+\s+port: ['"]12345678['"]$/m);
    expect(out?.diff).not.toContain('84729301');
    const integers = asked.flatMap((q) => q.integers ?? []);
    expect(integers).toContainEqual({ path: 'port', value: '12345678' });
    expect(JSON.stringify(asked.map((q) => q.integers))).not.toContain('84729301');
  });
});

/**
 * A valuesFrom ConfigMap whose file is a symlink to another file of the repository: a
 * change to the target is a change to the values, and must plan the HelmRelease on a
 * cold plan (facts learnt by blob id). (Ferry takes a source's definitions from every
 * YAML file of the commit, the link's target among them, so re-pointing a link between
 * two files that both define it changes no definition, and plans nothing.)
 */
describe('a symlinked valuesFrom source', () => {
  const greetings = (greeting: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-values
  namespace: apps
data:
  values.yaml: |
    greeting: ${greeting}
`;
  for (const layout of ['plain', 'kustomize'] as const) {
    it(`a change to the file the link points at plans the HelmRelease (${layout} app)`, async () => {
      const r = new TestRepo().write({
        '.github/ferry.yml': CONFIG,
        ...CHART,
        'clusters/staging/web/release.yaml': `${HEAD}    - kind: ConfigMap\n      name: web-values\n`,
        'shared/values/cm-real.yaml': greetings('from-base'),
        ...(layout === 'kustomize' ? { 'clusters/staging/web/kustomization.yaml': 'resources:\n  - release.yaml\n' } : {}),
      });
      repos.push(r);
      mkdirSync(path.join(r.dir, 'infra/values'), { recursive: true });
      symlinkSync('../../shared/values/cm-real.yaml', path.join(r.dir, 'infra/values/cm.yaml'));
      const base = r.commit('base');
      r.write({ 'shared/values/cm-real.yaml': greetings('from-head') });
      const head = r.commit('change the target');
      const p = await plan({ repo: r.dir, base, head, cacheDir: path.join(cacheDir, layout) });
      const app = p.environments[0]!.apps.find((a) => a.name.endsWith('web'));
      expect(app, JSON.stringify({ apps: p.environments[0]!.apps.map((a) => a.name), findings: p.findings })).toBeDefined();
      const out = app!.changes.find((c) => c.kind === 'ConfigMap' && c.name === 'out');
      expect(out?.action).toBe('changed');
      expect(out!.diff).toMatch(/^-\s+greeting: ['"]?from-base['"]?$/m);
      expect(out!.diff).toMatch(/^\+\s+greeting: ['"]?from-head['"]?$/m);
    });
  }
});
