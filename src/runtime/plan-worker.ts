/**
 * Runs the engine off the main thread. Spawning renderers and git, parsing, diffing and
 * validating all take the thread they run on; here that is not the thread answering
 * webhooks, so acknowledgements stay fast whatever a plan costs.
 */
import { parentPort } from 'node:worker_threads';
import { plan, type PlanRequest } from '../engine.js';
import { boundEngineHeapGrowth } from './engine-heap.js';

type Message =
  | { type: 'plan'; id: number; req: PlanRequest; validateOnly: boolean }
  /** The job was superseded or its PR closed: stop, killing running renderers. */
  | { type: 'abort'; id: number };

// The flag is process-wide: the server's main thread gets it too, which is harmless.
boundEngineHeapGrowth();

/** Plans in progress by job id; a signal cannot cross the thread boundary, so it is rebuilt here. */
const running = new Map<number, AbortController>();

parentPort!.on('message', async (m: Message) => {
  if (m.type === 'abort') {
    running.get(m.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(m.id, controller);
  try {
    parentPort!.postMessage({ id: m.id, ok: true, result: await plan(m.req, m.validateOnly, controller.signal, {
      configured: () => parentPort!.postMessage({ id: m.id, progress: 'configured' }),
      measured: (measures) => parentPort!.postMessage({ id: m.id, progress: 'measured', measures }),
    }) });
  } catch (err) {
    const e = err as Error & { findings?: unknown };
    parentPort!.postMessage({ id: m.id, ok: false, error: { name: e.name, message: e.message, findings: e.findings ?? [] } });
  } finally {
    running.delete(m.id);
  }
});
