import type { Forge, PullRequest } from '../../forge/types.js';
import { autoPromote } from './promote.js';
import { promoteOptions, type JobDeps } from './run.js';
import { autoPromoteJob, type AutoPromoteJob, type RecheckJob } from './spec.js';

/** Longest wait before a soak gate is looked at again. */
const SOAK_RECHECK_MAX_MS = 6 * 3_600_000;

/**
 * A merged PR's automatic promotions. One still waiting for a gate is remembered, so a
 * check succeeding anywhere in the repository makes it look again; one waiting for soak
 * time is also queued again, delayed until the soak ends (no event marks that moment).
 */
export async function runAutoPromote(forge: Forge, pr: PullRequest, job: AutoPromoteJob, signal: AbortSignal, deps: JobDeps): Promise<void> {
  const r = await autoPromote(forge, pr, { ...promoteOptions(deps, signal), announce: job.announce });
  if (r.waiting) await deps.waiting.add(pr);
  else await deps.waiting.remove(pr);
  if (r.soakMs.length) {
    // The soonest soak first: that run computes what is left of the others.
    const ms = Math.min(Math.min(...r.soakMs) + 1_000, SOAK_RECHECK_MAX_MS);
    await deps.queue.enqueue(autoPromoteJob(job.forge, pr, false, pr), { delayMs: ms });
  }
}

/**
 * A commit's check succeeded: every waiting auto-promotion of the repository looks again
 * (the gate is judged on the source branch's tip, which may belong to a later PR than the
 * one waiting), and so do merged PRs whose merge made this commit.
 */
export async function runRecheck(forge: Forge, job: RecheckJob, deps: JobDeps): Promise<void> {
  const prs = new Map<number, PullRequest>();
  for (const pr of await deps.waiting.list(job.repo)) prs.set(pr.number, pr);
  try {
    for (const pr of await forge.pullsForCommit(job.repo, job.sha)) if (pr.merged && !pr.fromFork) prs.set(pr.number, pr);
  } finally {
    for (const pr of prs.values()) await deps.queue.enqueue(autoPromoteJob(job.forge, pr, false, pr));
  }
}
