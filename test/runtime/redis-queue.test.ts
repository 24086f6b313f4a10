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
