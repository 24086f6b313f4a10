/**
 * Git bombs (issue 8, item 9): a few megabytes of repository that expand to hundreds of
 * megabytes of YAML. Sizes are read from object headers before any content, and what is
 * over a limit is a finding on the PR; the plan still completes for everything else.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import type { Plan } from '../../src/types.js';
import { Workspace } from '../../src/workspace/workspace.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cleanups: Array<() => void> = [];
const cacheDir = tempDir('ferry-cache-');
cleanups.push(() => rmSync(cacheDir, { recursive: true, force: true }));
afterAll(() => cleanups.forEach((c) => c()));

const MiB = 1024 * 1024;
const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: b\n`;

/** Writes a blob of `bytes` highly compressible YAML straight into git (no file on disk) and stages it at `p`. */
function stageBomb(r: TestRepo, p: string, bytes: number): void {
  const line = '- aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n';
  const body = Buffer.alloc(bytes, line);
  body.write(`# ${p}\n`);
  const oid = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: r.dir, input: body, maxBuffer: 1 << 20 }).toString().trim();
  r.git('update-index', '--add', '--cacheinfo', `100644,${oid},${p}`);
}

function commitStaged(r: TestRepo, message: string): string {
  r.git('commit', '--quiet', '-m', message);
  return r.git('rev-parse', 'HEAD').trim();
}

function repo(): TestRepo {
  const r = new TestRepo().write({
    '.github/ferry.yml': 'environments:\n  - name: staging\n    path: apps\n',
    'apps/ok/cm.yaml': cm('ok'),
    'apps/web/kustomization.yaml': 'resources: [cm.yaml]\n',
    'apps/web/cm.yaml': cm('web'),
  });
  cleanups.push(() => r.cleanup());
  return r;
}

const allFindings = (p: Plan) => [...p.findings, ...p.environments.flatMap((e) => e.apps.flatMap((a) => a.findings))];

describe('git bombs', () => {
  it('a 100 MiB blob of YAML in a plain app, a kustomize app and outside any app is a finding, not a read', async () => {
    const r = repo();
    const base = r.commit('base');
    r.write({ 'apps/fine/cm.yaml': cm('fine'), 'apps/web/kustomization.yaml': 'resources: [cm.yaml, bomb.yaml]\n' });
    r.git('add', '-A');
    stageBomb(r, 'apps/ok/bomb.yaml', 100 * MiB);
    stageBomb(r, 'apps/web/bomb.yaml', 100 * MiB);
    // Not in any app folder: discovery reads it to decide whether it is one.
    stageBomb(r, 'apps/loose/bomb.yaml', 100 * MiB);
    const head = commitStaged(r, 'bombs');
    // The repository stays small: the attack is the expansion.
    const packed = Number(execFileSync('du', ['-sk', `${r.dir}/.git`]).toString().split('\t')[0]) * 1024;
    expect(packed).toBeLessThan(5 * MiB);

    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const tooLarge = allFindings(p).filter((f) => f.rule === 'file-too-large');
    expect(tooLarge.map((f) => f.file).sort()).toEqual(['apps/loose/bomb.yaml', 'apps/ok/bomb.yaml', 'apps/web/bomb.yaml']);
    expect(tooLarge[0]!.message).toMatch(/100 MiB; Ferry (reads|renders) files up to 64 MiB/);
    // Everything else is still planned.
    const fine = p.environments[0]!.apps.find((a) => a.name === 'fine')!;
    expect(fine.changes.map((c) => `${c.action} ${c.name}`)).toEqual(['added fine']);
  });

  it('many files each under the file limit stop at the per-commit read budget', async () => {
    const r = repo();
    const first = r.commit('base');
    for (let i = 0; i < 12; i++) stageBomb(r, `apps/many/f${i}.yaml`, 1 * MiB);
    const head = commitStaged(r, 'many');
    const ws = await Workspace.open(r.dir, { cacheDir });
    const tree = await ws.openTree(head, { limits: { maxBlobBytes: 2 * MiB, maxTreeBytes: 8 * MiB, maxRenderBytes: 8 * MiB, maxLinkedFiles: 10, maxRenderFiles: 1000 } });
    cleanups.push(() => void tree.dispose());
    const paths = [...tree.index.keys()].filter((p) => p.startsWith('apps/many/'));
    await tree.preload(paths);
    let read = 0;
    let refused = 0;
    for (const p of paths) {
      try {
        read += tree.read(p).length;
      } catch (err) {
        expect((err as Error).message).toMatch(/limit is 8\.0 MiB/);
        refused++;
      }
    }
    expect(read).toBeLessThanOrEqual(8 * MiB);
    expect(refused).toBe(12 - read / MiB);
    expect(refused).toBeGreaterThan(0);
    // A render's files are checked before any is written.
    const files = await tree.expand(paths);
    expect(files.problems.map((x) => x.message).join('\n')).toMatch(/this render needs 12 MiB of files; the limit is 8\.0 MiB/);
    expect(first).toBeTruthy();
  });
});
