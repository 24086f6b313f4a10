import { AbortedError, NoConfigError, plan, UsageError, type PlanRequest } from '../engine.js';
import type { Forge, PullRequest } from '../forge/types.js';
import { failedPlanCheck, planChecks } from '../report/checks.js';
import { PLAN_MARKER } from '../report/plan.js';
import { fitPlanComment, PLAN_PART_MARKER } from '../report/fit.js';
import type { Plan } from '../types.js';
import { redact } from '../workspace/git.js';

export interface PlanJobOptions {
  cacheDir?: string;
  /** Runs the engine; the server passes a worker pool, tests may run it in-process. `signal` stops it. */
  runPlan?: (req: PlanRequest, signal?: AbortSignal) => Promise<Plan>;
  /** Largest comment body the forge accepts. */
  commentLimit: number;
  log?: { info: (o: object, msg: string) => void; warn: (o: object, msg: string) => void };
}

export type PlanJobOutcome = 'planned' | 'no-config' | 'stale' | 'failed';

const marker = (part: number) => (part === 0 ? PLAN_MARKER : PLAN_PART_MARKER(part + 1));

/**
 * Plans one PR head and reports it: one sticky comment (split if needed) and the
 * `ferry/plan` and `ferry/validate` checks. Nothing is written when the work was
 * superseded (aborted) or the PR moved to another head meanwhile.
 */
export async function planPullRequest(forge: Forge, pr: PullRequest, signal: AbortSignal, opts: PlanJobOptions): Promise<PlanJobOutcome> {
  let result: Plan;
  try {
    const run = opts.runPlan ?? ((req: PlanRequest, sig?: AbortSignal) => plan(req, false, sig));
    result = await run({
      repo: pr.cloneUrl,
      base: pr.baseSha,
      head: pr.headSha,
      mergeBase: true,
      requireConfig: true,
      cacheDir: opts.cacheDir,
      auth: await forge.gitAuth(),
      fetchRefspecs: [`+${pr.headRefspec}:${pr.headRefspec}`],
    }, signal);
  } catch (err) {
    // Superseded or closed while planning: the renders were stopped and nothing is written.
    if (err instanceof AbortedError || signal.aborted) return 'stale';
    if (err instanceof NoConfigError) return 'no-config';
    if (await isStale(forge, pr, signal)) return 'stale';
    const findings = err instanceof UsageError ? err.findings : [];
    const reason = err instanceof UsageError ? err.message : `Internal error while planning: ${(err as Error).message}`;
    opts.log?.warn({ pr: pr.number, sha: pr.headSha, err: (err as Error).message }, 'plan failed');
    await forge.setCheck(pr, failedPlanCheck(reason, findings));
    return 'failed';
  }
  if (await isStale(forge, pr, signal)) return 'stale';
  const bodies = fitPlanComment(result, { limit: opts.commentLimit, draft: pr.draft });
  try {
    await forge.ensureComments(pr, marker, bodies);
  } catch (err) {
    // The checks gate the merge and do not depend on the comment: a refused comment
    // write (a 403, a locked conversation) must not take them down with it.
    const e = err as Error & { status?: number };
    opts.log?.warn({ pr: pr.number, sha: pr.headSha, status: e.status, err: redact(e.message) }, 'could not write the plan comment');
  }
  for (const check of planChecks(result, { draft: pr.draft })) {
    if (signal.aborted) return 'stale';
    await forge.setCheck(pr, check);
  }
  opts.log?.info({ pr: pr.number, sha: pr.headSha, summary: result.summary }, 'planned');
  return 'planned';
}

/** Superseded in this process (aborted) or on the forge (the PR has another head now). */
async function isStale(forge: Forge, pr: PullRequest, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return true;
  const now = await forge.refresh(pr);
  return now.headSha !== pr.headSha || now.state !== 'open' || signal.aborted;
}
