/**
 * The engine skips the base-side walk of a Kustomize app whose head inputs did not
 * change. A file or folder the head walk looked for and did not find is one of those
 * inputs: deleting what an overlay references must still plan the overlay.
 */
import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import type { Plan } from '../../src/types.js';
import { configMap, deployment, kustomization } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');
const CONFIG = 'environments:\n  - name: staging\n    path: envs/staging\n';
const planned = (p: Plan) => p.environments[0]!.apps.map((a) => a.name).sort();

function repo(): TestRepo {
  return new TestRepo().write({
    '.github/ferry.yml': CONFIG,
    'bases/web/kustomization.yaml': kustomization('resources:\n  - deployment.yaml\n'),
    'bases/web/deployment.yaml': deployment('web'),
    'extras/cm.yaml': configMap('extra'),
    'envs/staging/web/kustomization.yaml': kustomization('resources:\n  - ../../../bases/web\n  - ../../../extras/cm.yaml\n'),
    'envs/staging/other/kustomization.yaml': kustomization('resources:\n  - cm.yaml\n'),
    'envs/staging/other/cm.yaml': configMap('other'),
  });
}

describe('an overlay whose referenced base or file is deleted', () => {
  it('is planned when the base folder it references is deleted', async () => {
    const r = repo();
    const base = r.commit('base');
    r.remove('bases/web/kustomization.yaml', 'bases/web/deployment.yaml');
    const head = r.commit('delete the base');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(planned(p)).toEqual(['web']);
    expect(p.environments[0]!.apps[0]!.findings.map((f) => f.message).join('\n')).toMatch(/bases\/web/);
  });

  it('is planned when a file it references is deleted', async () => {
    const r = repo();
    const base = r.commit('base');
    r.remove('extras/cm.yaml');
    const head = r.commit('delete a resource file');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(planned(p)).toEqual(['web']);
    expect(p.environments[0]!.apps[0]!.findings.map((f) => f.message).join('\n')).toMatch(/extras\/cm\.yaml.*does not exist/);
  });

  it('is planned when a missing base is restored (present at head, absent at base)', async () => {
    const r = repo();
    r.remove('bases/web/kustomization.yaml');
    const base = r.commit('broken base');
    r.write({ 'bases/web/kustomization.yaml': kustomization('resources:\n  - deployment.yaml\n') });
    const head = r.commit('restore it');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(planned(p)).toEqual(['web']);
  });

  it('is planned when a symlinked folder on a referenced path is deleted', async () => {
    const r = repo();
    r.write({ 'shared/cm.yaml': configMap('linked') });
    symlinkSync('shared', path.join(r.dir, 'links'));
    r.write({ 'envs/staging/web/kustomization.yaml': kustomization('resources:\n  - ../../../bases/web\n  - ../../../links/cm.yaml\n') });
    const base = r.commit('base');
    r.remove('links');
    const head = r.commit('delete the link');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(planned(p)).toEqual(['web']);
  });

  it('is planned when a referenced file becomes a folder without a kustomization', async () => {
    const r = repo();
    const base = r.commit('base');
    r.remove('extras/cm.yaml');
    r.write({ 'extras/cm.yaml/sub/x.yaml': configMap('x') });
    const head = r.commit('file to folder');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(planned(p)).toEqual(['web']);
  });

  it('is planned when a symlink further along a chain of links changes', async () => {
    const r = repo();
    r.write({ 'x/base/kustomization.yaml': kustomization('resources:\n  - cm.yaml\n'), 'x/base/cm.yaml': configMap('old') });
    r.write({ 'shared/base/kustomization.yaml': kustomization('resources:\n  - cm.yaml\n'), 'shared/base/cm.yaml': configMap('new') });
    symlinkSync('x/base', path.join(r.dir, 'a'));
    r.write({ 'envs/staging/web/kustomization.yaml': kustomization('resources:\n  - ../../../a\n') });
    const base = r.commit('a -> x/base, a real folder');
    r.remove('x');
    symlinkSync('shared', path.join(r.dir, 'x'));
    const head = r.commit('x becomes a link to shared');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    expect(planned(p)).toEqual(['web']);
  });
});
