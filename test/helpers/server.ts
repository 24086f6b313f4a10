import nock from 'nock';
import { startServer, type RunningServer, type ServerConfig } from '../../src/server.js';
import { freePort, testPrivateKey } from './github.js';

export const SECRET = 'webhook-secret-for-tests';

/** The real server on a free loopback port; api.github.com is left to nock. */
export async function startTestServer(cacheDir: string, extra: Partial<Omit<ServerConfig, 'github'>> & { github?: Partial<NonNullable<ServerConfig['github']>> } = {}): Promise<RunningServer> {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  const { github, ...rest } = extra;
  return startServer({
    github: {
      appId: '1',
      privateKey: testPrivateKey(),
      webhookSecret: SECRET,
      // Retries after 10 ms, not seconds: the test exercises the retry, not the wait.
      octokit: { retry: { retryAfterBaseValue: 10 }, throttle: { enabled: false } },
      ...github,
    },
    port: await freePort(),
    host: '127.0.0.1',
    cacheDir,
    logLevel: 'fatal',
    ...rest,
  });
}

/** Resolves when the server's queue has nothing running or queued. */
export async function idle(server: RunningServer): Promise<void> {
  await new Promise((r) => setTimeout(r, 50));
  while (await busy(server)) await new Promise((r) => setTimeout(r, 25));
}

/** Jobs running or queued (delayed ones, such as a soak re-check hours away, do not count). */
async function busy(server: RunningServer): Promise<boolean> {
  const s = await server.queue.size();
  return s.running + s.queued > 0;
}
