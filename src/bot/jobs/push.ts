import { parseConfigBuffer } from '../../config/index.js';
import { AbortedError } from '../../engine.js';
import type { Forge } from '../../forge/types.js';
import { desiredProtection, directPushCheck } from '../../protect/index.js';
import type { Plan } from '../../types.js';
import { redact } from '../../workspace/git.js';
import { defaultBranchConfig } from './audit.js';
import { engineOf } from './pull.js';
import type { JobDeps } from './run.js';
import type { PushCheckJob } from './spec.js';

export type PushCheckOutcome = 'not-audited' | 'not-an-environment' | 'from-pull-request' | 'reported';

/**
 * A push to a branch. When `protect:` (on the default branch) covers it and no merged PR
 * made the pushed commit, the push's plan goes on the commit as `ferry/push`, so a
 * break-glass change is visible.
 */
export async function runPushCheck(forge: Forge, job: PushCheckJob, signal: AbortSignal, deps: Pick<JobDeps, 'cacheDir' | 'runPlan' | 'log'>): Promise<PushCheckOutcome> {
  // Read through the API: most pushes are to branches no environment uses, in repositories
  // that may have no ferry.yml at all, and cost no clone.
  const { info, file } = await defaultBranchConfig(forge, job.repo);
  const parsed = file ? parseConfigBuffer(file.data, file.path) : null;
  if (!parsed?.ok || !parsed.config.protect) return 'not-audited';
  const covered = desiredProtection(parsed.config, info.defaultBranch).find((b) => b.branch === job.branch);
  if (!covered) return 'not-an-environment';
  // A merge, squash or rebase of a PR makes the branch's new tip the PR's merge commit;
  // only a PR into this branch counts: one merged elsewhere was not reviewed for it.
  const pulls = await forge.pullsForCommit(job.repo, job.after);
  if (pulls.some((p) => p.merged && p.mergeCommitSha === job.after && p.baseRef === job.branch)) return 'from-pull-request';
  let plan: Plan | { error: string };
  try {
    plan = await engineOf(deps.runPlan)({ repo: info.cloneUrl, ...(info.repositoryURLs?.length ? { repositoryURLs: info.repositoryURLs } : {}), base: job.before, head: job.after, cacheDir: deps.cacheDir, auth: await forge.gitAuth() }, signal);
  } catch (err) {
    if (err instanceof AbortedError || signal.aborted) throw err;
    plan = { error: redact((err as Error).message).split('\n')[0]! };
  }
  await forge.setCommitCheck(job.repo, job.after, job.branch, directPushCheck(plan, {
    branch: job.branch, environments: covered.environments, before: job.before, after: job.after, textLimit: forge.limits.checkText,
  }));
  deps.log.info({ job: job.key, branch: job.branch }, 'direct push reported');
  return 'reported';
}
