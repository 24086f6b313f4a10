import { Worker } from 'node:worker_threads';
import { AbortedError, NoConfigError, UsageError, type PlanHooks, type PlanMeasures, type PlanRequest } from '../engine.js';
import type { Finding, Plan } from '../types.js';

interface Pending {
  resolve: (p: Plan) => void;
  reject: (e: Error) => void;
  hooks: PlanHooks;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  /** Id of the job this worker is running. */
  job: number | null;
  /** Repository of that job, for the per-repository limit. */
  repo: string | null;
}

interface Waiter {
  repo: string;
  grant: (s: Slot) => void;
}

/** FERRY_ENGINE_HEAP_MB: the V8 old-space limit of each engine worker (default 4096). */
export function engineHeapMb(): number {
  const v = Number(process.env.FERRY_ENGINE_HEAP_MB);
  return Number.isFinite(v) && v >= 256 ? v : 4096;
}

/** Rebuilds the engine's error classes on this side of the thread boundary. */
function revive(error: { name: string; message: string; findings: Finding[] }): Error {
  if (error.name === 'NoConfigError') return new NoConfigError();
  if (error.name === 'UsageError') return new UsageError(error.message, error.findings);
  if (error.name === 'AbortedError') return new AbortedError();
  return new Error(error.message);
}

/** A repository's share of the workers unless told otherwise: half, rounded up. */
export function defaultPerRepository(size: number): number {
  return Math.max(1, Math.ceil(size / 2));
}

/**
 * A fixed set of worker threads running `plan()`. Each worker keeps its own render
 * cache in memory across jobs; the disk cache is shared.
 *
 * One repository runs at most `perRepo` plans at once, even with workers idle, so a
 * repository with slow renders never holds every worker while another one waits.
 */
export class EnginePool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: Waiter[] = [];
  private readonly runningPerRepo = new Map<string, number>();
  private nextId = 0;
  private closed = false;

  constructor(size: number, private readonly perRepo = defaultPerRepository(size)) {
    for (let i = 0; i < size; i++) {
      const slot: Slot = { worker: null as unknown as Worker, busy: false, job: null, repo: null };
      this.spawn(slot);
      this.slots.push(slot);
    }
  }

  private spawn(slot: Slot): void {
    // From source (tests, `tsx`), the worker is TypeScript: register tsx inside it first.
    const fromSource = import.meta.url.endsWith('.ts');
    const tsWorker = new URL('./plan-worker.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(tsWorker)}); })`;
    // A heap ceiling per worker: a plan that outgrows it ends that worker (its job fails,
    // the worker is replaced), not the server.
    const resourceLimits = { maxOldGenerationSizeMb: engineHeapMb() };
    const worker = fromSource
      ? new Worker(boot, { eval: true, resourceLimits })
      : new Worker(new URL('./plan-worker.js', import.meta.url), { resourceLimits });
    worker.unref();
    worker.on('message', (m: { id: number; progress?: 'configured' | 'measured'; measures?: PlanMeasures; ok: boolean; result?: Plan; error?: { name: string; message: string; findings: Finding[] } }) => {
      const p = this.pending.get(m.id);
      if (m.progress === 'measured') {
        p?.hooks.measured?.(m.measures!);
        return;
      }
      if (m.progress) {
        p?.hooks.configured?.();
        return;
      }
      this.pending.delete(m.id);
      if (!p) return;
      if (m.ok) p.resolve(m.result!);
      else p.reject(revive(m.error!));
    });
    worker.on('error', (err) => {
      // A crashed worker fails its job, not the server: replace it and go on.
      if (slot.job !== null) {
        this.pending.get(slot.job)?.reject(new Error(`plan worker crashed: ${err.message}`));
        this.pending.delete(slot.job);
      }
      if (!this.closed) this.spawn(slot);
    });
    slot.worker = worker;
  }

  /**
   * Plans in a worker. Aborting `signal` takes a waiting job out of the line at once, and
   * tells a running one's worker to stop (its renderers are killed); either way the
   * promise rejects with AbortedError.
   */
  async run(req: PlanRequest, validateOnly = false, signal?: AbortSignal, hooks: PlanHooks = {}): Promise<Plan> {
    if (signal?.aborted) throw new AbortedError();
    const slot = await this.acquire(req.repo, signal);
    const id = this.nextId++;
    slot.job = id;
    // The slot stays taken until the worker answers, so an aborted plan's renderers are
    // gone before the next job starts there.
    const onAbort = () => slot.worker.postMessage({ type: 'abort', id });
    try {
      return await new Promise<Plan>((resolve, reject) => {
        this.pending.set(id, { resolve, reject, hooks });
        slot.worker.postMessage({ type: 'plan', id, req, validateOnly });
        signal?.addEventListener('abort', onAbort, { once: true });
        // Aborted between getting the slot and listening: said now, not lost.
        if (signal?.aborted) onAbort();
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      slot.job = null;
      this.release(slot);
    }
  }

  /** Workers are there to take plans (for /readyz). */
  get up(): boolean {
    return !this.closed && this.slots.length > 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private acquire(repo: string, signal?: AbortSignal): Promise<Slot> {
    const free = this.slots.find((s) => !s.busy);
    if (free && this.mayRun(repo)) {
      this.take(free, repo);
      return Promise.resolve(free);
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new AbortedError());
      };
      const waiter: Waiter = {
        repo,
        grant: (s) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private mayRun(repo: string): boolean {
    return (this.runningPerRepo.get(repo) ?? 0) < this.perRepo;
  }

  private take(slot: Slot, repo: string): void {
    slot.busy = true;
    slot.repo = repo;
    this.runningPerRepo.set(repo, (this.runningPerRepo.get(repo) ?? 0) + 1);
  }

  private release(slot: Slot): void {
    const repo = slot.repo!;
    const n = (this.runningPerRepo.get(repo) ?? 1) - 1;
    if (n > 0) this.runningPerRepo.set(repo, n);
    else this.runningPerRepo.delete(repo);
    slot.busy = false;
    slot.repo = null;
    // The first in line whose repository is under its share; others keep their place.
    const i = this.waiting.findIndex((w) => this.mayRun(w.repo));
    if (i < 0) return;
    const [next] = this.waiting.splice(i, 1);
    this.take(slot, next!.repo);
    next!.grant(slot);
  }
}
