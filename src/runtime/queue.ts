/**
 * The job queue the bot core talks to. A job is plain data with a `key` (one PR's plan,
 * one comment, one merged PR's auto-promotion) and a `version` (the head SHA it plans).
 * Every implementation keeps the same promises, pinned by test/runtime/queue-contract.ts:
 * - one job per key runs at a time; a job queued while its key runs waits for it;
 * - a job of a newer version replaces queued work of its key and aborts running work
 *   (its signal fires), so no result for a stale head is written over a newer one;
 * - a delayed job waits, then queues; a newer delayed job of the same key replaces it;
 * - `cancel` drops queued and delayed work of a key and aborts its running work;
 * - a job that throws is reported to `onError` (not when it was aborted) and the queue goes on;
 * - `firstDelivery` is true once per webhook delivery id;
 * - `close` takes no more work, waits for running jobs, then aborts what is left.
 */
export interface QueuedJob {
  kind: string;
  key: string;
  version: string;
}

/** Runs one job; `signal` fires when the job is superseded, cancelled or the queue closes. */
export type JobRunner<T extends QueuedJob> = (job: T, signal: AbortSignal) => Promise<void>;

export interface QueueSize {
  running: number;
  queued: number;
  /** Waiting for their delay to pass. */
  delayed: number;
}

export interface JobQueue<T extends QueuedJob = QueuedJob> {
  enqueue(job: T, opts?: { delayMs?: number }): Promise<void>;
  cancel(key: string): Promise<void>;
  firstDelivery(id: string | undefined): Promise<boolean>;
  /**
   * The delivery's event is queued: remember its id for the full time. Until then a
   * shared queue holds the id only briefly, so a replica that dies between the two does
   * not turn the delivery's redelivery into a "duplicate" of work that was never queued.
   */
  deliveryQueued?(id: string): Promise<void>;
  size(): Promise<QueueSize>;
  /** How long the longest-waiting queued (not delayed) work has waited, in ms; 0 when none. */
  oldestQueuedMs?(): Promise<number>;
  close(timeoutMs?: number): Promise<void>;
}

export interface QueueOptions {
  /** Jobs running at once. */
  concurrency: number;
  /** A job that threw (and was not aborted). */
  onError?: (err: unknown, job: QueuedJob) => void;
  /**
   * Caps the running jobs of one group even while slots are free, so one busy
   * repository cannot take every slot and make the others wait behind it.
   */
  groups?: GroupLimit;
}

export interface GroupLimit {
  /** The group a key belongs to (Ferry: its repository). */
  groupOf: (key: string) => string;
  /** Jobs of one group running at once, at most. */
  perGroup: number;
}
