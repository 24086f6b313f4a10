import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { openRedisQueue } from '../../src/runtime/redis-queue.js';
import { REPO_ROOT } from '../helpers/bin.js';
import { dropPrefix, testPrefix, testRedis, type TestRedis } from '../helpers/redis.js';

interface ChildJob { kind: 'test'; key: string; version: string; name: string }
const job = (key: string, name: string): ChildJob => ({ kind: 'test', key, version: 'v1', name });

let redis: TestRedis;
const prefix = testPrefix('sigterm');

beforeAll(async () => {
  redis = await testRedis();
});

afterAll(async () => {
  await dropPrefix(redis.url, prefix);
  await redis.stop();
});

async function until(pred: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('SIGTERM: a replica takes no more work, finishes what it can, hands back the rest, and exits 0', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test', 'helpers', 'queue-child.ts'), redis.url, prefix, '1500'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // This side only queues: it runs nothing itself.
  const producer = await openRedisQueue<ChildJob>(redis.url, async () => undefined, { prefix, concurrency: 1, consume: false });
  try {
    await until(() => out.includes('ready\n'));
    await producer.enqueue(job('pr#1', 'quick-1'));
    await producer.enqueue(job('pr#2', 'stuck'));
    await until(() => out.includes('started quick-1') && out.includes('started stuck'));
    child.kill('SIGTERM');
    await until(() => err.includes('taking no more work'));
    await producer.enqueue(job('pr#3', 'quick-after'));
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  expect(out).not.toContain('started quick-after');
  const r = new Redis(redis.url);
  try {
    // Finished within the grace...
    expect(await r.get(`${prefix}:done:quick-1`)).toBe('1');
    // ...handed back (it would not stop by itself)...
    expect(JSON.parse((await r.hget(`${prefix}:pending:pr#2`, 'job'))!)).toEqual(job('pr#2', 'stuck'));
    // ...and never taken.
    expect(JSON.parse((await r.hget(`${prefix}:pending:pr#3`, 'job'))!)).toEqual(job('pr#3', 'quick-after'));
  } finally {
    r.disconnect();
  }
  // Another replica runs what was handed back and what came late.
  const ran: string[] = [];
  const next = await openRedisQueue<ChildJob>(redis.url, async (j) => void ran.push(j.name), { prefix, concurrency: 2, sweepMs: 100 });
  await until(() => ran.length === 2);
  expect(ran.sort()).toEqual(['quick-after', 'stuck']);
  await next.close();
  await producer.close();
});
