import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../helpers/bin.js';
import { tempDir } from '../helpers/gitrepo.js';

const TSX = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
export const CI_ENTRY = path.join(REPO_ROOT, 'src', 'ci', 'main.ts');

export interface ChildRun { code: number; out: string; err: string }

/**
 * `ferry-ci <platform>` as a child process with only the environment a CI system would
 * give it: nothing of the test runner's own CI variables or tokens leaks in.
 */
export function ferryCi(platform: 'github' | 'gitlab', env: Record<string, string>, cwd: string): Promise<ChildRun> {
  const base: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'FERRY_SANDBOX', 'TSX_DISABLE_CACHE']) if (process.env[k] !== undefined) base[k] = process.env[k]!;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, CI_ENTRY, platform],
      { cwd, env: { ...base, FERRY_CACHE_DIR: tempDir('ferry-ci-cache-'), ...env }, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out: stdout, err: stderr }),
    );
  });
}
