import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisQueue } from '../../src/runtime/redis-queue.js';
import { configFromEnv, startServer, type RunningServer } from '../../src/server.js';
import { CORPUS } from '../helpers/bin.js';
import { freePort } from '../helpers/github.js';
import { tempDir } from '../helpers/gitrepo.js';
import { dropPrefix, testPrefix, testRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let server: RunningServer;
let proxy: { url: string; freeze(on: boolean): void; close(): Promise<void> };
const prefix = testPrefix('server');

/**
 * A TCP relay to the test Redis that can stop passing Redis's answers on: Redis "stops
 * answering" for this server alone, without pausing a Redis others share.
 */
async function relay(target: string): Promise<typeof proxy> {
  const { hostname, port } = new URL(target);
  const upstreams = new Set<Socket>();
  let frozen = false;
  const srv: Server = createServer((client) => {
    const up = connect(Number(port), hostname);
    upstreams.add(up);
    if (frozen) up.pause();
    client.pipe(up);
    up.pipe(client);
    const drop = () => {
      upstreams.delete(up);
      client.destroy();
      up.destroy();
    };
    client.on('error', drop).on('close', drop);
    up.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const addr = srv.address();
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(typeof addr === 'object' && addr ? addr.port : 0);
  return {
    url: url.href,
    freeze(on) {
      frozen = on;
      for (const u of upstreams) on ? u.pause() : u.resume();
    },
    close: () => new Promise<void>((r) => {
      for (const u of upstreams) u.destroy();
      srv.close(() => r());
    }),
  };
}

beforeAll(async () => {
  redis = await testRedis();
  proxy = await relay(redis.url);
  server = await startServer({
    gitlab: { url: 'https://gitlab.example.test', token: 'glpat-x', webhookSecret: 'w' },
    port: await freePort(),
    host: '127.0.0.1',
    cacheDir: tempDir('ferry-cache-'),
    logLevel: 'fatal',
    redisUrl: proxy.url,
    redisPrefix: prefix,
  });
});

afterAll(async () => {
  await server?.stop(5_000);
  await proxy?.close();
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
    expect(configFromEnv({ ...base, FERRY_CACHE_MAX_MB: '512', FERRY_MIRROR_MAX_AGE_DAYS: '3' })).toMatchObject({ cacheMaxMb: 512, mirrorMaxAgeDays: 3 });
    expect(() => configFromEnv({ ...base, FERRY_CACHE_MAX_MB: 'lots' })).toThrow('FERRY_CACHE_MAX_MB must be a positive number');
    // Chart settings are checked at start too, with the variable named.
    expect(() => configFromEnv({ ...base, FERRY_CHARTS: 'sometimes' })).toThrow(/FERRY_CHARTS must be on or off/);
    expect(() => configFromEnv({ ...base, FERRY_CHART_TIMEOUT_MS: '-1' })).toThrow(/FERRY_CHART_TIMEOUT_MS/);
  });

  it('a delivery\'s id is held briefly, and for the full day only once its event is queued', async () => {
    const { Redis } = await import('ioredis');
    const r = new Redis(redis.url);
    const deliver = (id: string, event: string, body: unknown) => fetch(`${server.url}/api/gitlab/webhooks`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-token': 'w', 'x-gitlab-event': event, 'idempotency-key': id }, body: JSON.stringify(body),
    });
    try {
      // An event Ferry ignores queues nothing: its id is only claimed.
      expect((await deliver('ignored-1', 'Wiki Page Hook', { object_kind: 'wiki_page' })).status).toBe(202);
      const claimed = await r.ttl(`${prefix}:delivery:gitlab:ignored-1`);
      expect(claimed).toBeGreaterThan(0);
      expect(claimed).toBeLessThanOrEqual(60);
      // A merge request opened is queued: its id is kept for the full TTL.
      const open = JSON.parse(readFileSync(path.join(CORPUS, '..', 'gitlab', 'webhooks', 'merge_request.open.json'), 'utf8')) as unknown;
      expect((await deliver('queued-1', 'Merge Request Hook', open)).status).toBe(202);
      expect(await r.ttl(`${prefix}:delivery:gitlab:queued-1`)).toBeGreaterThan(3600);
      // The redelivery of either is a duplicate while its id is held.
      expect(await (await deliver('queued-1', 'Merge Request Hook', open)).json()).toMatchObject({ result: 'duplicate' });
    } finally {
      r.disconnect();
    }
  });

  it('queues on Redis, and /readyz says whether Redis answers', async () => {
    expect(server.queue).toBeInstanceOf(RedisQueue);
    const ok = await fetch(`${server.url}/readyz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ready', checks: { accepting: true, engine: true, redis: true } });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('ferry_queue_jobs{state="queued"} 0');
    // Redis stops answering: this replica is not ready meanwhile.
    proxy.freeze(true);
    try {
      const down = await fetch(`${server.url}/readyz`);
      expect(down.status).toBe(503);
      expect(((await down.json()) as { checks: Record<string, boolean> }).checks.redis).toBe(false);
    } finally {
      proxy.freeze(false);
    }
    const back = await fetch(`${server.url}/readyz`);
    expect(back.status).toBe(200);
  });
});
