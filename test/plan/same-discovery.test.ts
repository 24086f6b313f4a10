/**
 * A plan reuses head's discovery for base when the change cannot alter what discovery
 * finds. Each case here is an edit that does alter it, without adding, deleting or
 * renaming a file and without touching a kustomization: base must find its own apps.
 */
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import type { Plan } from '../../src/types.js';
import { configMap, kustomization } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');
const CONFIG = 'environments:\n  - name: staging\n    path: envs/staging\n';
const summary = (p: Plan) => p.environments[0]!.apps.map((a) => `${a.name}: ${a.changes.map((c) => `${c.action} ${c.kind}/${c.name}`).join(', ')}`).sort();
const flux = (p: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ${p}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`;

describe('discovery at base after an edit', () => {
  it('a transformer configuration that stops naming a file makes that file\'s folder an app', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': CONFIG,
      'envs/staging/top/kustomization.yaml': kustomization('resources:\n  - cm.yaml\ntransformers:\n  - t.yaml\n'),
      'envs/staging/top/cm.yaml': configMap('top'),
      'envs/staging/top/t.yaml': 'apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: t\npath: ../loose/patch.yaml\n',
      'envs/staging/loose/patch.yaml': configMap('patched'),
    });
    const base = r.commit('base');
    r.write({ 'envs/staging/top/t.yaml': 'apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: t\npath: ../elsewhere.yaml\n' });
    const head = r.commit('the transformer names another file');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(summary(p)).toContain('loose: added ConfigMap/patched');
  });

  it('a Flux Kustomization edited to deploy another folder renders that folder under it instead', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': CONFIG,
      'envs/staging/flux.yaml': flux('./envs/staging/a'),
      'envs/staging/top/kustomization.yaml': kustomization('resources:\n  - ../a\n  - ../b\n'),
      'envs/staging/a/kustomization.yaml': kustomization('resources:\n  - cm.yaml\n'),
      'envs/staging/a/cm.yaml': configMap('a'),
      'envs/staging/b/kustomization.yaml': kustomization('resources:\n  - cm.yaml\n'),
      'envs/staging/b/cm.yaml': configMap('b'),
    });
    const base = r.commit('base');
    r.write({ 'envs/staging/flux.yaml': flux('./envs/staging/b') });
    const head = r.commit('deploy b instead of a');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    // Base's own discovery has the Kustomization on folder a: reusing head's would show no change.
    const ks = summary(p).find((l) => l.startsWith('flux-system/apps: '));
    expect(ks).toMatch(/removed ConfigMap\/a/);
    expect(ks).toMatch(/added ConfigMap\/b/);
  });

  it('a plain file that becomes a manifest makes its folder an app', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': CONFIG,
      'envs/staging/a/kustomization.yaml': kustomization('resources:\n  - cm.yaml\n'),
      'envs/staging/a/cm.yaml': configMap('a'),
      'envs/staging/notes/values.yaml': 'replicas: 2\n',
    });
    const base = r.commit('base');
    r.write({ 'envs/staging/notes/values.yaml': configMap('notes') });
    const head = r.commit('values.yaml becomes a ConfigMap');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(summary(p)).toEqual(['notes: added ConfigMap/notes']);
  });
});
