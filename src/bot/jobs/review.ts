import { AbortedError, NoConfigError } from '../../engine.js';
import type { Forge, PullRequest } from '../../forge/types.js';
import { reviewCheck } from '../../review/check.js';
import { parseCodeowners } from '../../review/codeowners.js';
import { evaluateReview } from '../../review/evaluate.js';
import type { Plan } from '../../types.js';
import { redact } from '../../workspace/git.js';
import type { PlanJobOptions } from './plan.js';
import { currentPull, engineOf, pullPlanRequest } from './pull.js';

/**
 * Writes `ferry/review` for a plan of the PR's head, when the base config has review
 * rules; a repository without rules gets no such check. Returns whether it wrote one.
 */
export async function writeReviewCheck(forge: Forge, pr: PullRequest, result: Plan): Promise<boolean> {
  if (!result.review?.length) return false;
  const evaluation = await evaluateReview({
    rules: result.review,
    plan: result,
    changedFiles: result.changedFiles ?? [],
    labels: pr.labels,
    author: pr.author,
    headSha: pr.headSha,
    reviews: await forge.reviews(pr),
    ...(result.codeowners ? { ownersOf: parseCodeowners(result.codeowners.text, pr.repo.forge) } : {}),
    inTeam: (team, user) => forge.inTeam(pr, team, user),
  });
  await forge.setCheck(pr, reviewCheck(evaluation, forge.limits.checkText));
  return true;
}

export type ReviewJobOutcome = 'written' | 'no-rules' | 'no-config' | 'stale' | 'failed';

/**
 * A review, an approval or a label changed: plans the head again (renders come from the
 * cache, so this costs a diff) and writes only `ferry/review`. A failing plan leaves the
 * check as the plan job wrote it: that job reports the failure.
 */
export async function reviewPullRequest(forge: Forge, pr: PullRequest, signal: AbortSignal, opts: PlanJobOptions): Promise<ReviewJobOutcome> {
  let result: Plan;
  try {
    result = await engineOf(opts.runPlan)(await pullPlanRequest(forge, pr, opts), signal);
  } catch (err) {
    if (err instanceof AbortedError || signal.aborted) return 'stale';
    if (err instanceof NoConfigError) return 'no-config';
    opts.log?.warn({ pr: pr.number, sha: pr.headSha, err: redact((err as Error).message) }, 'review re-evaluation: the plan failed');
    return 'failed';
  }
  const now = await currentPull(forge, pr, signal);
  if (!now) return 'stale';
  // Labels and reviews as they are now, not as the event that queued this job saw them.
  return (await writeReviewCheck(forge, now, result)) ? 'written' : 'no-rules';
}
