import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryWaiting, SharedWaiting, WAITING_PER_REPOSITORY, type WaitingPromotions } from '../../src/bot/waiting.js';
import type { PullRequest, RepoRef } from '../../src/forge/types.js';
import { openRedisQueue, type RedisQueue } from '../../src/runtime/redis-queue.js';
import { FakeForge } from '../helpers/fake-forge.js';
import { dropPrefix, keysUnder, testPrefix, testRedis, type TestRedis } from '../helpers/redis.js';

const other: RepoRef = { forge: 'github', path: 'acme/other' };
const pull = (number: number, repo?: RepoRef): PullRequest => {
  const pr = new FakeForge().putPull({ number, title: `PR ${number}` });
  return repo ? { ...pr, repo } : pr;
};

/** What every store of waiting promotions must do, in memory or shared by replicas. */
function waitingContract(make: () => Promise<WaitingPromotions>) {
  it('lists what was added, per repository, oldest first; a re-add moves it last with the newer PR', async () => {
    const w = await make();
    const a = pull(1);
    await w.add(a);
    await w.add(pull(2));
    await w.add(pull(3, other));
    await w.add({ ...a, title: 'PR 1, edited' });
    expect((await w.list(a.repo)).map((p) => [p.number, p.title])).toEqual([[2, 'PR 2'], [1, 'PR 1, edited']]);
    expect((await w.list(other)).map((p) => p.number)).toEqual([3]);
    // The whole PR comes back, not only its number.
    expect((await w.list(other))[0]).toEqual(pull(3, other));
  });

  it('remove forgets one PR; removing one that is not there is no error', async () => {
    const w = await make();
    await w.add(pull(1));
    await w.add(pull(2));
    await w.remove(pull(1));
    await w.remove(pull(9));
    expect((await w.list(pull(1).repo)).map((p) => p.number)).toEqual([2]);
  });

  it(`keeps at most ${WAITING_PER_REPOSITORY} per repository: the oldest give way`, async () => {
    const w = await make();
    for (let n = 1; n <= WAITING_PER_REPOSITORY + 3; n++) await w.add(pull(n));
    const left = (await w.list(pull(1).repo)).map((p) => p.number);
    expect(left).toHaveLength(WAITING_PER_REPOSITORY);
    expect(left[0]).toBe(4);
    expect(left.at(-1)).toBe(WAITING_PER_REPOSITORY + 3);
  });
}

describe('MemoryWaiting', () => {
  waitingContract(async () => new MemoryWaiting());
});

describe('SharedWaiting on the Redis queue', () => {
  let redis: TestRedis;
  const queues: Array<{ q: RedisQueue<{ kind: string; key: string; version: string }>; prefix: string }> = [];
  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(async () => {
    for (const { q, prefix } of queues) {
      await q.close(1000);
      await dropPrefix(redis.url, prefix);
    }
    await redis.stop();
  });
  const open = async (prefix = testPrefix('waiting')) => {
    const q = await openRedisQueue<{ kind: string; key: string; version: string }>(redis.url, async () => undefined, { concurrency: 1, consume: false, prefix });
    queues.push({ q, prefix });
    return { q, prefix };
  };

  waitingContract(async () => new SharedWaiting((await open()).q.sharedSet('waiting', WAITING_PER_REPOSITORY)));

  it('another replica, or the same one after a restart, sees what was added; keys never carry the repository name', async () => {
    const { q, prefix } = await open();
    await new SharedWaiting(q.sharedSet('waiting', WAITING_PER_REPOSITORY)).add(pull(7, { forge: 'github', path: 'acme/gitops' }));
    const { q: replica } = await open(prefix);
    expect((await new SharedWaiting(replica.sharedSet('waiting', WAITING_PER_REPOSITORY)).list({ forge: 'github', path: 'acme/gitops' })).map((p) => p.number)).toEqual([7]);
    const keys = await keysUnder(redis.url, prefix);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => k.includes('acme'))).toEqual([]);
  });
});
