import { Worker } from 'node:worker_threads';
import { NoConfigError, UsageError, type PlanRequest } from '../engine.js';
import type { Finding, Plan } from '../types.js';

interface Pending {
  resolve: (p: Plan) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  /** Id of the job this worker is running. */
  job: number | null;
}

/** Rebuilds the engine's error classes on this side of the thread boundary. */
function revive(error: { name: string; message: string; findings: Finding[] }): Error {
  if (error.name === 'NoConfigError') return new NoConfigError();
  if (error.name === 'UsageError') return new UsageError(error.message, error.findings);
  return new Error(error.message);
}

/**
 * A fixed set of worker threads running `plan()`. Each worker keeps its own render
 * cache in memory across jobs; the disk cache is shared.
 */
export class EnginePool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: Array<(s: Slot) => void> = [];
  private nextId = 0;
  private closed = false;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const slot: Slot = { worker: null as unknown as Worker, busy: false, job: null };
      this.spawn(slot);
      this.slots.push(slot);
    }
  }

  private spawn(slot: Slot): void {
    // From source (tests, `tsx`), the worker is TypeScript: register tsx inside it first.
    const fromSource = import.meta.url.endsWith('.ts');
    const tsWorker = new URL('./plan-worker.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(tsWorker)}); })`;
    const worker = fromSource ? new Worker(boot, { eval: true }) : new Worker(new URL('./plan-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (m: { id: number; ok: boolean; result?: Plan; error?: { name: string; message: string; findings: Finding[] } }) => {
      const p = this.pending.get(m.id);
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

  async run(req: PlanRequest, validateOnly = false): Promise<Plan> {
    const slot = await this.acquire();
    try {
      const id = this.nextId++;
      slot.job = id;
      return await new Promise<Plan>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        slot.worker.postMessage({ id, req, validateOnly });
      });
    } finally {
      slot.job = null;
      this.release(slot);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private acquire(): Promise<Slot> {
    const free = this.slots.find((s) => !s.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise((r) => this.waiting.push(r));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else slot.busy = false;
  }
}
