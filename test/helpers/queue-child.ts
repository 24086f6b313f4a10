// A replica in a process of its own, for the SIGTERM test:
// `node --import tsx test/helpers/queue-child.ts REDIS_URL PREFIX GRACE_MS`.
// It runs jobs through the RedisQueue with the server's signal handling (stopOnSignals):
// job `quick` takes a moment and then marks `<prefix>:done:<name>` in Redis; job `stuck`
// runs until it is aborted. It prints `started <name>` as each job starts.
import { Redis } from 'ioredis';
import { openRedisQueue } from '../../src/runtime/redis-queue.js';
import { stopOnSignals } from '../../src/runtime/shutdown.js';

interface ChildJob { kind: 'test'; key: string; version: string; name: string }

const [url, prefix, grace] = process.argv.slice(2) as [string, string, string];
const marks = new Redis(url);
const queue = await openRedisQueue<ChildJob>(url, async (job, signal) => {
  process.stdout.write(`started ${job.name}\n`);
  if (job.name.startsWith('quick')) {
    await new Promise((r) => setTimeout(r, 300));
    await marks.set(`${prefix}:done:${job.name}`, '1');
    return;
  }
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
}, { prefix, concurrency: 4 });
stopOnSignals(async (graceMs) => {
  await queue.close(graceMs);
  marks.disconnect();
}, { graceMs: Number(grace), say: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write('ready\n');
