import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exec, minimalEnv } from '../util/exec.js';
import { BlobStore } from './blobs.js';
import { ObjectReader } from './object-reader.js';
import { defaultReadLimits, mib, ReadLimitError, type ReadLimits } from './limits.js';
import { escapeMessage, hasControlChars, isForbiddenRenderPath, isUnsafePath, resolveInTree, SYMLINK_MODE } from './links.js';
import { git, GitError, gitText, type GitAuth } from './git.js';

export interface TreeEntry {
  mode: string;
  oid: string;
}

/** Every blob of a commit: repository-relative path → mode and object id. */
export type TreeIndex = Map<string, TreeEntry>;

/** Something a render asked for that Ferry does not write, with the reason. */
export interface MaterializeProblem {
  path: string;
  rule: 'path-escape' | 'file-too-large' | 'path-invalid';
  message: string;
}

/** Files to write for a render: links already replaced by the in-repository content they name. */
export interface FilePlan {
  files: Array<{ path: string; oid: string }>;
  problems: MaterializeProblem[];
}

/**
 * One commit, read lazily from git objects. Files are written to the private folder
 * `dir` only when a renderer needs them on disk: writing a whole monorepo costs seconds,
 * reading its blobs a fraction of that.
 */
export interface Tree {
  sha: string;
  /** A private directory; only materialized paths exist in it. Removed by dispose(). */
  dir: string;
  index: TreeIndex;
  /**
   * Loads blobs into memory in one batch so later read() calls are cheap, for the whole
   * life of the tree; skips what is over a limit.
   */
  preload(paths: Iterable<string>): Promise<void>;
  /** Like preload, but into the store's bounded part: cheap reads soon, not held for good. */
  prefetch(paths: Iterable<string>): Promise<void>;
  /**
   * Hands each file's content to `fn`, one at a time and keeping none of them: a pass
   * over a whole commit without holding it. The buffer is valid only during the call.
   * Files over a limit are skipped (read() reports them).
   */
  scan(paths: Iterable<string>, fn: (path: string, data: Buffer) => void): Promise<void>;
  /** Sizes of these files from object headers, without reading them. */
  sizes(paths: Iterable<string>): Promise<Map<string, number>>;
  /** A file's content (preloaded, or read from git on demand); throws ReadLimitError over a limit. */
  read(path: string): Buffer;
  /**
   * What writing these paths means: regular files as they are, symlinks as copies of the
   * file or folder they resolve to inside the repository (never as links), git and tool
   * configuration left out, sizes checked.
   */
  expand(paths: Iterable<string>): Promise<FilePlan>;
  /** Writes an expanded plan into `dir` as regular files. */
  materialize(plan: FilePlan): Promise<void>;
  dispose(): Promise<void>;
}

/** Who a commit Ferry makes is authored and committed by. */
export interface Identity {
  name: string;
  email: string;
}

/** One file in a commit Ferry builds: the blob to write, or null to delete the file. */
export interface FileChange {
  path: string;
  blob: TreeEntry | null;
}

/** A branch update for push(): `sha` null deletes; `expected` null means the branch must not exist yet. */
export interface RefUpdate {
  branch: string;
  sha: string | null;
  expected: string | null;
}

export interface WorkspaceOptions {
  /** Where mirrors of remote repositories are kept; reused across runs. */
  cacheDir: string;
  auth?: GitAuth;
}

const fetchLocks = new Map<string, Promise<unknown>>();

/** Recent commit listings (least recently used first), by git directory and commit. */
const listings = new Map<string, Promise<{ index: TreeIndex; sizes: Map<string, number> }>>();
const MAX_LISTINGS = 4;

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
/** Edit distance counting a swap of two neighbours as one edit ("mian" is one from "main"). */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Up to three names within a third of the asked name's length in edits (at least 1, at most 3). */
export function nearestNames(asked: string, names: string[]): string[] {
  const max = Math.min(3, Math.max(1, Math.floor(asked.length / 3)));
  return names
    .map((n) => ({ n, d: distance(asked.toLowerCase(), n.toLowerCase(), max) }))
    .filter((x) => x.d <= max)
    .sort((x, y) => x.d - y.d || x.n.localeCompare(y.n))
    .slice(0, 3)
    .map((x) => x.n);
}

