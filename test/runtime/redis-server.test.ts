import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisQueue } from '../../src/runtime/redis-queue.js';
import { configFromEnv, startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/github.js';
import { tempDir } from '../helpers/gitrepo.js';
import { dropPrefix, testPrefix, testRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let server: RunningServer;
const prefix = testPrefix('server');

beforeAll(async () => {
  redis = await testRedis();
  server = await startServer({
    gitlab: { url: 'https://gitlab.example.test', token: 'glpat-x', webhookSecret: 'w' },
    port: await freePort(),
    host: '127.0.0.1',
    cacheDir: tempDir('ferry-cache-'),
    logLevel: 'fatal',
    redisUrl: redis.url,
    redisPrefix: prefix,
  });
});

afterAll(async () => {
  await server?.stop(5_000);
  await dropPrefix(redis.url, prefix);
  await redis.stop();
});

describe('the server with REDIS_URL', () => {
  it('REDIS_URL is read and checked without being repeated', () => {
    const base = { GITLAB_TOKEN: 't', GITLAB_WEBHOOK_SECRET: 'w' };
    expect(configFromEnv(base).redisUrl).toBeUndefined();
    expect(configFromEnv({ ...base, REDIS_URL: 'redis://:pw@redis:6379/0', FERRY_REDIS_PREFIX: 'ferry-a' })).toMatchObject({ redisUrl: 'redis://:pw@redis:6379/0', redisPrefix: 'ferry-a' });
    expect(() => configFromEnv({ ...base, REDIS_URL: 'http://user:secretpw@redis' })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('secretpw') }));
    expect(() => configFromEnv({ ...base, REDIS_URL: 'http://redis' })).toThrow('REDIS_URL must be a redis:// or rediss:// URL');
  });

  it('queues on Redis, and /readyz says whether Redis answers', async () => {
    expect(server.queue).toBeInstanceOf(RedisQueue);
    const ok = await fetch(`${server.url}/readyz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ready', checks: { accepting: true, engine: true, redis: true } });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('ferry_queue_jobs{state="queued"} 0');
    // Redis stops answering for a while: this replica is not ready meanwhile.
    const admin = new Redis(redis.url);
    try {
      await admin.call('CLIENT', 'PAUSE', '2500', 'ALL');
      const down = await fetch(`${server.url}/readyz`);
      expect(down.status).toBe(503);
      expect(((await down.json()) as { checks: Record<string, boolean> }).checks.redis).toBe(false);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      admin.disconnect();
    }
    const back = await fetch(`${server.url}/readyz`);
    expect(back.status).toBe(200);
  });
});
