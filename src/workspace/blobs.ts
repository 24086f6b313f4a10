import { spawn } from 'node:child_process';
import { minimalEnv } from '../util/exec.js';
import { GitError } from './git.js';

/**
 * Reads many blobs through one `git cat-file --batch` process: thousands of small
 * kustomization files cost one process start instead of thousands.
 */
export function readBlobs(gitDir: string, oids: string[]): Promise<Map<string, Buffer>> {
  const unique = [...new Set(oids)];
  const out = new Map<string, Buffer>();
  if (unique.length === 0) return Promise.resolve(out);
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { env: minimalEnv({ GIT_CONFIG_NOSYSTEM: '1' }) });
    let stderr = '';
    // Parsed once at the end: concatenating per chunk would copy the output quadratically.
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => reject(new GitError(`git cat-file failed: ${err.message}`)));
    child.on('close', (code) => {
      if (code !== 0) return reject(new GitError(`git cat-file failed: ${stderr.trim()}`));
      const buf = Buffer.concat(chunks);
      let pos = 0;
      let i = 0;
      while (pos < buf.length) {
        const nl = buf.indexOf(0x0a, pos);
        if (nl < 0) break;
        const [oid, type, sizeText] = buf.subarray(pos, nl).toString('utf8').split(' ');
        i++;
        if (type === 'missing' || !sizeText) {
          pos = nl + 1;
          continue;
        }
        const size = Number(sizeText);
        out.set(oid!, buf.subarray(nl + 1, nl + 1 + size));
        pos = nl + 1 + size + 1;
      }
      if (i < unique.length) reject(new GitError(`git cat-file returned ${i} of ${unique.length} objects`));
      else resolve(out);
    });
    child.stdin.end(unique.join('\n') + '\n');
  });
}

/** Object sizes without reading contents (`git cat-file --batch-check`): a 2 GiB blob costs nothing here. */
export function blobSizes(gitDir: string, oids: string[]): Promise<Map<string, number>> {
  const unique = [...new Set(oids)];
  const out = new Map<string, number>();
  if (unique.length === 0) return Promise.resolve(out);
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch-check=%(objectname) %(objectsize)'], {
      env: minimalEnv({ GIT_CONFIG_NOSYSTEM: '1' }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => reject(new GitError(`git cat-file failed: ${err.message}`)));
    child.on('close', (code) => {
      if (code !== 0) return reject(new GitError(`git cat-file failed: ${stderr.trim()}`));
      for (const line of stdout.split('\n')) {
        const [oid, size] = line.split(' ');
        if (oid && size && /^\d+$/.test(size)) out.set(oid, Number(size));
      }
      resolve(out);
    });
    child.stdin.end(unique.join('\n') + '\n');
  });
}

/**
 * Streams blobs through one `git cat-file --batch` process, handing each to `onBlob` as
 * it arrives (in request order), so a caller that scans and drops never holds more than
 * one blob at a time. Each buffer is the blob's own copy, unless `borrowed`: then it is
 * valid only during the call (one scratch buffer serves every blob, and a pass over a
 * whole commit leaves no garbage behind).
 */
export function streamBlobs(gitDir: string, oids: string[], onBlob: (oid: string, data: Buffer) => void, borrowed = false): Promise<void> {
  let scratch = Buffer.alloc(0);
  const bufferFor = (size: number): Buffer => {
    if (!borrowed) return Buffer.allocUnsafe(size);
    if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2, 64 * 1024));
    return scratch.subarray(0, size);
  };
  const unique = [...new Set(oids)];
  if (unique.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { env: minimalEnv({ GIT_CONFIG_NOSYSTEM: '1' }) });
    let stderr = '';
    let failed: Error | null = null;
    let seen = 0;
    // The blob being filled, or its header still incomplete (`head` holds those bytes).
    let head: Buffer = Buffer.alloc(0);
    let current: { oid: string; data: Buffer; filled: number } | null = null;
    let skipNewline = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = err;
      child.kill();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      let pos = 0;
      while (pos < chunk.length && !failed) {
        if (skipNewline) {
          skipNewline = false;
          pos++;
          continue;
        }
        if (current) {
          const n = Math.min(current.data.length - current.filled, chunk.length - pos);
          chunk.copy(current.data, current.filled, pos, pos + n);
          current.filled += n;
          pos += n;
          if (current.filled === current.data.length) {
            const done = current;
            current = null;
            skipNewline = true;
            try {
              onBlob(done.oid, done.data);
            } catch (err) {
              fail(err as Error);
            }
          }
          continue;
        }
        const nl = chunk.indexOf(0x0a, pos);
        if (nl < 0) {
          head = Buffer.concat([head, chunk.subarray(pos)]);
          break;
        }
        const line = Buffer.concat([head, chunk.subarray(pos, nl)]).toString('utf8');
        head = Buffer.alloc(0);
        pos = nl + 1;
        seen++;
        const [oid, type, sizeText] = line.split(' ');
        if (type === 'missing' || !sizeText) continue;
        const size = Number(sizeText);
        current = { oid: oid!, data: bufferFor(size), filled: 0 };
        if (size === 0) {
          current = null;
          skipNewline = true;
          try {
            onBlob(oid!, Buffer.alloc(0));
          } catch (err) {
            fail(err as Error);
          }
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => fail(new GitError(`git cat-file failed: ${err.message}`)));
    child.on('close', (code) => {
      if (failed) return reject(failed);
      if (code !== 0) return reject(new GitError(`git cat-file failed: ${stderr.trim()}`));
      if (seen < unique.length || current) reject(new GitError(`git cat-file returned ${seen} of ${unique.length} objects`));
      else resolve();
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(unique.join('\n') + '\n');
  });
}

/**
 * Blob contents a plan holds: `pinned` ones (discovery's small inputs, kustomizations)
 * for the whole plan, and recently read ones within a byte budget, dropped oldest first.
 * A dropped blob is read from git again when asked for.
 */
export class BlobStore {
  readonly pinned = new Map<string, Buffer>();
  private readonly recent = new Map<string, Buffer>();
  private recentBytes = 0;

  constructor(readonly budget = recentBudget()) {}

  get(oid: string): Buffer | undefined {
    const p = this.pinned.get(oid);
    if (p) return p;
    const r = this.recent.get(oid);
    if (r) {
      this.recent.delete(oid);
      this.recent.set(oid, r);
    }
    return r;
  }

  has(oid: string): boolean {
    return this.pinned.has(oid) || this.recent.has(oid);
  }

  pin(oid: string, data: Buffer): void {
    this.drop(oid);
    this.pinned.set(oid, data);
  }

  put(oid: string, data: Buffer): void {
    if (this.pinned.has(oid)) return;
    this.drop(oid);
    this.recent.set(oid, data);
    this.recentBytes += data.length;
    for (const [o, d] of this.recent) {
      if (this.recentBytes <= this.budget || o === oid) break;
      this.recent.delete(o);
      this.recentBytes -= d.length;
    }
  }

  private drop(oid: string): void {
    const r = this.recent.get(oid);
    if (r) {
      this.recent.delete(oid);
      this.recentBytes -= r.length;
    }
  }
}

/** FERRY_BLOB_CACHE_MB: blob bytes a plan keeps beyond its pinned ones (default 32). */
function recentBudget(): number {
  const v = Number(process.env.FERRY_BLOB_CACHE_MB);
  return (Number.isFinite(v) && v > 0 ? v : 32) * 2 ** 20;
}
