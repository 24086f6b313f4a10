import { createHash, randomUUID } from 'node:crypto';
import type { Job as BullJob, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobQueue, JobRunner, QueuedJob, QueueOptions, QueueSize } from './queue.js';
import { DEFAULT_RETRY, retryDelay, type RetryPolicy } from './retry.js';

/**
 * The JobQueue over Redis, for several replicas (REDIS_URL). The promises of queue.ts hold
 * across replicas, and jobs outlive the process that queued them:
 *
 * - Each key has one **pending slot** in Redis (a hash: the job, its generation, its
 *   attempt). Enqueueing overwrites the slot, so queued older work of a key is replaced by
 *   the newer; every enqueue and cancel bumps the key's **generation** and publishes it,
 *   and a replica running the key with an older generation and another version (or on a
 *   cancel) aborts it, wherever it runs.
 * - A BullMQ job is only a **wake-up** naming the key. The replica that takes it must win
 *   the key's **lock** (SET NX PX, renewed while it runs, released by token) and then
 *   drains the slot until it is empty: one job per key at a time across replicas, in
 *   order. A wake-up that loses the lock is dropped, because the holder looks at the slot
 *   again after it releases the lock (release, then re-check: no wake-up can fall between).
 * - While a job runs, its entry is kept under `running:<key>`; a sweeper gives the entry
 *   of a key whose lock expired (its replica died) back to the slot and wakes every
 *   pending key nobody holds, so a crash between two steps loses nothing.
 * - Delayed jobs (soak and gate re-checks) are BullMQ delayed jobs in a second queue, one
 *   per key (a newer one replaces it); when due they are enqueued like any job. They are in
 *   Redis, so they survive a restart.
 * - A job that fails with a forge 429 or 5xx is tried again after a backoff (Retry-After
 *   honoured) as a delayed wake-up carrying the job and its generation; it is dropped if
 *   newer work of the key came meanwhile. A job that fails for good is reported to
 *   `onError` and kept in BullMQ's failed set with its spec (no token is in a spec).
 * - Delivery ids are de-duplicated with SET NX EX: once across replicas, for a day.
 * - `close` stops taking work, waits for running jobs, then aborts what is left and hands
 *   it back to the slot for another replica.
 *
 * `concurrency` and `groups` limit this replica's jobs; `size().running` is this replica's,
 * `queued` and `delayed` are everyone's.
 */
export interface RedisQueueOptions extends QueueOptions {
  /** Namespaces every key (BullMQ's included): one Ferry installation per prefix. */
  prefix?: string;
  retry?: RetryPolicy;
  /** A retry was scheduled. */
  onRetry?: (err: unknown, job: QueuedJob, attempt: number, delayMs: number) => void;
  /** Cleans an error message before it is stored in Redis's failed set. */
  redact?: (message: string) => string;
  /** How long a delivery id is remembered once its event is queued. */
  deliveryTtlSeconds?: number;
  /** How long a delivery id is held before its event is queued (a replica may die in between). */
  deliveryClaimSeconds?: number;
  /** Key lock lifetime; renewed at a third of it while the job runs. */
  lockMs?: number;
  /** How often orphaned keys are looked for. */
  sweepMs?: number;
  /** Wait before a wake-up whose group is at its share is tried again. */
  groupRetryMs?: number;
  /** False: only queue jobs, run none (a replica that only takes webhooks). Default true. */
  consume?: boolean;
  /** Redis went away (ioredis reconnects by itself; /readyz says so meanwhile). */
  onConnectionError?: (err: Error) => void;
}

interface Entry<T> {
  job: T;
  gen: number;
  attempt: number;
  at: number;
}

interface WakeData<T> {
  key: string;
  /** A retry after a forge error: put back into the slot if the key saw nothing newer. */
  retry?: Entry<T>;
  /** Set on a wake-up kept in the failed set: what failed. */
  failed?: { job: T; attempts: number };
}

interface AbortMessage {
  key: string;
  gen: number;
  version?: string;
  cancel?: boolean;
}

