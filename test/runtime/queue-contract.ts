import { expect, it } from 'vitest';
import type { JobQueue, QueueOptions } from '../../src/runtime/queue.js';

/** A test job: plain data; `name` picks its behaviour in the runner. */
export interface TestJob {
  kind: 'test';
  key: string;
  version: string;
  name: string;
}

export type Behaviour = (signal: AbortSignal) => Promise<void>;

/** Makes a queue of the implementation under test, running jobs with `run`. */
export type MakeQueue = (run: (job: TestJob, signal: AbortSignal) => Promise<void>, opts: QueueOptions) => JobQueue<TestJob>;

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `pred` holds, polling (a queue may run its jobs on another connection). */
async function until(pred: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

const job = (key: string, version: string, name = `${key}@${version}`): TestJob => ({ kind: 'test', key, version, name });

/**
 * The promises every JobQueue keeps (src/runtime/queue.ts). Each implementation runs this
 * suite; behaviours are looked up by the job's name, so a job stays plain data even when
 * the implementation serializes it.
 */
export function queueContract(make: MakeQueue): void {
  function setup(opts: Partial<QueueOptions> = {}) {
    const behaviours = new Map<string, Behaviour>();
    const ran: string[] = [];
    const errors: string[] = [];
    const q = make(async (j, signal) => {
      ran.push(j.name);
      await behaviours.get(j.name)?.(signal);
    }, { concurrency: 4, onError: (err, j) => errors.push(`${j.key}: ${(err as Error).message}`), ...opts });
    const idle = () => until(async () => {
      const s = await q.size();
      return s.running + s.queued === 0;
    });
    return { q, behaviours, ran, errors, idle };
  }

  it('runs one job per key at a time, in order', async () => {
    const { q, behaviours, ran, idle } = setup();
    const gate = deferred();
    const log: string[] = [];
    behaviours.set('first', async () => {
      log.push('first:start');
      await gate.promise;
      log.push('first:end');
    });
    behaviours.set('second', async () => void log.push('second'));
    await q.enqueue(job('pr#1', 'a', 'first'));
    await until(() => ran.includes('first'));
    await q.enqueue(job('pr#1', 'a', 'second'));
    await sleep(20);
    expect(log).toEqual(['first:start']);
    gate.resolve();
    await idle();
    expect(log).toEqual(['first:start', 'first:end', 'second']);
    await q.close();
  });

  it('a newer version aborts running work and replaces queued work of an older one', async () => {
    const { q, behaviours, ran, idle } = setup();
    let abortedA = false;
    // 'a' ends once both newer jobs are queued, so 'b' is still queued when 'c' comes
    // (a queue whose abort travels through Redis could otherwise start 'b' in between).
    const queuedBoth = deferred();
    behaviours.set('a', (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => {
      abortedA = true;
      void queuedBoth.promise.then(resolve);
    })));
    await q.enqueue(job('pr#1', 'a', 'a'));
    await until(() => ran.includes('a'));
    await q.enqueue(job('pr#1', 'b', 'b'));
    await q.enqueue(job('pr#1', 'c', 'c'));
    queuedBoth.resolve();
    await idle();
    expect(abortedA).toBe(true);
    expect(ran).toEqual(['a', 'c']);
    await q.close();
  });

  it('different keys run concurrently up to the limit', async () => {
    const { q, behaviours, idle } = setup({ concurrency: 2 });
    let running = 0;
    let peak = 0;
    for (let i = 0; i < 5; i++) {
      behaviours.set(`j${i}`, async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(10);
        running--;
      });
      await q.enqueue(job(`pr#${i}`, 'x', `j${i}`));
    }
    await idle();
    expect(peak).toBe(2);
    await q.close();
  });

  it('cancel drops queued work and aborts running work of a key', async () => {
    const { q, behaviours, ran, idle } = setup({ concurrency: 1 });
    let aborted = false;
    behaviours.set('long', (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve()))));
    await q.enqueue(job('pr#1', 'a', 'long'));
    await until(() => ran.includes('long'));
    await q.enqueue(job('pr#1', 'a', 'after'));
    await q.enqueue(job('pr#2', 'a', 'other'));
    await q.cancel('pr#1');
    await idle();
    expect(aborted).toBe(true);
    expect(ran).toEqual(['long', 'other']);
    await q.close();
  });

  it('a failing job is reported and does not stop the queue', async () => {
    const { q, behaviours, ran, errors, idle } = setup({ concurrency: 1 });
    behaviours.set('boom', async () => {
      throw new Error('boom');
    });
    await q.enqueue(job('pr#1', 'a', 'boom'));
    await q.enqueue(job('pr#2', 'a', 'fine'));
    await idle();
    expect(errors).toEqual(['pr#1: boom']);
    expect(ran).toEqual(['boom', 'fine']);
    await q.close();
  });

  it('an aborted job that throws is not reported as a failure', async () => {
    const { q, behaviours, ran, errors, idle } = setup();
    behaviours.set('a', (signal) => new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))));
    await q.enqueue(job('pr#1', 'a', 'a'));
    await until(() => ran.includes('a'));
    await q.enqueue(job('pr#1', 'b', 'b'));
    await idle();
    expect(errors).toEqual([]);
    await q.close();
  });

  it('a delayed job runs after its delay; a newer delayed job of the key replaces it', async () => {
    const { q, ran, idle } = setup();
    await q.enqueue(job('pr#1:auto', 'x', 'early'), { delayMs: 50 });
    await q.enqueue(job('pr#1:auto', 'x', 'replacing'), { delayMs: 80 });
    expect((await q.size()).delayed).toBe(1);
    expect(ran).toEqual([]);
    await until(() => ran.length > 0);
    await idle();
    await sleep(100);
    expect(ran).toEqual(['replacing']);
    expect((await q.size()).delayed).toBe(0);
    await q.close();
  });

  it('cancel drops a delayed job', async () => {
    const { q, ran } = setup();
    await q.enqueue(job('pr#1:auto', 'x', 'delayed'), { delayMs: 30 });
    await q.cancel('pr#1:auto');
    await sleep(80);
    expect(ran).toEqual([]);
    await q.close();
  });

  it('de-duplicates delivery ids', async () => {
    const { q } = setup();
    const id = `delivery-${Math.random()}`;
    expect(await q.firstDelivery(id)).toBe(true);
    expect(await q.firstDelivery(id)).toBe(false);
    expect(await q.firstDelivery(`${id}-other`)).toBe(true);
    // No id (a forge that sends none) is never a duplicate.
    expect(await q.firstDelivery(undefined)).toBe(true);
    expect(await q.firstDelivery(undefined)).toBe(true);
    await q.close();
  });

  it('close waits for running work, aborts it past the timeout, and takes nothing after', async () => {
    const { q, behaviours, ran } = setup({ concurrency: 1 });
    let aborted = false;
    behaviours.set('long', (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve()))));
    await q.enqueue(job('pr#1', 'a', 'long'));
    await until(() => ran.includes('long'));
    await q.close(50);
    expect(aborted).toBe(true);
    await q.enqueue(job('pr#1', 'b', 'late'));
    await q.enqueue(job('pr#2', 'b', 'late-delayed'), { delayMs: 1 });
    await sleep(30);
    expect(ran).toEqual(['long']);
    expect(await q.size()).toEqual({ running: 0, queued: 0, delayed: 0 });
  });

  it('with groups, one group runs at most its share while another group takes the free slot', async () => {
    const { q, behaviours, ran, idle } = setup({ concurrency: 2, groups: { groupOf: (k) => k.split('#')[0]!, perGroup: 1 } });
    const gates = [deferred(), deferred()];
    behaviours.set('slow#1', () => gates[0]!.promise);
    behaviours.set('slow#2', () => gates[1]!.promise);
    await q.enqueue(job('slow/repo#1', 'x', 'slow#1'));
    await q.enqueue(job('slow/repo#2', 'x', 'slow#2'));
    await q.enqueue(job('other/repo#1', 'x', 'other#1'));
    await until(() => ran.length === 2);
    await sleep(20);
    expect(ran).toEqual(['slow#1', 'other#1']);
    gates[0]!.resolve();
    await until(() => ran.length === 3);
    expect(ran).toEqual(['slow#1', 'other#1', 'slow#2']);
    gates[1]!.resolve();
    await idle();
    await q.close();
  });
}
