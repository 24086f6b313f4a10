import type { PlanMeasures } from '../../engine.js';
import type { ForgeRegistry, PullRef, PullRequest } from '../../forge/types.js';
import type { Plan } from '../../types.js';
import type { JobQueue } from '../../runtime/queue.js';
import type { Identity } from '../../workspace/workspace.js';
import type { WaitingPromotions } from '../waiting.js';
import { runAudit } from './audit.js';
import { runPushCheck } from './push.js';
import { runAutoPromote, runRecheck } from './auto.js';
import { runCommand } from './command.js';
import { planPullRequest, type PlanJobOutcome } from './plan.js';
import type { RunPlan } from './pull.js';
import { offerNextStep, type PromoteResult } from './promote.js';
import { reviewPullRequest } from './review.js';
import { planJob, type JobSpec } from './spec.js';

export interface Logger {
  info: (o: object, msg: string) => void;
  warn: (o: object, msg: string) => void;
}

/** What jobs run with: the forges, the queue for follow-up jobs, and the engine. */
export interface JobDeps {
  forges: ForgeRegistry;
  queue: Pick<JobQueue<JobSpec>, 'enqueue'>;
  waiting: WaitingPromotions;
  cacheDir?: string;
  /** Runs the engine (a worker pool in the server; in-process when absent). `signal` stops it. */
  runPlan?: RunPlan;
  /** Author and committer of promotion commits. */
  identity: Identity;
  log: Logger;
  /** Told each plan job's outcome (counted on /healthz). */
  onPlanOutcome?: (outcome: PlanJobOutcome) => void;
  /** Told what jobs measure (the server counts it for /metrics). */
  observe?: JobObserver;
  now?: () => Date;
}

/** Callbacks for what jobs measure; plain functions, so the bot knows nothing of metrics libraries. */
export interface JobObserver {
  /** A plan's phases and render-cache lookups, from the engine. */
  planMeasured?: (m: PlanMeasures) => void;
  /** Seconds a plan job spent writing its comment and checks. */
  reported?: (seconds: number) => void;
  /** A plan job's finished plan (its findings are counted by rule). */
  planned?: (plan: Plan) => void;
  promotion?: (outcome: PromoteResult['kind'] | 'error') => void;
}

/** Runs one job: the forge is made (its token minted) here, when the job starts. */
export async function runJob(job: JobSpec, signal: AbortSignal, deps: JobDeps): Promise<void> {
  const forge = await deps.forges.forge(job.forge);
  const log = deps.log;
  // The PR as the event described it, or as the forge has it now.
  const pull = (j: { pr: PullRef; snapshot?: PullRequest }) => (j.snapshot ? Promise.resolve(j.snapshot) : forge.getPull(j.pr.repo, j.pr.number));
  switch (job.kind) {
    case 'plan': {
      // The forge's head is read even when the event carried the PR: deliveries arrive out
      // of order, and an older head's event queued after the newer one's replaces (or
      // aborts) the newer head's job. Checking first also keeps the older head from writing.
      const now = await forge.getPull(job.pr.repo, job.pr.number);
      const moved = now.headSha !== job.headSha || now.state !== 'open';
      const outcome = moved ? 'stale' : await planPullRequest(forge, await pull(job), signal, { cacheDir: deps.cacheDir, runPlan: deps.runPlan, log, observe: deps.observe });
      // The head the forge has now is planned here rather than left to its own event,
      // which may already have been handled (and its job replaced by this one).
      if (moved && now.state === 'open' && !signal.aborted) await deps.queue.enqueue(planJob(job.forge, now, now));
      deps.onPlanOutcome?.(outcome);
      log.info({ job: job.key, sha: job.headSha.slice(0, 12), outcome }, 'plan job finished');
      return;
    }
    case 'rerun': {
      const pr = await forge.getPull(job.pr.repo, job.pr.number);
      if (pr.state === 'open') await deps.queue.enqueue(planJob(job.forge, pr, pr));
      return;
    }
    case 'review': {
      const pr = await forge.getPull(job.pr.repo, job.pr.number);
      if (pr.state !== 'open') return;
      const outcome = await reviewPullRequest(forge, pr, signal, { cacheDir: deps.cacheDir, runPlan: deps.runPlan, log });
      log.info({ job: job.key, sha: pr.headSha.slice(0, 12), outcome }, 'review job finished');
      return;
    }
    case 'command':
      return runCommand(forge, job, signal, deps);
    case 'next-step':
      return offerNextStep(forge, await pull(job), promoteOptions(deps, signal));
    case 'auto-promote':
      return runAutoPromote(forge, await pull(job), job, signal, deps);
    case 'recheck':
      return runRecheck(forge, job, deps);
    case 'audit':
      await runAudit(forge, job, deps);
      return;
    case 'push-check':
      await runPushCheck(forge, job, signal, deps);
      return;
  }
}

export function promoteOptions(deps: JobDeps, signal: AbortSignal) {
  return { cacheDir: deps.cacheDir, runPlan: deps.runPlan, identity: deps.identity, log: deps.log, signal, now: deps.now, onPromotion: deps.observe?.promotion };
}