interface Running {
  version: string;
  gen: number;
  controller: AbortController;
  /** Aborted because this replica shuts down: the job goes back to the slot. */
  handBack: boolean;
}

const ENQUEUE = `
local g = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 604800)
local at = redis.call('HGET', KEYS[2], 'at') or ARGV[5]
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'job', ARGV[2], 'gen', g, 'attempt', 0, 'at', at)
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[3], cjson.encode({key = ARGV[1], gen = g, version = ARGV[4]}))
return g`;

const CANCEL = `
local g = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 604800)
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[2], cjson.encode({key = ARGV[1], gen = g, cancel = true}))
return g`;

/** Moves the slot to `running:<key>`, only for the lock's holder. */
const TAKE = `
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return nil end
if redis.call('EXISTS', KEYS[2]) == 0 then return nil end
redis.call('RENAME', KEYS[2], KEYS[4])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[5], ARGV[1])
return redis.call('HGETALL', KEYS[4])`;

const FINISH = `
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1`;

/** Puts an entry back unless the key has seen newer work (generation) or has a job queued. */
const RESTORE = `
if tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[2]) then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[2], 'job', ARGV[3], 'gen', ARGV[2], 'attempt', ARGV[4], 'at', ARGV[5])
redis.call('SADD', KEYS[3], ARGV[1])
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** A running entry whose lock is gone belonged to a replica that died: back to the slot. */
const RECOVER = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('EXISTS', KEYS[4]) == 0 then
    redis.call('RENAME', KEYS[2], KEYS[4])
    redis.call('SADD', KEYS[5], ARGV[1])
  else
    redis.call('DEL', KEYS[2])
  end
end
redis.call('SREM', KEYS[3], ARGV[1])
return 1`;

/** Job ids may not contain ':'; a key does. */
const idOf = (key: string) => Buffer.from(key).toString('base64url');

