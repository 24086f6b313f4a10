import type { JobDeps } from '../../src/bot/jobs/run.js';
import type { JobSpec } from '../../src/bot/jobs/spec.js';
import { MemoryWaiting } from '../../src/bot/waiting.js';
import { FakeForges, type FakeForge } from './fake-forge.js';

/** What jobs run with on a fake forge, in this process; follow-up jobs land in `queued`. */
export function fakeJobDeps(fake: FakeForge, cacheDir: string, extra: Partial<JobDeps> = {}) {
  const queued: Array<{ job: JobSpec; delayMs?: number }> = [];
  const deps: JobDeps = {
    forges: new FakeForges(fake),
    queue: { enqueue: async (job, opts) => void queued.push({ job, delayMs: opts?.delayMs }) },
    waiting: new MemoryWaiting(),
    cacheDir,
    identity: { name: 'Ferry', email: 'ferry@example.invalid' },
    log: { info: () => undefined, warn: () => undefined },
    ...extra,
  };
  return { deps, queued };
}
