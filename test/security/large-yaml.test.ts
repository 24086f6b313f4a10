// Issue 8, item 14: a huge plain YAML file must not crash the plan.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/bin.js';
import { configMap } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const run = promisify(execFile);

const cacheDir = tempDir('ferry-cache-');
// Test repositories live in temp folders that test/setup.ts removes after the file.
const repo = (files: Record<string, string>): TestRepo => new TestRepo().write(files);
const CM = configMap;

describe('a plain YAML file with 120,000 documents (issue 8, item 14)', () => {
  // `push(...items)` puts every item on the stack, so whether 120,000 of them fit depends
  // on how deep the caller is: at Node's default (984 KB) this plan fits by a few KB. The
  // child runs with a little less stack, as a deeper call site has, so the test does not
  // depend on luck; with loops instead of spreads the size of the stack does not matter.
  it('plans to completion: no argument-spread RangeError', async () => {
    // The app is new at head, so every head resource is "added"; an unknown field gives
    // every document a finding. (A base file that does not parse no longer serves: its
    // resources are unknown, so the diff leaves the file out.)
    const r = repo({ '.github/ferry.yml': 'environments:\n  - name: staging\n    path: envs/staging\n', 'README.md': 'no app yet\n' });
    const base = r.commit('initial');
    const docs: string[] = [];
    for (let i = 0; i < 120_000; i++) docs.push(CM(`cm-${i}`) + 'extra: 1\n');
    r.write({ 'envs/staging/many/many.yaml': docs.join('---\n') });
    const head = r.commit('many');
    const child = path.join(REPO_ROOT, 'test', 'helpers', 'plan-child.ts');
    const { stdout } = await run(process.execPath, ['--stack-size=800', '--import', 'tsx', child, r.dir, base, head, cacheDir], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
      // tsx would leave its compile cache in the temp folder.
      env: { ...process.env, TSX_DISABLE_CACHE: '1' },
    });
    const out = JSON.parse(stdout) as { summary: { added: number; errors: number }; apps: Array<{ status: string; changes: number }> };
    expect(out.apps).toEqual([{ name: 'many', status: 'rendered', changes: 120_000 }]);
    expect(out.summary).toMatchObject({ added: 120_000, errors: 120_000 });
  }, 180_000);
});