/** Opens the Redis queue; bullmq and ioredis are loaded here, so a server without REDIS_URL never loads them. */
export async function openRedisQueue<T extends QueuedJob>(url: string, runner: JobRunner<T>, opts: RedisQueueOptions): Promise<RedisQueue<T>> {
  const [{ Queue, Worker }, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
  // BullMQ's workers block on Redis: their connection must retry forever, not fail a command.
  const conn = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  conn.on('error', (err: Error) => opts.onConnectionError?.(err));
  try {
    await conn.connect();
  } catch (err) {
    conn.disconnect();
    // ioredis errors may quote the URL, and the URL may hold a password.
    throw new Error(`cannot reach Redis at REDIS_URL: ${(err as Error).message.replace(url, '<REDIS_URL>')}`);
  }
  const q = new RedisQueue<T>(conn, runner, opts);
  await q.start(Queue, Worker);
  return q;
}

export class RedisQueue<T extends QueuedJob> implements JobQueue<T> {
  private readonly p: string;
  private readonly channel: string;
  private readonly retry: RetryPolicy;
  private readonly lockMs: number;
  private readonly running = new Map<string, Running>();
  private readonly activePerGroup = new Map<string, number>();
  private active = 0;
  private closed = false;
  private sub!: Redis;
  private work!: Queue;
  private timers!: Queue;
  private workWorker: Worker | null = null;
  private timerWorker: Worker | null = null;
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly runner: JobRunner<T>,
    private readonly opts: RedisQueueOptions,
  ) {
    this.p = `${opts.prefix ?? 'ferry'}`;
    this.channel = `${this.p}:abort`;
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.lockMs = opts.lockMs ?? 30_000;
  }

  /** @internal Called once by openRedisQueue. */
  async start(QueueClass: typeof Queue, WorkerClass: typeof Worker): Promise<void> {
    this.sub = this.redis.duplicate();
    this.sub.on('error', () => undefined);
    this.sub.on('message', (_channel: string, raw: string) => this.onAbortMessage(raw));
    await this.sub.subscribe(this.channel);
    const bull = { connection: this.redis, prefix: `${this.p}:bull` };
    this.work = new QueueClass('work', bull);
    this.timers = new QueueClass('timers', bull);
    if (this.opts.consume === false) return;
    this.workWorker = new WorkerClass('work', (job, token) => this.wake(job as BullJob<WakeData<T>>, token), {
      ...bull,
      concurrency: this.opts.concurrency,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 1000 },
    });
    // Not `enqueue`: a timer that fires while this replica closes must still queue its job.
    this.timerWorker = new WorkerClass('timers', async (job) => this.queueNow((job.data as { job: T }).job), {
      ...bull,
      concurrency: 1,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 1000 },
    });
    // A worker's connection error is retried by ioredis; logging it per attempt would flood.
    for (const w of [this.workWorker, this.timerWorker]) w.on('error', () => undefined);
    await Promise.all([this.workWorker.waitUntilReady(), this.timerWorker.waitUntilReady()]);
    const sweepMs = this.opts.sweepMs ?? 10_000;
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), sweepMs).unref();
  }

  private k(kind: string, key: string): string {
    return `${this.p}:${kind}:${key}`;
  }

  async firstDelivery(id: string | undefined): Promise<boolean> {
    if (!id) return true;
    const ok = await this.redis.set(this.k('delivery', id), '1', 'EX', this.opts.deliveryClaimSeconds ?? 60, 'NX');
    return ok === 'OK';
  }

  async deliveryQueued(id: string): Promise<void> {
    await this.redis.set(this.k('delivery', id), '1', 'EX', this.opts.deliveryTtlSeconds ?? 86_400);
  }

  async enqueue(job: T, opts: { delayMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    if (opts.delayMs && opts.delayMs > 0) {
      const jobId = idOf(job.key);
      // A newer delayed job of the key replaces the waiting one.
      await this.timers.remove(jobId);
      await this.timers.add('timer', { job }, { jobId, delay: opts.delayMs });
      return;
    }
    await this.queueNow(job);
  }

  /** Puts the job in its key's slot and wakes the key. */
  private async queueNow(job: T): Promise<void> {
    await this.redis.eval(ENQUEUE, 3, this.k('gen', job.key), this.k('pending', job.key), `${this.p}:pendingkeys`,
      job.key, JSON.stringify(job), this.channel, job.version, String(Date.now()));
    await this.work.add('wake', { key: job.key });
  }

  async cancel(key: string): Promise<void> {
    if (this.closed) return;
    await this.timers.remove(idOf(key));
    await this.redis.eval(CANCEL, 3, this.k('gen', key), this.k('pending', key), `${this.p}:pendingkeys`, key, this.channel);
  }

  async size(): Promise<QueueSize> {
    // A closed queue has let go of its connection and runs nothing of its own.
    if (this.closed) return { running: 0, queued: 0, delayed: 0 };
    const [queued, delayed] = await Promise.all([this.redis.scard(`${this.p}:pendingkeys`), this.timers.getDelayedCount()]);
    return { running: this.active, queued, delayed };
  }

  /** Age of the oldest job waiting in a slot, in ms (0 when none waits). */
  async oldestQueuedMs(): Promise<number> {
    if (this.closed) return 0;
    const keys = await this.redis.smembers(`${this.p}:pendingkeys`);
    if (!keys.length) return 0;
    const ats = await Promise.all(keys.map((key) => this.redis.hget(this.k('pending', key), 'at')));
    const oldest = Math.min(...ats.map((a) => (a ? Number(a) : Date.now())));
    return Math.max(0, Date.now() - oldest);
  }

  /** Redis answers PING within `timeoutMs`: for /readyz, which must answer even when Redis does not. */
  async ping(timeoutMs = 1_000): Promise<boolean> {
    if (this.closed) return false;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs).unref()));
    try {
      return await Promise.race([this.redis.ping().then((p) => p === 'PONG', () => false), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A set of JSON values by group and id on this queue's Redis, in insertion order, the
   * oldest of a group dropped past `max`: state jobs share across replicas (waiting
   * promotions). Groups are hashed into the key, so PR-controlled text never shapes one.
   */
  sharedSet(name: string, max: number): { put(group: string, id: string, json: string): Promise<void>; delete(group: string, id: string): Promise<void>; values(group: string): Promise<string[]> } {
    const keys = (group: string) => {
      const h = createHash('sha256').update(group).digest('hex').slice(0, 32);
      return { order: `${this.p}:${name}:${h}:order`, values: `${this.p}:${name}:${h}:values` };
    };
    return {
      put: async (group, id, json) => {
        const k = keys(group);
        // A counter, not the clock: two adds in one millisecond keep their order.
        const seq = await this.redis.incr(`${this.p}:${name}:seq`);
        await this.redis.multi().zadd(k.order, seq, id).hset(k.values, id, json).exec();
        const over = (await this.redis.zcard(k.order)) - max;
        if (over > 0) {
          const gone = (await this.redis.zpopmin(k.order, String(over))).filter((_, i) => i % 2 === 0);
          if (gone.length) await this.redis.hdel(k.values, ...gone);
        }
      },
      delete: async (group, id) => {
        const k = keys(group);
        await this.redis.multi().zrem(k.order, id).hdel(k.values, id).exec();
      },
      values: async (group) => {
        const k = keys(group);
        const ids = await this.redis.zrange(k.order, '0', '-1');
        if (!ids.length) return [];
        return (await this.redis.hmget(k.values, ...ids)).filter((v): v is string => v !== null);
      },
    };
  }

  async close(timeoutMs = 30_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    // Stop taking work; closing a BullMQ worker waits for the jobs it runs.
    const drained = Promise.all([this.workWorker?.close(), this.timerWorker?.close()]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs).unref()));
    if ((await Promise.race([drained, timeout])) === 'timeout') {
      for (const r of this.running.values()) {
        r.handBack = true;
        r.controller.abort();
      }
      await drained;
    }
    clearTimeout(timer);
    await Promise.all([this.work.close(), this.timers.close()]);
    this.sub.disconnect();
    await this.redis.quit().catch(() => undefined);
  }

  private onAbortMessage(raw: string): void {
    let m: AbortMessage;
    try {
      m = JSON.parse(raw) as AbortMessage;
    } catch {
      return;
    }
    const r = this.running.get(m.key);
    if (r && m.gen > r.gen && (m.cancel || m.version !== r.version)) r.controller.abort();
  }

  /** Processes a wake-up: takes the group share, then drains the key if its lock is free. */
  private async wake(bj: BullJob<WakeData<T>>, token: string | undefined): Promise<void> {
    const { key, retry } = bj.data;
    if (retry) {
      await this.redis.eval(RESTORE, 3, this.k('gen', key), this.k('pending', key), `${this.p}:pendingkeys`,
        key, String(retry.gen), JSON.stringify(retry.job), String(retry.attempt), String(retry.at));
    }
    const groups = this.opts.groups;
    const group = groups?.groupOf(key) ?? key;
    if (groups && (this.activePerGroup.get(group) ?? 0) >= groups.perGroup) {
      // Give the slot to another group's job; this one is looked at again shortly.
      const { DelayedError } = await import('bullmq');
      await bj.moveToDelayed(Date.now() + (this.opts.groupRetryMs ?? 100), token);
      throw new DelayedError();
    }
    this.activePerGroup.set(group, (this.activePerGroup.get(group) ?? 0) + 1);
    let failed: { job: T; attempts: number; err: unknown } | null = null;
    try {
      failed = await this.drain(key);
    } finally {
      const n = (this.activePerGroup.get(group) ?? 1) - 1;
      if (n > 0) this.activePerGroup.set(group, n);
      else this.activePerGroup.delete(group);
    }
    if (failed) {
      // Kept in the failed set with what failed, for an operator to see (and retry by hand).
      await bj.updateData({ key, failed: { job: failed.job, attempts: failed.attempts } });
      const e = failed.err as Error & { status?: number };
      const message = String(e?.message ?? e);
      throw new Error(`${failed.job.kind} ${key} failed${e?.status ? ` (${e.status})` : ''}: ${this.opts.redact ? this.opts.redact(message) : message}`);
    }
  }

  /**
   * Runs the key's queued jobs while this replica holds its lock. Returns the job that
   * failed for good, if one did (then the rest is left to another wake-up).
   */
  private async drain(key: string): Promise<{ job: T; attempts: number; err: unknown } | null> {
    for (;;) {
      const token = randomUUID();
      const lock = this.k('lock', key);
      if ((await this.redis.set(lock, token, 'PX', this.lockMs, 'NX')) !== 'OK') return null;
      let failed: { job: T; attempts: number; err: unknown } | null = null;
      const renew = setInterval(() => void this.redis.eval(RENEW, 1, lock, token, String(this.lockMs)).then((ok) => {
        // Lost the lock (Redis was unreachable past its lifetime): another replica may run the key.
        if (ok !== 1) this.running.get(key)?.controller.abort();
      }, () => undefined), Math.max(10, Math.floor(this.lockMs / 3))).unref();
      try {
        while (!this.closed && !failed) {
          this.active++;
          const raw = await this.redis.eval(TAKE, 5, lock, this.k('pending', key), `${this.p}:pendingkeys`, this.k('running', key), `${this.p}:runningkeys`, key, token) as string[] | null;
          if (!raw) {
            this.active--;
            break;
          }
          try {
            failed = await this.runOne(key, entryOf<T>(raw));
          } finally {
            this.active--;
            await this.redis.eval(FINISH, 2, this.k('running', key), `${this.p}:runningkeys`, key);
          }
        }
      } finally {
        clearInterval(renew);
        await this.redis.eval(RELEASE, 1, lock, token);
      }
      // Release, then re-check: a wake-up dropped while the lock was held is covered here.
      if (!(await this.redis.exists(this.k('pending', key)))) return failed;
      if (this.closed || failed) {
        // Another replica (or a later wake-up here) takes it.
        await this.work.add('wake', { key });
        return failed;
      }
    }
  }

  private async runOne(key: string, e: Entry<T>): Promise<{ job: T; attempts: number; err: unknown } | null> {
    const controller = new AbortController();
    const r: Running = { version: e.job.version, gen: e.gen, controller, handBack: false };
    this.running.set(key, r);
    try {
      await this.runner(e.job, controller.signal);
      return null;
    } catch (err) {
      if (controller.signal.aborted) return null;
      const wait = retryDelay(err, e.attempt, this.retry);
      if (wait !== null) {
        this.opts.onRetry?.(err, e.job, e.attempt + 1, wait);
        await this.work.add('wake', { key, retry: { ...e, attempt: e.attempt + 1 } }, { delay: wait });
        return null;
      }
      this.opts.onError?.(err, e.job);
      return { job: e.job, attempts: e.attempt + 1, err };
    } finally {
      this.running.delete(key);
      if (r.handBack) {
        await this.redis.eval(RESTORE, 3, this.k('gen', key), this.k('pending', key), `${this.p}:pendingkeys`,
          key, String(e.gen), JSON.stringify(e.job), String(e.attempt), String(e.at));
      }
    }
  }

  /** Gives back what a dead replica held, and wakes every queued key nobody holds. */
  private async sweep(): Promise<void> {
    if (this.closed) return;
    for (const key of await this.redis.smembers(`${this.p}:runningkeys`)) {
      await this.redis.eval(RECOVER, 5, this.k('lock', key), this.k('running', key), `${this.p}:runningkeys`, this.k('pending', key), `${this.p}:pendingkeys`, key);
    }
    for (const key of await this.redis.smembers(`${this.p}:pendingkeys`)) {
      if (this.closed) return;
      if (await this.redis.exists(this.k('lock', key))) continue;
      const gen = await this.redis.get(this.k('gen', key));
      // One sweep wake-up per key and generation, however many replicas sweep.
      await this.work.add('wake', { key }, { jobId: `sweep-${idOf(key)}-${gen ?? 0}` });
    }
  }
}

function entryOf<T>(raw: string[]): Entry<T> {
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) h[raw[i]!] = raw[i + 1]!;
  return { job: JSON.parse(h.job!) as T, gen: Number(h.gen), attempt: Number(h.attempt ?? 0), at: Number(h.at ?? Date.now()) };
}
