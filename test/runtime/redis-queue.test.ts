import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobQueue, QueueOptions } from '../../src/runtime/queue.js';
import { openRedisQueue, type RedisQueue, type RedisQueueOptions } from '../../src/runtime/redis-queue.js';
import { dropPrefix, keysUnder, testPrefix, testRedis, type TestRedis } from '../helpers/redis.js';
import { queueContract, type TestJob } from './queue-contract.js';

let redis: TestRedis;
const prefixes: string[] = [];

beforeAll(async () => {
  redis = await testRedis();
});

afterAll(async () => {
  for (const p of prefixes) await dropPrefix(redis.url, p);
  await redis.stop();
});

/** The contract makes its queues synchronously; this one connects first, so calls wait for it. */
function lazy(open: Promise<RedisQueue<TestJob>>): JobQueue<TestJob> {
  return {
    enqueue: async (job, opts) => (await open).enqueue(job, opts),
    cancel: async (key) => (await open).cancel(key),
    firstDelivery: async (id) => (await open).firstDelivery(id),
    size: async () => (await open).size(),
    close: async (ms) => (await open).close(ms),
  };
}

function open(run: (job: TestJob, signal: AbortSignal) => Promise<void>, opts: QueueOptions & Partial<RedisQueueOptions>, name = 'contract') {
  const prefix = testPrefix(name);
  prefixes.push(prefix);
  return { prefix, queue: openRedisQueue<TestJob>(redis.url, run, { prefix, sweepMs: 200, ...opts }) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}
const job = (key: string, version: string, name = `${key}@${version}`): TestJob => ({ kind: 'test', key, version, name });

describe('RedisQueue: the JobQueue contract', () => {
  queueContract((run, opts) => lazy(open(run, opts).queue));
});

describe('RedisQueue across replicas', () => {
  /** Two replicas (or more) on one prefix, each with its own connection and workers. */
  async function replicas(n: number, run: (who: number, job: TestJob, signal: AbortSignal) => Promise<void>, opts: Partial<RedisQueueOptions> = {}) {
    const prefix = testPrefix('replicas');
    prefixes.push(prefix);
    const errors: string[] = [];
    const qs: RedisQueue<TestJob>[] = [];
    for (let i = 0; i < n; i++) {
      qs.push(await openRedisQueue<TestJob>(redis.url, (j, s) => run(i, j, s), { prefix, concurrency: 4, sweepMs: 200, onError: (err, j) => errors.push(`${j.key}: ${(err as Error).message}`), ...opts }));
    }
    return { prefix, qs, errors, close: () => Promise.all(qs.map((q) => q.close(1000))) };
  }

  it('runs one job per key at a time across replicas, and the newer job after the older', async () => {
    let running = 0;
    let peak = 0;
    const ran: string[] = [];
    let releaseFirst!: () => void;
    const first = new Promise<void>((r) => (releaseFirst = r));
    const { qs, close } = await replicas(2, async (who, j) => {
      running++;
      peak = Math.max(peak, running);
      ran.push(`${j.name}@${who}`);
      if (j.name === 'first') await first;
      running--;
    });
    await qs[0]!.enqueue(job('pr#1', 'a', 'first'));
    await until(() => ran.length === 1);
    // The other replica gets the key's next job while the first runs.
    await qs[1]!.enqueue(job('pr#1', 'a', 'second'));
    await sleep(300);
    expect(ran.map((r) => r.split('@')[0])).toEqual(['first']);
    releaseFirst();
    await until(() => ran.length === 2);
    expect(ran.map((r) => r.split('@')[0])).toEqual(['first', 'second']);
    expect(peak).toBe(1);
    await close();
  });

  it('a newer version queued on one replica aborts the older one running on another; cancel does too', async () => {
    const ran: string[] = [];
    const aborted: string[] = [];
    const { qs, close } = await replicas(2, async (who, j, signal) => {
      ran.push(`${j.name}@${who}`);
      if (j.name.startsWith('long')) await new Promise<void>((r) => signal.addEventListener('abort', () => (aborted.push(j.name), r())));
    });
    await qs[0]!.enqueue(job('pr#1', 'a', 'long-a'));
    await until(() => ran.length === 1);
    const runner = Number(ran[0]!.split('@')[1]);
    await qs[1 - runner]!.enqueue(job('pr#1', 'b', 'newer'));
    await until(() => ran.some((r) => r.startsWith('newer')));
    expect(aborted).toEqual(['long-a']);

    await qs[0]!.enqueue(job('pr#2', 'a', 'long-2'));
    await until(() => ran.some((r) => r.startsWith('long-2')));
    const holder = Number(ran.find((r) => r.startsWith('long-2'))!.split('@')[1]);
    await qs[1 - holder]!.cancel('pr#2');
    await until(() => aborted.includes('long-2'));
    await close();
  });

  it('de-duplicates a delivery across replicas: held briefly until its event is queued, then for the full TTL', async () => {
    const { prefix, qs, close } = await replicas(2, async () => undefined, { deliveryTtlSeconds: 3600, deliveryClaimSeconds: 1 });
    const { Redis } = await import('ioredis');
    const r = new Redis(redis.url);
    try {
      expect(await qs[0]!.firstDelivery('d-1')).toBe(true);
      expect(await qs[1]!.firstDelivery('d-1')).toBe(false);
      expect(await r.pttl(`${prefix}:delivery:d-1`)).toBeLessThanOrEqual(1000);
      await qs[0]!.deliveryQueued('d-1');
      const ttl = await r.ttl(`${prefix}:delivery:d-1`);
      expect(ttl).toBeGreaterThan(60);
      expect(ttl).toBeLessThanOrEqual(3600);
      // A replica that claims a delivery and dies before queuing its event: the claim
      // lapses, and the redelivery is taken as new, not answered as a duplicate.
      expect(await qs[0]!.firstDelivery('d-2')).toBe(true);
      await until(async () => (await r.exists(`${prefix}:delivery:d-2`)) === 0, 5000);
      expect(await qs[1]!.firstDelivery('d-2')).toBe(true);
    } finally {
      r.disconnect();
      await close();
    }
  });

  it('retries a job after a forge 5xx or 429, and drops the retry when newer work came', async () => {
    const tries = new Map<string, number>();
    const retries: number[] = [];
    const { qs, errors, close } = await replicas(1, async (_who, j) => {
      tries.set(j.name, (tries.get(j.name) ?? 0) + 1);
      if (j.name === 'flaky' && tries.get('flaky')! < 3) throw Object.assign(new Error('Service Unavailable'), { status: 503 });
      if (j.name === 'limited' && tries.get('limited')! < 2) throw Object.assign(new Error('rate limited'), { status: 429, response: { headers: { 'retry-after': '0' } } });
      if (j.name === 'slow-retry') throw Object.assign(new Error('Bad Gateway'), { status: 502 });
    }, { retry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 50 }, onRetry: (_e, _j, attempt) => retries.push(attempt) });
    await qs[0]!.enqueue(job('pr#1', 'a', 'flaky'));
    await qs[0]!.enqueue(job('pr#2', 'a', 'limited'));
    await until(() => tries.get('flaky') === 3 && tries.get('limited') === 2);
    expect(errors).toEqual([]);
    expect(retries.sort()).toEqual([1, 1, 2]);
    await close();

    // A retry waits; a newer head queued meanwhile makes it moot.
    const t2 = new Map<string, number>();
    const second = await replicas(1, async (_who, j) => {
      t2.set(j.name, (t2.get(j.name) ?? 0) + 1);
      if (j.name === 'old') throw Object.assign(new Error('Bad Gateway'), { status: 502 });
    }, { retry: { attempts: 5, baseDelayMs: 400, maxDelayMs: 400 } });
    await second.qs[0]!.enqueue(job('pr#3', 'a', 'old'));
    await until(() => t2.get('old') === 1);
    await second.qs[0]!.enqueue(job('pr#3', 'b', 'new'));
    await until(() => t2.get('new') === 1);
    await sleep(800);
    expect(t2.get('old')).toBe(1);
    expect(second.errors).toEqual([]);
    await second.close();
  });

  it('a job that spends its retries is reported once and kept in the failed set with its spec', async () => {
    const { prefix, qs, errors, close } = await replicas(1, async () => {
      throw Object.assign(new Error('Internal Server Error token=s3cret'), { status: 500 });
    }, { retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 }, redact: (s) => s.replace(/token=\S+/, 'token=***') });
    await qs[0]!.enqueue(job('pr#1', 'a', 'doomed'));
    await until(() => errors.length === 1);
    const { Queue } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const work = new Queue('work', { connection: conn, prefix: `${prefix}:bull` });
    let failed: Awaited<ReturnType<typeof work.getFailed>> = [];
    await until(async () => (failed = await work.getFailed()).length === 1);
    expect(failed[0]!.data).toEqual({ key: 'pr#1', failed: { job: job('pr#1', 'a', 'doomed'), attempts: 2 } });
    expect(failed[0]!.failedReason).toContain('test pr#1 failed (500)');
    expect(failed[0]!.failedReason).not.toContain('s3cret');
    expect(errors).toEqual(['pr#1: Internal Server Error token=s3cret']);
    await work.close();
    conn.disconnect();
    await close();
  });

  it('a delayed job outlives the replica that queued it', async () => {
    const ran: string[] = [];
    const a = await replicas(1, async (_w, j) => void ran.push(`a:${j.name}`));
    await a.qs[0]!.enqueue(job('pr#1:auto', 'x', 'recheck'), { delayMs: 300 });
    await a.close();
    const b = await openRedisQueue<TestJob>(redis.url, async (j) => void ran.push(`b:${j.name}`), { prefix: a.prefix, concurrency: 1 });
    await until(() => ran.length > 0);
    expect(ran).toEqual(['b:recheck']);
    await b.close();
  });

  it('close hands a job it had to abort back to the queue, for another replica', async () => {
    const ran: string[] = [];
    const a = await replicas(1, async (_w, j, signal) => {
      ran.push(`a:${j.name}`);
      await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
    });
    await a.qs[0]!.enqueue(job('pr#1', 'a', 'long'));
    await until(() => ran.length === 1);
    await a.qs[0]!.close(50);
    const b = await openRedisQueue<TestJob>(redis.url, async (j) => void ran.push(`b:${j.name}`), { prefix: a.prefix, concurrency: 1 });
    await until(() => ran.length === 2);
    expect(ran).toEqual(['a:long', 'b:long']);
    await b.close();
  });

  it('a delayed job that comes due while its replica closes runs on the next replica', async () => {
    const ran: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = await replicas(1, async (_w, j) => {
      ran.push(`a:${j.name}`);
      if (j.name === 'long') await gate;
    });
    await a.qs[0]!.enqueue(job('pr#1', 'a', 'long'));
    await until(() => ran.length === 1);
    await a.qs[0]!.enqueue(job('pr#2:auto', 'x', 'due'), { delayMs: 100 });
    // Closing waits for 'long'; meanwhile the timer comes due (a closing replica takes no
    // new timer, so it waits in Redis; one it had already taken is queued all the same).
    const closing = a.qs[0]!.close(10_000);
    await sleep(300);
    release();
    await closing;
    const b = await openRedisQueue<TestJob>(redis.url, async (j) => void ran.push(`b:${j.name}`), { prefix: a.prefix, concurrency: 1 });
    await until(() => ran.length === 2);
    expect(ran).toEqual(['a:long', 'b:due']);
    await b.close();
  });

  it('gives back a job whose replica died while running it (its lock expired)', async () => {
    const prefix = testPrefix('crash');
    prefixes.push(prefix);
    const { Redis } = await import('ioredis');
    const r = new Redis(redis.url);
    // What a replica killed mid-job leaves: the running entry and no lock.
    await r.set(`${prefix}:gen:pr#1`, '3');
    await r.hset(`${prefix}:running:pr#1`, 'job', JSON.stringify(job('pr#1', 'a', 'orphan')), 'gen', '3', 'attempt', '0', 'at', String(Date.now()));
    await r.sadd(`${prefix}:runningkeys`, 'pr#1');
    r.disconnect();
    const ran: string[] = [];
    const q = await openRedisQueue<TestJob>(redis.url, async (j) => void ran.push(j.name), { prefix, concurrency: 1, sweepMs: 50 });
    await until(() => ran.length === 1);
    expect(ran).toEqual(['orphan']);
    await until(async () => (await keysUnder(redis.url, `${prefix}:running`)).length === 0);
    await q.close();
  });
});
