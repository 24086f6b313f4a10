/**
 * Runs the engine off the main thread. Spawning renderers and git, parsing, diffing and
 * validating all take the thread they run on; here that is not the thread answering
 * webhooks, so acknowledgements stay fast whatever a plan costs.
 */
import { parentPort } from 'node:worker_threads';
import { plan, type PlanRequest } from '../engine.js';

interface PlanMessage {
  id: number;
  req: PlanRequest;
  validateOnly: boolean;
}

parentPort!.on('message', async ({ id, req, validateOnly }: PlanMessage) => {
  try {
    parentPort!.postMessage({ id, ok: true, result: await plan(req, validateOnly) });
  } catch (err) {
    const e = err as Error & { findings?: unknown };
    parentPort!.postMessage({ id, ok: false, error: { name: e.name, message: e.message, findings: e.findings ?? [] } });
  }
});
