import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { minimalEnv } from '../util/exec.js';
import { GitError } from './git.js';

const OID_RE = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** One request: its object ids answered in order, each handed to `onObject` (size -1: missing). */
interface Pending {
  oids: string[];
  next: number;
  /** Bodies go to one scratch buffer, valid only during `onObject`. */
  borrowed: boolean;
  onObject: (oid: string, data: Buffer | null, size: number) => void;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A running process, its requests in the order it answers them, and where its output stands. */
interface Proc {
  child: ChildProcessWithoutNullStreams;
  queue: Pending[];
  stderr: string;
  /** Header bytes not yet ended by a newline. */
  head: Buffer;
  body: { oid: string; data: Buffer; filled: number } | null;
  skipNewline: boolean;
}

/**
 * One long-lived `git cat-file` process. `contents`: `--batch` (header, body, newline);
 * otherwise `--batch-check` (header only). A process that fails fails its own requests
 * only; the next request starts another.
 */
class CatFile {
  private proc: Proc | null = null;
  private scratch = Buffer.alloc(0);
  /** Closed for good: a read-ahead still running when its plan ends must not start a process nobody closes. */
  private closed = false;

  constructor(private readonly gitDir: string, private readonly contents: boolean) {}

  request(oids: string[], onObject: Pending['onObject'], borrowed = false): Promise<void> {
    for (const o of oids) if (!OID_RE.test(o)) return Promise.reject(new GitError(`not an object id: ${JSON.stringify(o.slice(0, 80))}`));
    if (oids.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new GitError('git cat-file: the reader was closed (its plan ended)'));
    const proc = this.proc ?? this.start();
    return new Promise<void>((resolve, reject) => {
      proc.queue.push({ oids, next: 0, borrowed, onObject, resolve, reject });
      setRef(proc, true);
      proc.child.stdin.write(oids.join('\n') + '\n');
    });
  }

  close(): void {
    this.closed = true;
    this.scratch = Buffer.alloc(0);
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    proc.child.stdin.end();
    failAll(proc, new GitError('git cat-file was closed with requests pending'));
  }

  private start(): Proc {
    const format = this.contents ? '--batch' : '--batch-check=%(objectname) %(objectsize)';
    const child = spawn('git', ['--git-dir', this.gitDir, 'cat-file', format], { env: minimalEnv({ GIT_CONFIG_NOSYSTEM: '1' }) });
    const proc: Proc = { child, queue: [], stderr: '', head: Buffer.alloc(0), body: null, skipNewline: false };
    this.proc = proc;
    const end = (err: Error) => {
      if (this.proc === proc) this.proc = null;
      failAll(proc, err);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      try {
        this.parse(proc, chunk);
      } catch (err) {
        end(err as Error);
        child.kill();
      }
    });
    child.stderr.on('data', (c: Buffer) => {
      if (proc.stderr.length < 4096) proc.stderr += c.toString();
    });
    child.stdin.on('error', () => undefined);
    child.on('error', (err) => end(new GitError(`git cat-file failed: ${err.message}`)));
    child.on('close', (code) => {
      const why = proc.stderr.trim();
      end(new GitError(`git cat-file ended (${code ?? 'by a signal'}) with requests pending${why ? `: ${why}` : ''}`));
    });
    return proc;
  }

  private bufferFor(size: number, borrowed: boolean): Buffer {
    if (!borrowed) return Buffer.allocUnsafe(size);
    if (this.scratch.length < size) this.scratch = Buffer.allocUnsafe(Math.max(size, this.scratch.length * 2, 64 * 1024));
    return this.scratch.subarray(0, size);
  }

  private answered(proc: Proc, oid: string, data: Buffer | null, size: number): void {
    const front = proc.queue[0];
    if (!front) throw new GitError('git cat-file answered what was not asked');
    const asked = front.oids[front.next++];
    if (asked !== oid) throw new GitError(`git cat-file answered ${oid.slice(0, 80)} for ${asked}`);
    try {
      front.onObject(oid, data, size);
    } catch (err) {
      // The caller's own error ends its request; the process and the other requests go on.
      front.onObject = () => undefined;
      front.reject(err as Error);
    }
    if (front.next === front.oids.length) {
      proc.queue.shift();
      front.resolve();
      if (proc.queue.length === 0) {
        setRef(proc, false);
        // Kept for the next request unless a large blob grew it: idle, a plan holds no more than this.
        if (this.scratch.length > 1 << 20) this.scratch = Buffer.alloc(0);
      }
    }
  }

