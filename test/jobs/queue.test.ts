import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/jobs/queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

async function drained(q: JobQueue) {
  while (q.size.running + q.size.queued > 0) await tick();
}

describe('JobQueue', () => {
  it('runs one job per key at a time, in order', async () => {
    const q = new JobQueue(4);
    const log: string[] = [];
    const gate = deferred();
    q.enqueue('pr#1', 'a', async () => {
      log.push('a:start');
      await gate.promise;
      log.push('a:end');
    });
    await tick();
    q.enqueue('pr#1', 'a', async () => void log.push('a2'));
    await tick();
    expect(log).toEqual(['a:start']);
    gate.resolve();
    await drained(q);
    expect(log).toEqual(['a:start', 'a:end', 'a2']);
  });

  it('a newer SHA aborts running work and replaces queued work for an older one', async () => {
    const q = new JobQueue(4);
    const ran: string[] = [];
    let abortedA = false;
    q.enqueue('pr#1', 'a', (signal) => new Promise<void>((resolve) => {
      ran.push('a');
      signal.addEventListener('abort', () => {
        abortedA = true;
        resolve();
      });
    }));
    await tick();
    q.enqueue('pr#1', 'b', async () => void ran.push('b'));
    q.enqueue('pr#1', 'c', async () => void ran.push('c'));
    expect(q.latest('pr#1')).toBe('c');
    await tick();
    await q.close();
    expect(abortedA).toBe(true);
    expect(ran).toEqual(['a', 'c']);
  });

  it('different keys run concurrently up to the limit', async () => {
    const q = new JobQueue(2);
    let running = 0;
    let peak = 0;
    for (let i = 0; i < 5; i++) {
      q.enqueue(`pr#${i}`, 'x', async () => {
        running++;
        peak = Math.max(peak, running);
        await tick();
        running--;
      });
    }
    await tick();
    await q.close();
    expect(peak).toBe(2);
  });

  it('cancel drops queued work and aborts running work for a key', async () => {
    const q = new JobQueue(1);
    const ran: string[] = [];
    let aborted = false;
    q.enqueue('pr#1', 'a', (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve()))));
    q.enqueue('pr#2', 'a', async () => void ran.push('pr2'));
    await tick();
    q.cancel('pr#1');
    await tick();
    await q.close();
    expect(aborted).toBe(true);
    expect(ran).toEqual(['pr2']);
  });

  it('a failing job is reported and does not stop the queue', async () => {
    const errors: string[] = [];
    const q = new JobQueue(1, (err, key) => errors.push(`${key}: ${(err as Error).message}`));
    const ran: string[] = [];
    q.enqueue('pr#1', 'a', async () => {
      throw new Error('boom');
    });
    q.enqueue('pr#2', 'a', async () => void ran.push('pr2'));
    await tick();
    await q.close();
    expect(errors).toEqual(['pr#1: boom']);
    expect(ran).toEqual(['pr2']);
  });

  it('de-duplicates delivery ids', () => {
    const q = new JobQueue(1, undefined, 2);
    expect(q.firstDelivery('d1')).toBe(true);
    expect(q.firstDelivery('d1')).toBe(false);
    expect(q.firstDelivery('d2')).toBe(true);
    expect(q.firstDelivery('d3')).toBe(true);
    // The oldest id was forgotten to bound memory.
    expect(q.firstDelivery('d1')).toBe(true);
  });

  it('close waits for running work, then aborts it past the timeout', async () => {
    const q = new JobQueue(1);
    let aborted = false;
    q.enqueue('pr#1', 'a', (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve()))));
    await tick();
    await q.close(50);
    expect(aborted).toBe(true);
    q.enqueue('pr#1', 'b', async () => {
      throw new Error('must not run after close');
    });
    expect(q.size).toEqual({ running: 0, queued: 0 });
  });

  it('with groups, one group runs at most its share while another group takes the free slot', async () => {
    const q = new JobQueue(2, undefined, undefined, { groupOf: (k) => k.split('#')[0]!, perGroup: 1 });
    const gates = [deferred(), deferred()];
    const log: string[] = [];
    q.enqueue('slow/repo#1', 'x', async () => {
      log.push('slow#1');
      await gates[0]!.promise;
    });
    q.enqueue('slow/repo#2', 'x', async () => {
      log.push('slow#2');
      await gates[1]!.promise;
    });
    q.enqueue('other/repo#1', 'x', async () => void log.push('other#1'));
    await tick();
    expect(log).toEqual(['slow#1', 'other#1']);
    gates[0]!.resolve();
    await tick();
    expect(log).toEqual(['slow#1', 'other#1', 'slow#2']);
    gates[1]!.resolve();
    await drained(q);
  });
});