async function execText(cmd: string, args: string[]): Promise<string> {
  return (await exec(cmd, args, { timeoutMs: 30_000 })).stdout.toString('utf8');
}

export class Workspace {
  private constructor(
    readonly gitDir: string,
    private readonly remote: string | null,
    private readonly auth: GitAuth | undefined,
  ) {}


  static async open(source: string, opts: WorkspaceOptions): Promise<Workspace> {
    if (isRemote(source) || (source.endsWith('.git') && !existsSync(path.join(source, '.git')))) {
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
      ).catch(() =>
        // A folder inside a checkout: git finds the repository upwards, as it does for a user.
        execText('git', ['-C', source, 'rev-parse', '--absolute-git-dir']),
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
      throw new GitError(`ref "${ref}" does not exist in the repository${await this.missingRefHint(ref)}`);
    }
  }

  /** What a user can do about a missing ref: the nearest names, and how to fetch it. */
  private async missingRefHint(ref: string): Promise<string> {
    const [refs, shallow] = await Promise.all([
      gitText(this.gitDir, ['for-each-ref', '--format=%(refname:short)', 'refs/heads', 'refs/remotes', 'refs/tags']).catch(() => ''),
      gitText(this.gitDir, ['rev-parse', '--is-shallow-repository']).catch(() => 'false'),
    ]);
    const near = nearestNames(ref, refs.split('\n').filter((r) => r && !r.endsWith('/HEAD')));
    let hint = near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : '';
    if (shallow.trim() === 'true') {
      hint += `\nThis is a shallow clone: fetch the history (git fetch --unshallow) or the ref itself (git fetch origin ${ref.replace(/^origin\//, '')}).`;
    } else if (!near.length && !this.remote) {
      hint += `\nIf it is a branch on the remote, fetch it first (git fetch origin ${ref.replace(/^origin\//, '')}).`;
    }
    return hint;
  }

  /** The best common ancestor; the base itself when histories are unrelated. */
  async mergeBase(base: string, head: string): Promise<string> {
    try {
      return (await gitText(this.gitDir, ['merge-base', base, head])).trim() || base;
    } catch {
      return base;
    }
  }

  async changedFiles(base: string, head: string): Promise<string[]> {
    const out = await gitText(this.gitDir, ['diff', '--name-only', '--no-renames', '-z', base, head]);
    return out.split('\0').filter(Boolean);
  }

  async listTree(sha: string): Promise<TreeIndex> {
    return (await this.listTreeSized(sha)).index;
  }

