import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

const HOW = 'Tests of the Redis queue need a Redis server: set REDIS_URL (e.g. redis://127.0.0.1:6379), or put redis-server on PATH (apt-get install redis-server; brew install redis).';

/**
 * REDIS_URL when set; otherwise a private redis-server on a free port, without
 * persistence, stopped by `stop`; otherwise an error saying how to get one.
 */
export async function testRedis(): Promise<TestRedis> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined };
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = await new Promise<ChildProcess>((resolve, reject) => {
      const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      c.once('error', reject);
      c.once('spawn', () => resolve(c));
    });
  } catch (err) {
    throw new Error(`${HOW} (${(err as Error).message})`);
  }
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    try {
      await probe.connect();
      up = (await probe.ping()) === 'PONG';
    } catch {
      probe.disconnect();
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  probe.disconnect();
  if (!up) {
    child.kill();
    throw new Error(`redis-server did not answer on port ${port}. ${HOW}`);
  }
  return {
    url,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill();
    }),
  };
}

/** A prefix no other test uses. */
export const testPrefix = (name: string) => `ferry-test:${name}:${randomUUID().slice(0, 8)}`;

/** Deletes every key under `prefix`. */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** Keys under `prefix` (to check a test left nothing, or what it left). */
export async function keysUnder(url: string, prefix: string): Promise<string[]> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return await r.keys(`${prefix}:*`);
  } finally {
    r.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