  private parse(proc: Proc, chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (proc.skipNewline) {
        proc.skipNewline = false;
        pos++;
        continue;
      }
      const body = proc.body;
      if (body) {
        const n = Math.min(body.data.length - body.filled, chunk.length - pos);
        chunk.copy(body.data, body.filled, pos, pos + n);
        body.filled += n;
        pos += n;
        if (body.filled === body.data.length) {
          proc.body = null;
          proc.skipNewline = true;
          this.answered(proc, body.oid, body.data, body.data.length);
        }
        continue;
      }
      const nl = chunk.indexOf(0x0a, pos);
      if (nl < 0) {
        proc.head = Buffer.concat([proc.head, chunk.subarray(pos)]);
        if (proc.head.length > 1024) throw new GitError('git cat-file sent an overlong header');
        return;
      }
      const line = (proc.head.length ? Buffer.concat([proc.head, chunk.subarray(pos, nl)]) : chunk.subarray(pos, nl)).toString('latin1');
      proc.head = Buffer.alloc(0);
      pos = nl + 1;
      const parts = line.split(' ');
      const oid = parts[0]!;
      if (parts[1] === 'missing' && parts.length === 2) {
        this.answered(proc, oid, null, -1);
        continue;
      }
      // --batch: "<oid> <type> <size>"; the check format: "<oid> <size>".
      const sizeText = this.contents ? parts[2] : parts[1];
      if (!sizeText || !/^\d+$/.test(sizeText)) throw new GitError(`git cat-file sent an unexpected header: ${line.slice(0, 120)}`);
      const size = Number(sizeText);
      if (!this.contents) {
        this.answered(proc, oid, null, size);
        continue;
      }
      if (size === 0) {
        proc.skipNewline = true;
        this.answered(proc, oid, Buffer.alloc(0), 0);
        continue;
      }
      proc.body = { oid, data: this.bufferFor(size, proc.queue[0]?.borrowed === true), filled: 0 };
    }
  }
}

/** Idle, a process does not keep Node running; with a request pending, it does. */
function setRef(proc: Proc, on: boolean): void {
  const c = proc.child;
  for (const s of [c, c.stdin, c.stdout, c.stderr] as Array<{ ref?: () => void; unref?: () => void }>) {
    if (on) s.ref?.();
    else s.unref?.();
  }
}

function failAll(proc: Proc, err: Error): void {
  for (const p of proc.queue.splice(0)) p.reject(err);
}

/**
 * Reads a repository's objects through two long-lived `git cat-file` processes (contents
 * and sizes) for as long as a plan runs.
 *
 * A plan asks for blobs dozens of times (discovery's scan, every read-ahead batch, the
 * sizes before each). A process started from a large Node process costs far more than
 * its own run: the fork marks all of the parent's memory copy-on-write, and the parent
 * then takes a page fault on its next write to every page. On this project's CI machine
 * kind a fault costs 15-50 µs, and one start from a Node process holding 400 MB cost
 * about 77,000 faults, 1.5 s of CPU (see docs/performance.md). Two starts per plan, made
 * early while the heap is small, replace one or two per read.
 */
export class ObjectReader {
  private readonly batch: CatFile;
  private readonly check: CatFile;

  constructor(gitDir: string) {
    this.batch = new CatFile(gitDir, true);
    this.check = new CatFile(gitDir, false);
  }

  /**
   * Hands each blob to `onBlob` as it arrives, in request order; missing objects are
   * skipped. Each buffer is the blob's own, unless `borrowed`: then it is valid only during
   * the call (one scratch buffer serves every blob, so a pass over a commit leaves no garbage).
   */
  stream(oids: string[], onBlob: (oid: string, data: Buffer) => void, borrowed = false): Promise<void> {
    return this.batch.request([...new Set(oids)], (oid, data) => {
      if (data) onBlob(oid, data);
    }, borrowed);
  }

  /** The blobs, by id; missing ones are left out. */
  async read(oids: string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    await this.stream(oids, (oid, data) => out.set(oid, data));
    return out;
  }

  /** Object sizes without reading contents (a 2 GiB blob costs nothing here); missing ones are left out. */
  async sizes(oids: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    await this.check.request([...new Set(oids)], (oid, _data, size) => {
      if (size >= 0) out.set(oid, size);
    });
    return out;
  }

  close(): void {
    this.batch.close();
    this.check.close();
  }
}