  /**
   * The listing with every blob's size (`ls-tree -l`): sizes come with the listing, so
   * a render's size checks cost no extra git process.
   */
  private listTreeSized(sha: string): Promise<{ index: TreeIndex; sizes: Map<string, number> }> {
    // A commit's listing never changes: re-plans of a PR list its base once. (Shared:
    // nobody changes an index; sizes only gain blob sizes, which are facts too.)
    if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(sha)) return this.listTreeUncached(sha); // a ref moves
    const key = `${this.gitDir}\0${sha}`;
    let hit = listings.get(key);
    if (hit) {
      listings.delete(key);
    } else {
      hit = this.listTreeUncached(sha);
      hit.catch(() => listings.delete(key));
      if (listings.size >= MAX_LISTINGS) listings.delete(listings.keys().next().value!);
    }
    listings.set(key, hit);
    return hit;
  }

  private async listTreeUncached(sha: string): Promise<{ index: TreeIndex; sizes: Map<string, number> }> {
    const out = await gitText(this.gitDir, ['ls-tree', '-r', '-l', '-z', '--full-tree', sha]);
    const index: TreeIndex = new Map();
    const sizes = new Map<string, number>();
    // Read by position, not by a regular expression per record: a monorepo lists tens of
    // thousands of files, on both sides of every plan.
    for (const rec of out.split('\0')) {
      const tab = rec.indexOf('\t');
      const sp = rec.indexOf(' ');
      // `<mode> <type> <oid> <size, padded>`; submodules (commit) carry no files.
      if (tab < 0 || sp < 0 || !rec.startsWith(' blob ', sp)) continue;
      const end = rec.indexOf(' ', sp + 6);
      const oid = rec.slice(sp + 6, end);
      index.set(rec.slice(tab + 1), { mode: rec.slice(0, sp), oid });
      sizes.set(oid, Number(rec.slice(end, tab)));
    }
    return { index, sizes };
  }

  /** The first of `paths` present at a commit, with its content; one ls-tree of those paths only. */
  async firstFile(sha: string, paths: string[]): Promise<{ path: string; data: Buffer } | null> {
    const out = await gitText(this.gitDir, ['ls-tree', '-z', '--full-tree', sha, '--', ...paths]);
    const present = new Map<string, string>();
    for (const rec of out.split('\0')) {
      const tab = rec.indexOf('\t');
      const [, type, oid] = rec.slice(0, tab).split(' ');
      if (type === 'blob' && oid) present.set(rec.slice(tab + 1), oid);
    }
    const found = paths.find((p) => present.has(p));
    if (!found) return null;
    return { path: found, data: (await git(this.gitDir, ['cat-file', 'blob', present.get(found)!])).stdout };
  }

  /** The commit a branch points at in this repository (the mirror after fetch()), or null. */
  async branchSha(branch: string): Promise<string | null> {
    try {
      return (await gitText(this.gitDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`])).trim() || null;
    } catch {
      return null;
    }
  }

  async isAncestor(ancestor: string, of: string): Promise<boolean> {
    try {
      await git(this.gitDir, ['merge-base', '--is-ancestor', ancestor, of]);
      return true;
    } catch {
      return false;
    }
  }

  /** A commit's tree and parents. */
  async commitInfo(sha: string): Promise<{ tree: string; parents: string[] }> {
    const [tree = '', ...parents] = (await gitText(this.gitDir, ['show', '-s', '--format=%T %P', sha])).trim().split(/\s+/);
    return { tree, parents: parents.filter(Boolean) };
  }

  /** When the newest commit reachable from `sha` touching `paths` was committed (all paths when empty). */
  async lastChangeTime(sha: string, paths: string[] = []): Promise<Date | null> {
    const out = (await gitText(this.gitDir, ['log', '-1', '--format=%ct', sha, '--', ...paths])).trim();
    return out ? new Date(Number(out) * 1000) : null;
  }

  /**
   * A new commit on `parent` with these file changes, built in a private index file:
   * no working tree is written and concurrent jobs never share an index.
   */
  async commitChanges(parent: string, changes: FileChange[], message: string, who: Identity): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-index-'));
    const env = { GIT_INDEX_FILE: path.join(dir, 'index') };
    try {
      await git(this.gitDir, ['read-tree', parent], { env });
      // Deletions first, so a file replaced by a folder of the same name frees its path.
      const ordered = [...changes.filter((c) => !c.blob), ...changes.filter((c) => c.blob)];
      const bad = ordered.find((c) => hasControlChars(c.path) || c.path.startsWith('/') || c.path.split('/').some((x) => x === '..' || x === '.' || x === ''));
      if (bad) throw new GitError(`refusing to commit the path ${JSON.stringify(bad.path)}`);
      // NUL-terminated records: a path can hold any byte but NUL, a newline included, and
      // a newline-separated list would let one path forge another record.
      const info = ordered.map((c) => (c.blob ? `${c.blob.mode} ${c.blob.oid}\t${c.path}` : `0 ${'0'.repeat(40)}\t${c.path}`)).join('\0');
      if (info) await git(this.gitDir, ['update-index', '-z', '--index-info'], { env, input: info + '\0' });
      const tree = (await gitText(this.gitDir, ['write-tree'], { env })).trim();
      return (await gitText(this.gitDir, ['commit-tree', tree, '-p', parent, '-m', message], { env: identityEnv(who) })).trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Updates branches on the remote with a lease: each must still be where `expected`
   * says, so two writers never overwrite each other's work unknowingly.
   */
  async push(updates: RefUpdate[]): Promise<void> {
    if (!this.remote) throw new GitError('pushing needs a remote repository');
    const args = ['push', '--quiet', '--atomic', 'origin'];
    for (const u of updates) args.push(`--force-with-lease=refs/heads/${u.branch}:${u.expected ?? ''}`);
    for (const u of updates) args.push(`${u.sha ?? ''}:refs/heads/${u.branch}`);
    await withLock(this.gitDir, () => git(this.gitDir, args, { auth: this.auth }));
  }

  /**
   * Opens a commit as a lazily read tree with its own private folder.
   * `blobs` is shared with other trees of one plan (base and head hold mostly the same
   * blobs); by default a tree has its own, freed with it.
   */
  /**
   * `objects` reads blobs for trees that share it (base and head of a plan); its owner
   * closes it. By default a tree has its own, closed by dispose().
   */
  async openTree(sha: string, opts: { tmpRoot?: string; limits?: ReadLimits; blobs?: BlobStore; objects?: ObjectReader } = {}): Promise<Tree> {
    const { index, sizes } = await this.listTreeSized(sha);
    const dir = await mkdtemp(path.join(opts.tmpRoot ?? tmpdir(), 'ferry-tree-'));
    return new LazyTree(this.gitDir, sha, dir, index, opts.limits ?? defaultReadLimits(), sizes, opts.blobs ?? new BlobStore(), opts.objects ?? new ObjectReader(this.gitDir), !opts.objects);
  }
}

function identityEnv(who: Identity): Record<string, string> {
  return { GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email };
}

class LazyTree implements Tree {
  private readonly knownSizes: Map<string, number>;
  private readonly written = new Map<string, Promise<void>>();
  private bytesRead = 0;
  /** Blobs counted in bytesRead: one dropped from the store and read again is not counted twice. */
  private readonly counted = new Set<string>();
  private dirs: Set<string> | null = null;

  constructor(
    private readonly gitDir: string,
    readonly sha: string,
    readonly dir: string,
    readonly index: TreeIndex,
    private readonly limits: ReadLimits,
    sizes: Map<string, number> = new Map(),
    /** Blob contents, shared with the other tree of a plan: a blob it read is not read (or counted) again. */
    private readonly blobs: BlobStore,
    private readonly objects: ObjectReader,
    private readonly ownsObjects: boolean,
  ) {
    this.knownSizes = sizes;
  }

  private async knowSizes(oids: Iterable<string>): Promise<void> {
    const unknown = [...oids].filter((o) => !this.knownSizes.has(o) && !this.blobs.has(o));
    for (const [oid, size] of await this.objects.sizes(unknown)) this.knownSizes.set(oid, size);
  }

  async sizes(paths: Iterable<string>): Promise<Map<string, number>> {
    const entries = [...paths].flatMap((p) => {
      const e = this.index.get(p);
      return e ? [[p, e.oid] as const] : [];
    });
    await this.knowSizes(entries.map(([, oid]) => oid));
    return new Map(entries.map(([p, oid]) => [p, this.knownSizes.get(oid) ?? this.blobs.get(oid)?.length ?? 0]));
  }

  /** Why a blob may not be read now, or null. */
  private refusal(oid: string, p: string, size: number): ReadLimitError | null {
    if (size > this.limits.maxBlobBytes) {
      return new ReadLimitError(p, 'file', `${p} is ${mib(size)}; Ferry reads files up to ${mib(this.limits.maxBlobBytes)} and did not read it`);
    }
    if (!this.counted.has(oid) && this.bytesRead + size > this.limits.maxTreeBytes) {
      return new ReadLimitError(p, 'commit', `${p} not read: this plan already read ${mib(this.bytesRead)} of the commit, the limit is ${mib(this.limits.maxTreeBytes)}`);
    }
    return null;
  }

  /** The blobs of `paths` not in the store and within the limits (what is over one is left for read() to refuse). */
  private async readable(paths: Iterable<string>): Promise<Map<string, string>> {
    const wanted = new Map<string, string>();
    for (const p of paths) {
      const e = this.index.get(p);
      if (e && !this.blobs.has(e.oid)) wanted.set(e.oid, p);
    }
    await this.knowSizes(wanted.keys());
    const out = new Map<string, string>();
    let planned = 0;
    for (const [oid, p] of wanted) {
      const size = this.knownSizes.get(oid) ?? 0;
      const fresh = !this.counted.has(oid);
      if (size > this.limits.maxBlobBytes || (fresh && this.bytesRead + planned + size > this.limits.maxTreeBytes)) continue;
      if (fresh) planned += size;
      out.set(oid, p);
    }
    return out;
  }

  async preload(paths: Iterable<string>): Promise<void> {
    const list = [...paths];
    for (const p of list) {
      // Already read, but droppable: held for good now.
      const oid = this.index.get(p)?.oid;
      const held = oid === undefined || this.blobs.pinned.has(oid) ? undefined : this.blobs.get(oid);
      if (held) this.blobs.pin(oid!, held);
    }
    const oids = await this.readable(list);
    for (const [oid, data] of await this.objects.read([...oids.keys()])) this.keep(oid, data, true);
  }

  async prefetch(paths: Iterable<string>): Promise<void> {
    const oids = await this.readable(paths);
    await this.objects.stream([...oids.keys()], (oid, data) => this.keep(oid, data, false));
  }

  async scan(paths: Iterable<string>, fn: (path: string, data: Buffer) => void): Promise<void> {
    const list = [...paths];
    const missing = await this.readable(list);
    const byOid = new Map<string, string[]>();
    for (const p of list) {
      const e = this.index.get(p);
      if (!e) continue;
      const held = this.blobs.get(e.oid);
      if (held) fn(p, held);
      else if (missing.has(e.oid)) {
        const ps = byOid.get(e.oid);
        if (ps) ps.push(p);
        else byOid.set(e.oid, [p]);
      }
    }
    await this.objects.stream(
      [...byOid.keys()],
      (oid, data) => {
        this.count(oid, data.length);
        for (const p of byOid.get(oid)!) fn(p, data);
      },
      true,
    );
  }

  private count(oid: string, size: number): void {
    if (this.counted.has(oid)) return;
    this.counted.add(oid);
    this.bytesRead += size;
  }

  private keep(oid: string, data: Buffer, pin: boolean): void {
    this.count(oid, data.length);
    if (pin) this.blobs.pin(oid, data);
    else this.blobs.put(oid, data);
  }

  read(p: string): Buffer {
    const e = this.index.get(p);
    if (!e) throw new GitError(`${p} does not exist at ${this.sha.slice(0, 12)}`);
    let data = this.blobs.get(e.oid);
    if (!data) {
      let size = this.knownSizes.get(e.oid);
      if (size === undefined) {
        size = Number(execFileSync('git', ['--git-dir', this.gitDir, 'cat-file', '-s', e.oid], { env: minimalEnv() }).toString().trim());
        this.knownSizes.set(e.oid, size);
      }
      const refused = this.refusal(e.oid, p, size);
      if (refused) throw refused;
      data = execFileSync('git', ['--git-dir', this.gitDir, 'cat-file', 'blob', e.oid], { env: minimalEnv(), maxBuffer: size + 1024 });
      this.keep(e.oid, data, false);
    }
    return data;
  }

  private isDir(p: string): boolean {
    if (!this.dirs) {
      this.dirs = new Set();
      for (const f of this.index.keys()) {
        for (let i = f.indexOf('/'); i >= 0; i = f.indexOf('/', i + 1)) this.dirs.add(f.slice(0, i));
      }
    }
    return this.dirs.has(p);
  }

  private resolve(p: string) {
    return resolveInTree(this.index, (d) => this.isDir(d), (l) => this.read(l).toString('utf8'), p);
  }

  async expand(paths: Iterable<string>): Promise<FilePlan> {
    const files = new Map<string, string>();
    const problems: MaterializeProblem[] = [];
    const links: string[] = [];
    for (const p of paths) {
      const e = this.index.get(p);
      if (!e || isForbiddenRenderPath(p)) continue;
      if (isUnsafePath(p)) {
        problems.push({ path: p, rule: 'path-invalid', message: `a file name with control characters or \`..\` components is not written for a render: ${JSON.stringify(p)}` });
        continue;
      }
      if (e.mode === SYMLINK_MODE) links.push(p);
      else files.set(p, e.oid);
    }
    if (links.length) await this.preload(links);
    for (const link of links) {
      this.expandLink(link, files, problems);
      if (files.size > this.limits.maxRenderFiles) break;
    }
    if (files.size > this.limits.maxRenderFiles) {
      problems.push({ path: '', rule: 'file-too-large', message: `this render needs more than ${this.limits.maxRenderFiles} files (symlinked folders included); Ferry does not write them` });
      return { files: [], problems };
    }
    await this.knowSizes(files.values());
    let total = 0;
    for (const [p, oid] of files) {
      const size = this.knownSizes.get(oid) ?? 0;
      if (size > this.limits.maxBlobBytes) {
        problems.push({ path: p, rule: 'file-too-large', message: `${p} is ${mib(size)}; Ferry renders files up to ${mib(this.limits.maxBlobBytes)}` });
        files.delete(p);
      } else total += size;
    }
    if (total > this.limits.maxRenderBytes) {
      problems.push({ path: '', rule: 'file-too-large', message: `this render needs ${mib(total)} of files; the limit is ${mib(this.limits.maxRenderBytes)}` });
    }
    return { files: [...files].map(([path, oid]) => ({ path, oid })), problems };
  }

  /** A link becomes a copy of what it names inside the repository: a file, or every file of a folder. */
  private expandLink(link: string, files: Map<string, string>, problems: MaterializeProblem[]): void {
    let r;
    try {
      r = this.resolve(link);
    } catch (err) {
      if (err instanceof ReadLimitError) {
        problems.push({ path: link, rule: 'file-too-large', message: err.message });
        return;
      }
      throw err;
    }
    if (r.kind === 'escape') {
      problems.push({ path: link, rule: 'path-escape', message: escapeMessage(r.target) });
    } else if (r.kind === 'loop') {
      problems.push({ path: link, rule: 'path-escape', message: 'symlink loop; Ferry does not follow it' });
    } else if (r.kind === 'file') {
      files.set(link, this.index.get(r.path)!.oid);
    } else if (r.kind === 'dir') {
      if (r.path === '' || link === r.path || link.startsWith(r.path + '/')) {
        problems.push({ path: link, rule: 'path-escape', message: `symlink to a folder that contains it (${r.path || '.'}); Ferry does not copy it` });
        return;
      }
      let count = 0;
      const prefix = r.path + '/';
      for (const [f, e] of this.index) {
        if (!f.startsWith(prefix)) continue;
        const dest = `${link}/${f.slice(prefix.length)}`;
        if (isForbiddenRenderPath(dest) || isUnsafePath(dest)) continue;
        if (++count > this.limits.maxLinkedFiles || files.size > this.limits.maxRenderFiles) {
          problems.push({ path: link, rule: 'file-too-large', message: `symlinked folder ${r.path} has more than ${this.limits.maxLinkedFiles} files; Ferry does not copy it` });
          return;
        }
        if (e.mode !== SYMLINK_MODE) {
          files.set(dest, e.oid);
          continue;
        }
        // A link inside a linked folder resolves from where it really is; only files are copied.
        const inner = this.resolve(f);
        if (inner.kind === 'file') files.set(dest, this.index.get(inner.path)!.oid);
        else if (inner.kind === 'escape') {
          problems.push({ path: f, rule: 'path-escape', message: escapeMessage(inner.target) });
        }
      }
    }
    // Dangling links are written as nothing: the renderer reports the missing file.
  }

  async materialize(plan: FilePlan): Promise<void> {
    const todo = plan.files.filter((f) => !this.written.has(f.path));
    const byOid = new Map<string, string>();
    for (const f of todo) if (!this.blobs.has(f.oid)) byOid.set(f.oid, f.path);
    for (const [oid, data] of await this.objects.read([...byOid.keys()])) this.keep(oid, data, false);
    // A bounded number of writes in flight: thousands at once exhaust file descriptors.
    let next = 0;
    const writer = async () => {
      while (next < todo.length) {
        const f = todo[next++]!;
        if (this.written.has(f.path)) {
          await this.written.get(f.path);
          continue;
        }
        const w = this.writeOne(f.path, f.oid);
        this.written.set(f.path, w);
        await w;
      }
    };
    await Promise.all(Array.from({ length: Math.min(32, todo.length) }, writer));
    await Promise.all(plan.files.map((f) => this.written.get(f.path)));
  }

  private async writeOne(p: string, oid: string): Promise<void> {
    const abs = path.join(this.dir, p);
    // Only regular files and folders are ever created here, so no component of `abs`
    // can be a link; the check guards against a path the index should never hold.
    if (path.relative(this.dir, abs).startsWith('..')) throw new GitError(`refusing to write outside the tree: ${p}`);
    await mkdir(path.dirname(abs), { recursive: true });
    const data = this.blobs.get(oid) ?? (await this.objects.read([oid])).get(oid)!;
    // `wx`: never through something already there.
    await writeFile(abs, data, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }

  dispose(): Promise<void> {
    if (this.ownsObjects) this.objects.close();
    return rm(this.dir, { recursive: true, force: true });
  }
}
