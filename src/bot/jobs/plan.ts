import { AbortedError, NoConfigError, UsageError, type PlanHooks } from '../../engine.js';
import type { Forge, PullRequest } from '../../forge/types.js';
import { failedPlanCheck, planChecks, PLAN_CHECKS } from '../../report/checks.js';
import { fitPlanComment, planCommentMarker } from '../../report/fit.js';
import type { Plan } from '../../types.js';
import { redact } from '../../workspace/git.js';
import { currentPull, engineOf, pullPlanRequest, type RunPlan } from './pull.js';
import type { JobObserver } from './run.js';
import { withdrawReviewVerdict, writeReviewCheck } from './review.js';

export interface PlanJobOptions {
  cacheDir?: string;
  /** Runs the engine; the server passes a worker pool, tests may run it in-process. `signal` stops it. */
  runPlan?: RunPlan;
  log?: { info: (o: object, msg: string) => void; warn: (o: object, msg: string) => void };
  observe?: Pick<JobObserver, 'planMeasured' | 'reported' | 'planned'>;
}

export type PlanJobOutcome = 'planned' | 'no-config' | 'stale' | 'failed';

/**
 * Plans one PR head and reports it: one sticky comment (split if needed) and the
 * `ferry/plan` and `ferry/validate` checks (and `ferry/review` when the base config has
 * review rules), shown as running from the moment the
 * engine has read ferry.yml (a repository without one gets no checks at all). Nothing
 * is written when the work was superseded (aborted) or the PR moved to another head.
 */
export async function planPullRequest(forge: Forge, pr: PullRequest, signal: AbortSignal, opts: PlanJobOptions): Promise<PlanJobOutcome> {
  let started: Promise<void> | null = null;
  const hooks: PlanHooks = {
    configured: () => {
      started ??= startChecks(forge, pr, signal, opts);
    },
    measured: opts.observe?.planMeasured,
  };
  let result: Plan;
  try {
    result = await engineOf(opts.runPlan)(await pullPlanRequest(forge, pr, opts), signal, hooks);
  } catch (err) {
    await started;
    // Superseded or closed while planning: the renders were stopped and nothing is written.
    if (err instanceof AbortedError || signal.aborted) {
      if (started) await leaveNoRunningChecks(forge, pr, opts);
      return 'stale';
    }
    if (err instanceof NoConfigError) return 'no-config';
    if (!(await currentPull(forge, pr, signal))) return 'stale';
    const findings = err instanceof UsageError ? err.findings : [];
    const reason = err instanceof UsageError ? err.message : `Internal error while planning: ${redact((err as Error).message)}`;
    opts.log?.warn({ pr: pr.number, sha: pr.headSha, err: redact((err as Error).message) }, 'plan failed');
    await forge.setCheck(pr, failedPlanCheck(reason, findings, forge.limits.checkText));
    // A started ferry/validate must not stay "running" forever.
    if (started) await forge.setCheck(pr, { name: 'ferry/validate', conclusion: 'neutral', title: 'Not validated: the plan failed', summary: 'See `ferry/plan`.', annotations: [] });
    await withdrawReviewVerdict(forge, pr, opts.log);
    return 'failed';
  }
  await started;
  const now = await currentPull(forge, pr, signal);
  if (!now) return 'stale';
  opts.observe?.planned?.(result);
  const reportStarted = performance.now();
  const bodies = fitPlanComment(result, { limit: forge.limits.comment, draft: pr.draft, fileLink: (file, line) => forge.fileLink(pr, file, line), command: forge.words.command });
  try {
    await forge.ensureComments(pr, planCommentMarker, bodies);
  } catch (err) {
    // The checks gate the merge and do not depend on the comment: a refused comment
    // write (a 403, a locked conversation) must not take them down with it.
    const e = err as Error & { status?: number };
    opts.log?.warn({ pr: pr.number, sha: pr.headSha, status: e.status, err: redact(e.message) }, 'could not write the plan comment');
  }
  for (const check of planChecks(result, { draft: pr.draft, textLimit: forge.limits.checkText })) {
    if (signal.aborted) return 'stale';
    await forge.setCheck(pr, check);
  }
  if (signal.aborted) return 'stale';
  // Labels as the forge has them after the plan, not as the event that queued it saw them.
  await writeReviewCheck(forge, now, result, opts, signal);
  opts.observe?.reported?.((performance.now() - reportStarted) / 1000);
  opts.log?.info({ pr: pr.number, sha: pr.headSha, summary: result.summary }, 'planned');
  return 'planned';
}

/**
 * Shows the checks as running. A failure here is logged, not fatal: the completed
 * checks are written either way.
 */
async function startChecks(forge: Forge, pr: PullRequest, signal: AbortSignal, opts: PlanJobOptions): Promise<void> {
  for (const name of PLAN_CHECKS) {
    if (signal.aborted) return;
    try {
      await forge.startCheck(pr, name, name === 'ferry/plan' ? 'Rendering the change…' : 'Validating the rendered manifests…');
    } catch (err) {
      const e = err as Error & { status?: number };
      opts.log?.warn({ pr: pr.number, sha: pr.headSha, check: name, status: e.status, err: redact(e.message) }, 'could not mark the check as running');
    }
  }
}

/**
 * A plan stopped after its checks showed as running. When the PR still has this head (the
 * server is shutting down, not a newer push), the checks are completed as neutral with a
 * way to run them again, instead of staying "in progress" for ever.
 */
async function leaveNoRunningChecks(forge: Forge, pr: PullRequest, opts: PlanJobOptions): Promise<void> {
  try {
    const now = await forge.getPull(pr.repo, pr.number);
    if (now.headSha !== pr.headSha || now.state !== 'open') return;
    for (const name of PLAN_CHECKS) {
      await forge.setCheck(pr, { name, conclusion: 'neutral', title: 'Interrupted', summary: `Ferry stopped before this plan was finished. Re-run this check, comment \`${forge.words.command}plan\`, or push again.`, annotations: [] });
    }
  } catch (err) {
    opts.log?.warn({ pr: pr.number, sha: pr.headSha, err: redact((err as Error).message) }, 'could not complete interrupted checks');
  }
}
