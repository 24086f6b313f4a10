import { symlinkSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { TEST_HELM } from '../helpers/bin.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

/**
 * A valuesFrom ConfigMap whose file is a symlink to another file of the repository: a
 * change to the target is a change to the values, and must plan the HelmRelease on a
 * cold plan (facts learnt by blob id). (Ferry takes a source's definitions from every
 * YAML file of the commit, the link's target among them, so re-pointing a link between
 * two files that both define it changes no definition, and plans nothing.)
 */
const cacheDir = tempDir('ferry-cache-');
const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

const CONFIG = `environments:\n  - name: staging\n    path: clusters/staging\nrender:\n  helm: ${TEST_HELM}\n`;
const CHART = {
  'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.2.3\n',
  'charts/web/values.yaml': 'greeting: hello\n',
  'charts/web/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-out\ndata:\n  greeting: {{ .Values.greeting | quote }}\n',
};
const RELEASE = `apiVersion: helm.toolkit.fluxcd.io/v2
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
    - kind: ConfigMap
      name: web-values
`;
const CM = (greeting: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-values
  namespace: apps
data:
  values.yaml: |
    greeting: ${greeting}
`;

describe('a symlinked valuesFrom source', () => {
  for (const layout of ['plain', 'kustomize'] as const) {
    it(`a change to the file the link points at plans the HelmRelease (${layout} app)`, async () => {
      const r = new TestRepo().write({
        '.github/ferry.yml': CONFIG,
        ...CHART,
        'clusters/staging/web/release.yaml': RELEASE,
        'shared/values/cm-real.yaml': CM('from-base'),
        ...(layout === 'kustomize' ? { 'clusters/staging/web/kustomization.yaml': 'resources:\n  - release.yaml\n' } : {}),
      });
      repos.push(r);
      mkdirSync(path.join(r.dir, 'infra/values'), { recursive: true });
      symlinkSync('../../shared/values/cm-real.yaml', path.join(r.dir, 'infra/values/cm.yaml'));
      const base = r.commit('base');
      r.write({ 'shared/values/cm-real.yaml': CM('from-head') });
      const head = r.commit('change the target');
      const p = await plan({ repo: r.dir, base, head, cacheDir: path.join(cacheDir, layout) });
      const app = p.environments[0]!.apps.find((a) => a.name.endsWith('web'));
      expect(app, JSON.stringify({ apps: p.environments[0]!.apps.map((a) => a.name), findings: p.findings })).toBeDefined();
      const cm = app!.changes.find((c) => c.kind === 'ConfigMap' && c.name === 'web-out');
      expect(cm?.action).toBe('changed');
      expect(cm!.diff).toMatch(/^-\s+greeting: "?from-base"?$/m);
      expect(cm!.diff).toMatch(/^\+\s+greeting: "?from-head"?$/m);
    });
  }
});
