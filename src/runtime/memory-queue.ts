import type { JobQueue, JobRunner, QueuedJob, QueueOptions, QueueSize } from './queue.js';

/** Delivery ids remembered for de-duplication (GitHub retries within minutes). */
const MAX_DELIVERIES = 10_000;

interface KeyState<T> {
  /** A starter is scheduled or running for this key: never two at once. */
  busy: boolean;
  running: { version: string; controller: AbortController; done: Promise<void> } | null;
  pending: T | null;
  /** Since when the key has had work queued (a replacing job keeps the time). */
  pendingSince: number;
}

/**
 * The in-process queue, the default: jobs live in this process's memory and die with it
 * (delayed ones included). See queue.ts for the promises it keeps.
 */
export class MemoryQueue<T extends QueuedJob> implements JobQueue<T> {
  private readonly keys = new Map<string, KeyState<T>>();
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private readonly deliveries = new Set<string>();
  private active = 0;
  private readonly activePerGroup = new Map<string, number>();
  private readonly waiting: Array<{ group: string; go: () => void }> = [];
  private closed = false;

  constructor(
    private readonly runner: JobRunner<T>,
    private readonly opts: QueueOptions,
    private readonly maxDeliveries = MAX_DELIVERIES,
  ) {}

  async firstDelivery(id: string | undefined): Promise<boolean> {
    if (!id) return true;
    if (this.deliveries.has(id)) return false;
    this.deliveries.add(id);
    if (this.deliveries.size > this.maxDeliveries) {
      const oldest = this.deliveries.values().next().value;
      if (oldest !== undefined) this.deliveries.delete(oldest);
    }
    return true;
  }

  async enqueue(job: T, opts: { delayMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    if (opts.delayMs && opts.delayMs > 0) {
      clearTimeout(this.delayed.get(job.key));
      // Node timers overflow past ~24.8 days; longer waits fire then and the job looks again.
      const ms = Math.min(opts.delayMs, 2 ** 31 - 1);
      this.delayed.set(job.key, setTimeout(() => {
        this.delayed.delete(job.key);
        void this.enqueue(job);
      }, ms).unref());
      return;
    }
    const state = this.keys.get(job.key) ?? { busy: false, running: null, pending: null, pendingSince: 0 };
    this.keys.set(job.key, state);
    if (!state.pending) state.pendingSince = Date.now();
    state.pending = job;
    if (state.running && state.running.version !== job.version) state.running.controller.abort();
    if (!state.busy) {
      state.busy = true;
      void this.start(job.key, state);
    }
  }

  async cancel(key: string): Promise<void> {
    clearTimeout(this.delayed.get(key));
    this.delayed.delete(key);
    const state = this.keys.get(key);
    if (!state) return;
    state.pending = null;
    state.running?.controller.abort();
  }

  async size(): Promise<QueueSize> {
    let queued = 0;
    for (const s of this.keys.values()) if (s.pending) queued++;
    return { running: this.active, queued, delayed: this.delayed.size };
  }

  async oldestQueuedMs(): Promise<number> {
    let oldest = Infinity;
    for (const s of this.keys.values()) if (s.pending) oldest = Math.min(oldest, s.pendingSince);
    return oldest === Infinity ? 0 : Date.now() - oldest;
  }

  async close(timeoutMs = 30_000): Promise<void> {
    this.closed = true;
    for (const t of this.delayed.values()) clearTimeout(t);
    this.delayed.clear();
    for (const s of this.keys.values()) s.pending = null;
    const running = [...this.keys.values()].flatMap((s) => (s.running ? [s.running] : []));
    const all = Promise.all(running.map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs).unref()));
    if ((await Promise.race([all, timeout])) === 'timeout') {
      for (const r of running) r.controller.abort();
      await all;
    }
    clearTimeout(timer);
  }

  private async start(key: string, state: KeyState<T>): Promise<void> {
    const group = this.opts.groups?.groupOf(key) ?? key;
    await this.slot(group);
    const job = state.pending;
    state.pending = null;
    if (!job || this.closed) {
      this.release(group);
      state.busy = false;
      this.keys.delete(key);
      return;
    }
    const controller = new AbortController();
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    state.running = { version: job.version, controller, done };
    try {
      await this.runner(job, controller.signal);
    } catch (err) {
      if (!controller.signal.aborted) this.opts.onError?.(err, job);
    } finally {
      state.running = null;
      finish();
      this.release(group);
      if (state.pending && !this.closed) void this.start(key, state);
      else {
        state.busy = false;
        this.keys.delete(key);
      }
    }
  }

  private mayStart(group: string): boolean {
    const g = this.opts.groups;
    return this.active < this.opts.concurrency && (!g || (this.activePerGroup.get(group) ?? 0) < g.perGroup);
  }

  private take(group: string): void {
    this.active++;
    this.activePerGroup.set(group, (this.activePerGroup.get(group) ?? 0) + 1);
  }

  private slot(group: string): Promise<void> {
    if (this.mayStart(group)) {
      this.take(group);
      return Promise.resolve();
    }
    return new Promise((r) => this.waiting.push({
      group,
      go: () => {
        this.take(group);
        r();
      },
    }));
  }

  private release(group: string): void {
    this.active--;
    const n = (this.activePerGroup.get(group) ?? 1) - 1;
    if (n > 0) this.activePerGroup.set(group, n);
    else this.activePerGroup.delete(group);
    // The first in line whose group is under its share; the others keep their place.
    const i = this.waiting.findIndex((w) => this.mayStart(w.group));
    if (i >= 0) this.waiting.splice(i, 1)[0]!.go();
  }
}
