import { describe, expect, it } from 'vitest';
import { assertWithinApps, changedApps, planDirectoryPromotion } from '../../src/promote/directory.js';
import { Refusal } from '../../src/promote/refusal.js';
import type { TreeIndex } from '../../src/workspace/workspace.js';

const blob = (oid: string, mode = '100644') => ({ oid, mode });

function index(files: Record<string, string>): TreeIndex {
  return new Map(Object.entries(files).map(([p, oid]) => [p, blob(oid)]));
}

describe('planDirectoryPromotion', () => {
  const tree = index({
    'envs/staging/web/kustomization.yaml': 'k2',
    'envs/staging/web/deployment.yaml': 'd2',
    'envs/staging/web/new.yaml': 'n1',
    'envs/staging/web/env-patch.yaml': 'stg-patch',
    'envs/staging/api/api.yaml': 'a2',
    'envs/production/web/kustomization.yaml': 'k2',
    'envs/production/web/deployment.yaml': 'd1',
    'envs/production/web/old.yaml': 'o1',
    'envs/production/web/env-patch.yaml': 'prod-patch',
    'envs/production/web/local/override.yaml': 'prod-local',
    'envs/production/api/api.yaml': 'a1',
  });

  it('adds, changes and deletes files so the target app equals the source, except kept files', () => {
    const p = planDirectoryPromotion({ index: tree, fromPath: 'envs/staging', toPath: 'envs/production', apps: ['web'], keep: ['**/env-patch.yaml', 'web/local/**'] });
    expect(p.changes).toEqual([
      { path: 'envs/production/web/deployment.yaml', blob: blob('d2') },
      { path: 'envs/production/web/new.yaml', blob: blob('n1') },
      { path: 'envs/production/web/old.yaml', blob: null },
    ]);
    expect(p.kept).toEqual(['envs/production/web/env-patch.yaml', 'envs/production/web/local/override.yaml']);
  });

  it('never touches other apps', () => {
    const p = planDirectoryPromotion({ index: tree, fromPath: 'envs/staging', toPath: 'envs/production', apps: ['web'], keep: [] });
    expect(p.changes.some((c) => c.path.includes('/api/'))).toBe(false);
    // Without keep globs the environment-specific files are copied and extra ones deleted.
    expect(p.changes).toContainEqual({ path: 'envs/production/web/env-patch.yaml', blob: blob('stg-patch') });
    expect(p.changes).toContainEqual({ path: 'envs/production/web/local/override.yaml', blob: null });
  });

  it('creates an app that does not exist in the target yet, and is empty when already equal', () => {
    const fresh = planDirectoryPromotion({ index: index({ 'a/x/one.yaml': '1' }), fromPath: 'a', toPath: 'b', apps: ['x'], keep: [] });
    expect(fresh.changes).toEqual([{ path: 'b/x/one.yaml', blob: blob('1') }]);
    const same = planDirectoryPromotion({ index: index({ 'a/x/one.yaml': '1', 'b/x/one.yaml': '1' }), fromPath: 'a', toPath: 'b', apps: ['x'], keep: [] });
    expect(same.changes).toEqual([]);
  });

  it('a kept file the target lacks stays absent', () => {
    const p = planDirectoryPromotion({ index: index({ 'a/x/env-patch.yaml': '1', 'a/x/d.yaml': '2' }), fromPath: 'a', toPath: 'b', apps: ['x'], keep: ['**/env-patch.yaml'] });
    expect(p.changes).toEqual([{ path: 'b/x/d.yaml', blob: blob('2') }]);
    expect(p.kept).toEqual([]);
  });

  it('treats a mode change (a file becoming executable or a symlink) as a change', () => {
    const idx: TreeIndex = new Map([['a/x/s.sh', blob('1', '100755')], ['b/x/s.sh', blob('1', '100644')]]);
    expect(planDirectoryPromotion({ index: idx, fromPath: 'a', toPath: 'b', apps: ['x'], keep: [] }).changes).toEqual([{ path: 'b/x/s.sh', blob: blob('1', '100755') }]);
  });
});

describe('changedApps', () => {
  it('picks the source apps with a changed file in their folder', () => {
    const apps = [
      { name: 'web', path: 'envs/staging/web', renderer: 'kustomize' as const },
      { name: 'api', path: 'envs/staging/api', renderer: 'plain' as const },
      { name: 'web-2', path: 'envs/staging/web-2', renderer: 'plain' as const },
    ];
    expect(changedApps(apps, ['envs/staging/web/deployment.yaml', 'README.md', 'envs/production/api/a.yaml']).map((a) => a.name)).toEqual(['web']);
  });
});

describe('promotion app names', () => {
  it('an app name with `..` (as an earlier promotion PR body could carry) cannot reach another environment', () => {
    const idx = index({ 'envs/staging/web/a.yaml': 'a'.repeat(40), 'envs/prod/eu/web/a.yaml': 'b'.repeat(40), 'envs/prod/us/web/a.yaml': 'c'.repeat(40) });
    for (const app of ['x/../../us/web', '../us/web', '/web', 'web/', '']) {
      expect(() => planDirectoryPromotion({ index: idx, fromPath: 'envs/staging', toPath: 'envs/prod/eu', apps: [app], keep: [] })).toThrow(Refusal);
      expect(() => assertWithinApps([{ path: 'envs/prod/us/web/a.yaml', blob: null }], 'envs/prod/eu', [app])).toThrow(Refusal);
    }
    expect(planDirectoryPromotion({ index: idx, fromPath: 'envs/staging', toPath: 'envs/prod/eu', apps: ['web'], keep: [] }).changes).toEqual([
      { path: 'envs/prod/eu/web/a.yaml', blob: { mode: '100644', oid: 'a'.repeat(40) } },
    ]);
  });
});
