import { plan, type PlanHooks, type PlanRequest } from '../../engine.js';
import type { Forge, PullRequest } from '../../forge/types.js';
import type { Plan } from '../../types.js';

/** Runs the engine: the server passes a worker pool; without one, in this process. */
export type RunPlan = (req: PlanRequest, signal?: AbortSignal, hooks?: PlanHooks) => Promise<Plan>;

export function engineOf(runPlan?: RunPlan): RunPlan {
  return runPlan ?? ((req, signal, hooks) => plan(req, false, signal, hooks));
}

/** The engine request that plans a PR head as a PR's "files changed" shows it. */
export async function pullPlanRequest(forge: Forge, pr: PullRequest, opts: { cacheDir?: string }): Promise<PlanRequest> {
  return {
    repo: pr.cloneUrl,
    ...(pr.repositoryURLs?.length ? { repositoryURLs: pr.repositoryURLs } : {}),
    base: pr.baseSha,
    head: pr.headSha,
    mergeBase: true,
    requireConfig: true,
    cacheDir: opts.cacheDir,
    auth: await forge.gitAuth(),
    fetchRefspecs: [`+${pr.headRefspec}:${pr.headRefspec}`],
  };
}

/** The PR as the forge has it now, or null when the work was superseded (aborted, another head, closed). */
export async function currentPull(forge: Forge, pr: PullRequest, signal: AbortSignal): Promise<PullRequest | null> {
  if (signal.aborted) return null;
  const now = await forge.getPull(pr.repo, pr.number);
  return now.headSha !== pr.headSha || now.state !== 'open' || signal.aborted ? null : now;
}
