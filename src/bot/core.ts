import type { JobQueue } from '../runtime/queue.js';
import { dispatch } from './dispatch.js';
import type { BotEvent } from './events.js';
import type { JobSpec } from './jobs/spec.js';

/** Carries out what the dispatcher decides for an event: the one step between ingress and queue. */
export async function handleEvent(queue: JobQueue<JobSpec>, event: BotEvent): Promise<void> {
  for (const action of dispatch(event)) {
    if (action.do === 'cancel') await queue.cancel(action.key);
    else await queue.enqueue(action.job, action.delayMs ? { delayMs: action.delayMs } : undefined);
  }
}
