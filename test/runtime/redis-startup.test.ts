import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewJob, type JobSpec } from '../../src/bot/jobs/spec.js';
import { openRedisQueue } from '../../src/runtime/redis-queue.js';
import type { RunningServer } from '../../src/server.js';
import { GitHubMock } from '../helpers/github.js';
import { tempDir } from '../helpers/gitrepo.js';
import { dropPrefix, testPrefix, testRedis, type TestRedis } from '../helpers/redis.js';
import { idle, startTestServer } from '../helpers/server.js';

let redis: TestRedis;
let server: RunningServer | undefined;
let gh: GitHubMock | undefined;
const prefix = testPrefix('startup');

beforeAll(async () => {
  redis = await testRedis();
});

afterAll(async () => {
  await server?.stop(5_000);
  gh?.done();
  await dropPrefix(redis.url, prefix);
  await redis.stop();
});

describe('a replica starting while Redis holds work', () => {
  // Found by bench/load.ts: a replica restarted after a SIGKILL took the jobs waiting in
  // Redis before its GitHub App was set up, and failed them for good with "this server is
  // not configured for github" (a plan lost when it was the PR's last head).
  it('runs the waiting jobs with its forges', async () => {
    const producer = await openRedisQueue<JobSpec>(redis.url, async () => undefined, { concurrency: 1, prefix, consume: false });
    await producer.enqueue(reviewJob({ kind: 'github', installationId: 1 }, { repo: { forge: 'github', path: 'o/r' }, number: 1 }));
    await producer.close();

    gh = new GitHubMock();
    gh.route('POST', '/app/installations/1/access_tokens', () => [201, { token: 'ghs_startup', expires_at: new Date(Date.now() + 3600e3).toISOString() }]);
    // A closed PR: the review job reads it and has nothing more to do.
    gh.route('GET', '/repos/o/r/pulls/1', () => [200, {
      number: 1, state: 'closed', head: { sha: 'a'.repeat(40), ref: 'topic' },
      base: { sha: 'b'.repeat(40), ref: 'main', repo: { name: 'r', owner: { login: 'o' }, clone_url: 'https://github.example/o/r.git' } },
    }]);
    server = await startTestServer(tempDir('ferry-cache-'), { redisUrl: redis.url, redisPrefix: prefix });
    await gh.until(() => gh!.count('GET', '/repos/o/r/pulls/1') > 0);
    await idle(server);
    expect(server.failures).toEqual(new Map());
  });
});
