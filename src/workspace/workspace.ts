import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { minimalEnv } from '../util/exec.js';
import { git, GitError, gitText, type GitAuth } from './git.js';

export interface TreeEntry {
  mode: string;
  oid: string;
}

/** Every blob of a commit: repository-relative path → mode and object id. */
export type TreeIndex = Map<string, TreeEntry>;

export interface Tree {
  sha: string;
  /** A private directory holding the commit's files; removed by dispose(). */
  dir: string;
  index: TreeIndex;
  dispose(): Promise<void>;
}

export interface WorkspaceOptions {
  /** Where mirrors of remote repositories are kept; reused across runs. */
  cacheDir: string;
  auth?: GitAuth;
}

const fetchLocks = new Map<string, Promise<unknown>>();

/** Serializes work on one git directory inside this process; git's own ref locks cover other processes. */
async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = fetchLocks.get(key) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  fetchLocks.set(key, next.catch(() => undefined));
  return next;
}

function isRemote(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^[^/]+@[^/]+:/.test(source);
}

/**
 * One repository as git objects: a local checkout used in place, or a cached bare
 * mirror of a remote fetched incrementally. Commits are materialized into private
 * temporary folders, so concurrent plans never share a working tree.
 */
export class Workspace {
  private constructor(
    readonly gitDir: string,
    private readonly remote: string | null,
    private readonly auth: GitAuth | undefined,
  ) {}

  static async open(source: string, opts: WorkspaceOptions): Promise<Workspace> {
    if (isRemote(source) || source.endsWith('.git') && !existsSync(path.join(source, '.git'))) {
      // Local bare repositories are treated like remotes too: the bot sees them as clone URLs.
      const key = createHash('sha256').update(source).digest('hex').slice(0, 16);
      const gitDir = path.join(opts.cacheDir, 'mirrors', `${key}.git`);
      if (!existsSync(path.join(gitDir, 'HEAD'))) {
        await mkdir(path.dirname(gitDir), { recursive: true });
        await withLock(gitDir, async () => {
          if (existsSync(path.join(gitDir, 'HEAD'))) return;
          await mkdir(gitDir, { recursive: true });
          await git(gitDir, ['init', '--bare', '--quiet']);
          await git(gitDir, ['config', 'remote.origin.url', source]);
          await git(gitDir, ['config', 'gc.auto', '0']);
        });
      }
      const ws = new Workspace(gitDir, source, opts.auth);
      return ws;
    }
    let gitDir: string;
    try {
      gitDir = (await gitText(path.join(source, '.git'), ['rev-parse', '--absolute-git-dir']).catch(() =>
        gitText(source, ['rev-parse', '--absolute-git-dir']),
      )).trim();
    } catch {
      throw new GitError(`${source} is not a git repository`);
    }
    return new Workspace(gitDir, null, undefined);
  }

  /** Fetches branches, tags and any extra refspecs from the remote (no-op for a local checkout). */
  async fetch(extraRefspecs: string[] = []): Promise<void> {
    if (!this.remote) return;
    await withLock(this.gitDir, () =>
      git(
        this.gitDir,
        [
          'fetch', '--quiet', '--prune', '--no-tags', 'origin',
          '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*', ...extraRefspecs,
        ],
        { auth: this.auth },
      ),
    );
  }

  /** Resolves a ref or SHA to a commit SHA, with a message a user can act on. */
  async resolve(ref: string): Promise<string> {
    if (ref.startsWith('-')) throw new GitError(`invalid ref "${ref}"`);
    try {
      return (await gitText(this.gitDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
    } catch {
      throw new GitError(`ref "${ref}" does not exist in the repository`);
    }
  }

  async changedFiles(base: string, head: string): Promise<string[]> {
    const out = await gitText(this.gitDir, ['diff', '--name-only', '--no-renames', '-z', base, head]);
    return out.split('\0').filter(Boolean);
  }

  async listTree(sha: string): Promise<TreeIndex> {
    const out = await gitText(this.gitDir, ['ls-tree', '-r', '-z', '--full-tree', sha]);
    const index: TreeIndex = new Map();
    for (const rec of out.split('\0')) {
      if (!rec) continue;
      const tab = rec.indexOf('\t');
      const [mode, type, oid] = rec.slice(0, tab).split(' ');
      if (type !== 'blob' || !mode || !oid) continue; // submodules (commit) carry no files
      index.set(rec.slice(tab + 1), { mode, oid });
    }
    return index;
  }

  async readBlob(oid: string): Promise<Buffer> {
    return (await git(this.gitDir, ['cat-file', 'blob', oid])).stdout;
  }

  /** Writes the commit's files into a fresh private directory. */
  async materialize(sha: string, tmpRoot = tmpdir()): Promise<Tree> {
    const index = await this.listTree(sha);
    const dir = await mkdtemp(path.join(tmpRoot, 'ferry-tree-'));
    try {
      await extractArchive(this.gitDir, sha, dir);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return { sha, dir, index, dispose: () => rm(dir, { recursive: true, force: true }) };
  }
}

function extractArchive(gitDir: string, sha: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = minimalEnv({ GIT_CONFIG_NOSYSTEM: '1' });
    const archive = spawn('git', ['--git-dir', gitDir, 'archive', '--format=tar', sha], { env });
    const tar = spawn('tar', ['-x', '--no-same-owner', '--no-same-permissions', '-C', dir], { env });
    let err = '';
    archive.stderr.on('data', (c: Buffer) => (err += c.toString()));
    tar.stderr.on('data', (c: Buffer) => (err += c.toString()));
    archive.stdout.pipe(tar.stdin);
    let pending = 2;
    let failed = false;
    const done = (code: number | null) => {
      if (code !== 0) failed = true;
      if (--pending === 0) {
        if (failed) reject(new GitError(`could not materialize ${sha.slice(0, 12)}: ${err.trim()}`));
        else resolve();
      }
    };
    archive.on('close', done);
    tar.on('close', done);
    archive.on('error', () => done(1));
    tar.on('error', () => done(1));
  });
}

export async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}
