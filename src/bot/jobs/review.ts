import { AbortedError, NoConfigError, plan, type PlanRequest } from '../../engine.js';
import type { Forge, PullRequest } from '../../forge/types.js';
import { reviewCheck } from '../../review/check.js';
import { parseCodeowners } from '../../review/codeowners.js';
import { evaluateReview } from '../../review/evaluate.js';
import type { Plan } from '../../types.js';
import { redact } from '../../workspace/git.js';
import type { PlanJobOptions } from './plan.js';

/** The engine request that plans a PR head as a PR's "files changed" shows it. */
export async function pullPlanRequest(forge: Forge, pr: PullRequest, opts: Pick<PlanJobOptions, 'cacheDir'>): Promise<PlanRequest> {
  return {
    repo: pr.cloneUrl,
    base: pr.baseSha,
    head: pr.headSha,
    mergeBase: true,
    requireConfig: true,
    cacheDir: opts.cacheDir,
    auth: await forge.gitAuth(),
    fetchRefspecs: [`+${pr.headRefspec}:${pr.headRefspec}`],
  };
}

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
    const run = opts.runPlan ?? ((req: PlanRequest, sig?: AbortSignal) => plan(req, false, sig));
    result = await run(await pullPlanRequest(forge, pr, opts), signal);
  } catch (err) {
    if (err instanceof AbortedError || signal.aborted) return 'stale';
    if (err instanceof NoConfigError) return 'no-config';
    opts.log?.warn({ pr: pr.number, sha: pr.headSha, err: redact((err as Error).message) }, 'review re-evaluation: the plan failed');
    return 'failed';
  }
  if (signal.aborted) return 'stale';
  const now = await forge.getPull(pr.repo, pr.number);
  if (now.headSha !== pr.headSha || now.state !== 'open') return 'stale';
  // Labels and reviews as they are now, not as the event that queued this job saw them.
  return (await writeReviewCheck(forge, now, result)) ? 'written' : 'no-rules';
}
