import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { main, type CliIO } from '../../src/cli.js';
import { REPO_ROOT } from '../helpers/bin.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

export const CLI_SOURCE = path.join(REPO_ROOT, 'src', 'cli.ts');
/** tsx's loader by path: the child may run in a repository far from node_modules. */
const TSX = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export interface Run { code: number; out: string; err: string }

/** The CLI in this process, with a terminal or not as the test says. */
export async function ferry(args: string[], io: Partial<CliIO> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const cacheDir = tempDir('ferry-cli-cache-');
  const code = await main([...args, ...(args[0] === 'plan' || args[0] === 'validate' ? ['--cache-dir', cacheDir] : [])], {
    out: (s) => (out += s),
    err: (s) => (err += s),
    outIsTTY: false,
    errIsTTY: false,
    env: {},
    ...io,
  });
  return { code, out, err };
}

/** The real CLI as a child process (stdout and stderr are pipes, not a terminal). */
export function ferryChild(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, CLI_SOURCE, ...args],
      { cwd: opts.cwd ?? REPO_ROOT, env: { ...process.env, FERRY_CACHE_DIR: tempDir('ferry-cli-cache-'), ...opts.env }, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, out: stdout, err: stderr });
      },
    );
  });
}

const cm = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: ${value}\n`;

/**
 * A GitOps repository: apps app-1, app-2 and app-10 under apps/, plain YAML. `main` has
 * one commit; `feature` changes app-2.
 */
export function smallRepo(config = 'environments:\n  - name: prod\n    path: apps\n'): { r: TestRepo; first: string; feature: string } {
  const r = new TestRepo();
  r.write({
    '.github/ferry.yml': config,
    'apps/app-1/cm.yaml': cm('one', 'v'),
    'apps/app-2/cm.yaml': cm('two', 'v'),
    'apps/app-10/cm.yaml': cm('ten', 'v'),
  });
  const first = r.commit('apps');
  r.git('checkout', '--quiet', '-b', 'feature');
  r.write({ 'apps/app-2/cm.yaml': cm('two', 'w') });
  const feature = r.commit('change app-2');
  r.git('checkout', '--quiet', 'main');
  return { r, first, feature };
}

export { cm };
