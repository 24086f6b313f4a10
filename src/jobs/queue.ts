/**
 * In-process job queue. Work for one PR runs one at a time; a newer head SHA replaces
 * queued work for an older one and aborts running work, so no result for a stale SHA is
 * written over a newer one. Webhook deliveries are de-duplicated by id.
 */
export type Job = (signal: AbortSignal) => Promise<void>;

interface Slot {
  sha: string;
  job: Job;
}

interface KeyState {
  /** A starter is scheduled or running for this key: never two at once. */
  busy: boolean;
  running: { sha: string; controller: AbortController; done: Promise<void> } | null;
  pending: Slot | null;
}

export interface GroupLimit {
  /** The group a key belongs to (Ferry: its repository). */
  groupOf: (key: string) => string;
  /** Jobs of one group running at once, at most. */
  perGroup: number;
}

export class JobQueue {
  private readonly keys = new Map<string, KeyState>();
  private readonly deliveries = new Set<string>();
  private active = 0;
  private readonly activePerGroup = new Map<string, number>();
  private readonly waiting: Array<{ group: string; go: () => void }> = [];
  private closed = false;

  /**
   * `groups` caps the running jobs of one group even while slots are free, so one busy
   * repository cannot take every slot and make the others wait behind it.
   */
  constructor(
    private readonly concurrency = 2,
    private readonly onError: (err: unknown, key: string) => void = () => undefined,
    private readonly maxDeliveries = 10_000,
    private readonly groups: GroupLimit | null = null,
  ) {}

  /** True the first time a delivery id is seen; retries of the same delivery are dropped. */
  firstDelivery(id: string | undefined): boolean {
    if (!id) return true;
    if (this.deliveries.has(id)) return false;
    this.deliveries.add(id);
    if (this.deliveries.size > this.maxDeliveries) {
      const oldest = this.deliveries.values().next().value;
      if (oldest !== undefined) this.deliveries.delete(oldest);
    }
    return true;
  }

  /** Queues work for `key` at `sha`; older queued or running work for the key is superseded. */
  enqueue(key: string, sha: string, job: Job): void {
    if (this.closed) return;
    const state = this.keys.get(key) ?? { busy: false, running: null, pending: null };
    this.keys.set(key, state);
    state.pending = { sha, job };
    if (state.running && state.running.sha !== sha) state.running.controller.abort();
    if (!state.busy) {
      state.busy = true;
      void this.start(key, state);
    }
  }

  /** Drops queued work and aborts running work for a key (a closed PR). */
  cancel(key: string): void {
    const state = this.keys.get(key);
    if (!state) return;
    state.pending = null;
    state.running?.controller.abort();
  }

  /** The SHA of the newest work known for a key. */
  latest(key: string): string | null {
    const s = this.keys.get(key);
    return s?.pending?.sha ?? s?.running?.sha ?? null;
  }

  get size(): { running: number; queued: number } {
    let queued = 0;
    for (const s of this.keys.values()) if (s.pending) queued++;
    return { running: this.active, queued };
  }

  /** Stops accepting work; waits for running jobs up to `timeoutMs`, then aborts them. */
  async close(timeoutMs = 30_000): Promise<void> {
    this.closed = true;
    for (const s of this.keys.values()) s.pending = null;
    const running = [...this.keys.values()].flatMap((s) => (s.running ? [s.running] : []));
    const all = Promise.all(running.map((r) => r.done));
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    if ((await Promise.race([all, timer])) === 'timeout') {
      for (const r of running) r.controller.abort();
      await all;
    }
  }

  private async start(key: string, state: KeyState): Promise<void> {
    const group = this.groups?.groupOf(key) ?? key;
    await this.slot(group);
    const slot = state.pending;
    state.pending = null;
    if (!slot || this.closed) {
      this.release(group);
      state.busy = false;
      this.keys.delete(key);
      return;
    }
    const controller = new AbortController();
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    state.running = { sha: slot.sha, controller, done };
    try {
      await slot.job(controller.signal);
    } catch (err) {
      if (!controller.signal.aborted) this.onError(err, key);
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
    return this.active < this.concurrency && (!this.groups || (this.activePerGroup.get(group) ?? 0) < this.groups.perGroup);
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
