import { exec, ExecError, type ExecResult } from '../util/exec.js';

/** A git failure with a message safe to show: no URL credentials, no auth header. */
export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitError';
  }
}

export interface GitAuth {
  /** Full header line, e.g. `Authorization: Basic …`. Passed through the environment, never argv. */
  extraHeader?: string;
}

/**
 * Git's `GIT_CONFIG_COUNT` mechanism carries the auth header in the child's
 * environment, so it shows up neither in `ps` nor in any message built from argv.
 */
function authEnv(auth?: GitAuth): Record<string, string> {
  const env: Record<string, string> = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_ASKPASS: 'true',
  };
  if (auth?.extraHeader) {
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    env.GIT_CONFIG_VALUE_0 = auth.extraHeader;
  }
  return env;
}

/** Removes anything credential-shaped from git's own output before it is shown. */
export function redact(text: string): string {
  return text
    .replace(/(https?:\/\/)[^/@\s]+@/g, '$1***@')
    // `Authorization: Bearer x` as a header, and `"authorization": "token x"` in a dumped request.
    .replace(/(authorization"?\s*:\s*"?)(?:(?:token|bearer|basic)\s+)?[^\s",}]+/gi, '$1***')
    .replace(/(private-token"?\s*:\s*"?)[^\s",}]+/gi, '$1***')
    // Tokens by their documented prefixes, wherever they appear.
    .replace(/\b(?:gh[pousr]_|github_pat_|glpat-|gldt-|glrt-)[A-Za-z0-9_-]{6,}/g, '***');
}

export async function git(
  gitDir: string,
  args: string[],
  opts: { auth?: GitAuth; input?: string | Buffer; maxOutputBytes?: number; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<ExecResult> {
  try {
    return await exec('git', ['--git-dir', gitDir, ...args], {
      env: { ...opts.env, ...authEnv(opts.auth) },
      input: opts.input,
      maxOutputBytes: opts.maxOutputBytes ?? 512 * 1024 * 1024,
      timeoutMs: opts.timeoutMs ?? 300_000,
    });
  } catch (err) {
    if (err instanceof ExecError) {
      const detail = redact(err.stderr.trim()) || err.message;
      throw new GitError(`git ${args[0]} failed: ${detail.split('\n').slice(-3).join(' ')}`);
    }
    throw err;
  }
}

export async function gitText(gitDir: string, args: string[], opts: { auth?: GitAuth; env?: Record<string, string> } = {}): Promise<string> {
  return (await git(gitDir, args, opts)).stdout.toString('utf8');
}

/**
 * The URLs of a local repository's remotes (`remote.<name>.url` and `pushurl`): the
 * CLI's answer to which repository this is. Reads the config only, no network; none when
 * the folder has no remote or is no repository.
 */
export async function remoteURLs(dir: string): Promise<string[]> {
  try {
    const r = await exec('git', ['-C', dir, 'config', '--get-regexp', '^remote\\..*\\.(url|pushurl)$'], { env: { GIT_CONFIG_NOSYSTEM: '1' }, timeoutMs: 10_000, maxOutputBytes: 1024 * 1024 });
    const urls = r.stdout.toString('utf8').split('\n').map((l) => (l.includes(' ') ? l.slice(l.indexOf(' ') + 1).trim() : '')).filter((u) => u !== '');
    return [...new Set(urls)];
  } catch {
    // Exit 1 is "no such key"; anything else leaves the URLs unknown, as before.
    return [];
  }
}
