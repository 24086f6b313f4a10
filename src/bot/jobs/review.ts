import { AbortedError, NoConfigError } from '../../engine.js';
import { pullKey, type Forge, type PullRequest } from '../../forge/types.js';
import { KeyLock } from '../../util/key-lock.js';
import { REVIEW_CHECK, reviewCheck } from '../../review/check.js';
import { parseCodeowners } from '../../review/codeowners.js';
import { evaluateReview, type ReviewEvaluation } from '../../review/evaluate.js';
import type { CheckResult, Plan } from '../../types.js';
import { redact } from '../../workspace/git.js';
import type { PlanJobOptions } from './plan.js';
import { currentPull, engineOf, pullPlanRequest } from './pull.js';

/**
 * Plan and review jobs of one PR run side by side (a review arriving during a plan), and
 * each reads the reviews, decides and writes. One at a time per PR, so the verdict
 * written last is from the reviews read last. In this process only: a job on another
 * replica is not held back.
 */
const verdicts = new KeyLock();

/**
 * Writes `ferry/review` for a plan of the PR's head, when the base config has review
 * rules; a repository without rules gets no such check. Returns whether it wrote one.
 * An approval on an older commit counts while no later push changed the rule's scope:
 * the pushes since are planned (renders come from the cache) with the PR's own base
 * config, never with one the PR wrote.
 */
export async function writeReviewCheck(forge: Forge, pr: PullRequest, result: Plan, opts: PlanJobOptions, signal: AbortSignal): Promise<boolean> {
  if (!result.review?.length) return false;
  const rules = result.review;
  const pushedSince = async (sha: string) => {
    const req = await pullPlanRequest(forge, pr, opts);
    const since = await engineOf(opts.runPlan)({ ...req, base: sha, mergeBase: false, configAt: result.base }, signal);
    return { plan: since, changedFiles: since.changedFiles ?? [] };
  };
  return verdicts.run(pullKey(pr), async () => {
    let evaluation: ReviewEvaluation;
    try {
      evaluation = await evaluateReview({
        rules,
        plan: result,
        changedFiles: result.changedFiles ?? [],
        labels: pr.labels,
        author: pr.author,
        headSha: pr.headSha,
        reviews: await forge.reviews(pr),
        ...(result.codeowners ? { ownersOf: parseCodeowners(result.codeowners.text, pr.repo.forge) } : {}),
        inTeam: (team, user) => forge.inTeam(pr, team, user),
        canWrite: (user) => forge.canWrite(pr, user),
        pushedSince,
      });
    } catch (err) {
      // Reviews or team membership could not be read: ferry/review says it was not
      // evaluated instead of keeping an older verdict.
      const e = err as Error & { status?: number };
      opts.log?.warn({ pr: pr.number, sha: pr.headSha, status: e.status, err: redact(e.message) }, 'could not evaluate the review rules');
      if (signal.aborted) return false;
      await forge.setCheck(pr, reviewsUnreadable(forge));
      return true;
    }
    if (signal.aborted) return false;
    await forge.setCheck(pr, reviewCheck(evaluation, forge.limits.checkText));
    return true;
  });
}

const notEvaluated = (summary: string): CheckResult => ({ name: REVIEW_CHECK, conclusion: 'failure', title: 'Review rules not evaluated', summary, annotations: [] });

/**
 * The head's plan failed, so no verdict can be given for it. A `ferry/review` written
 * earlier for this head (before a `/plan`, a re-run or a base change) no longer stands:
 * it says so instead of staying green. A head without one is left without one.
 */
export async function withdrawReviewVerdict(forge: Forge, pr: PullRequest, log?: PlanJobOptions['log']): Promise<void> {
  try {
    const checks = await forge.commitChecks(pr, pr.headSha);
    if (!checks.some((c) => c.name === REVIEW_CHECK)) return;
    await forge.setCheck(pr, notEvaluated(`The plan of this commit failed (see \`ferry/plan\`), so the review rules could not be evaluated. Fix the plan, or comment \`${forge.words.command}plan\`.`));
  } catch (err) {
    const e = err as Error & { status?: number };
    log?.warn({ pr: pr.number, sha: pr.headSha, status: e.status, err: redact(e.message) }, 'could not withdraw ferry/review');
  }
}

const reviewsUnreadable = (forge: Forge) => notEvaluated(`Ferry could not read the reviews or team memberships; the next review event, \`${forge.words.command}plan\` or push evaluates them again.`);

export type ReviewJobOutcome = 'written' | 'no-rules' | 'no-config' | 'stale' | 'failed';

/**
 * A review, an approval or a label changed: plans the head again (renders come from the
 * cache, so this costs a diff) and writes only `ferry/review`. A failing plan withdraws
 * an earlier verdict for the head; `ferry/plan` reports the failure.
 */
export async function reviewPullRequest(forge: Forge, pr: PullRequest, signal: AbortSignal, opts: PlanJobOptions): Promise<ReviewJobOutcome> {
  let result: Plan;
  try {
    result = await engineOf(opts.runPlan)(await pullPlanRequest(forge, pr, opts), signal);
  } catch (err) {
    if (err instanceof AbortedError || signal.aborted) return 'stale';
    if (err instanceof NoConfigError) return 'no-config';
    opts.log?.warn({ pr: pr.number, sha: pr.headSha, err: redact((err as Error).message) }, 'review re-evaluation: the plan failed');
    if (await currentPull(forge, pr, signal)) await withdrawReviewVerdict(forge, pr, opts.log);
    return 'failed';
  }
  const now = await currentPull(forge, pr, signal);
  if (!now) return 'stale';
  // Labels and reviews as they are now, not as the event that queued this job saw them.
  if (!result.review?.length) return 'no-rules';
  return (await writeReviewCheck(forge, now, result, opts, signal)) ? 'written' : 'stale';
}
