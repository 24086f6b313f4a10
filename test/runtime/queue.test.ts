import { describe, expect, it } from 'vitest';
import { MemoryQueue } from '../../src/runtime/memory-queue.js';
import { queueContract, type TestJob } from './queue-contract.js';

describe('MemoryQueue: the JobQueue contract', () => {
  queueContract((run, opts) => new MemoryQueue<TestJob>(run, opts));
});

describe('MemoryQueue', () => {
  it('forgets the oldest delivery ids past its bound', async () => {
    const q = new MemoryQueue<TestJob>(async () => undefined, { concurrency: 1 }, 2);
    expect(await q.firstDelivery('d1')).toBe(true);
    expect(await q.firstDelivery('d2')).toBe(true);
    expect(await q.firstDelivery('d3')).toBe(true);
    expect(await q.firstDelivery('d1')).toBe(true);
    await q.close();
  });
});
