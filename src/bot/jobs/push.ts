import { CONFIG_FILES, parseConfigBuffer } from '../../config/index.js';
import { AbortedError, defaultCacheDir } from '../../engine.js';
import type { Forge } from '../../forge/types.js';
import { desiredProtection, directPushCheck } from '../../protect/index.js';
import type { Plan } from '../../types.js';
import { redact } from '../../workspace/git.js';
import { Workspace } from '../../workspace/workspace.js';
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
  const info = await forge.getRepo(job.repo);
  const auth = await forge.gitAuth();
  const ws = await Workspace.open(info.cloneUrl, { cacheDir: deps.cacheDir ?? defaultCacheDir(), auth });
  await ws.fetch();
  const tip = await ws.branchSha(info.defaultBranch);
  const file = tip ? await ws.firstFile(tip, CONFIG_FILES) : null;
  const parsed = file ? parseConfigBuffer(file.data, file.path) : null;
  if (!parsed?.ok || !parsed.config.protect) return 'not-audited';
  const covered = desiredProtection(parsed.config, info.defaultBranch).find((b) => b.branch === job.branch);
  if (!covered) return 'not-an-environment';
  // A merge, squash or rebase of a PR makes the branch's new tip the PR's merge commit.
  const pulls = await forge.pullsForCommit(job.repo, job.after);
  if (pulls.some((p) => p.merged && p.mergeCommitSha === job.after)) return 'from-pull-request';
  let plan: Plan | { error: string };
  try {
    plan = await engineOf(deps.runPlan)({ repo: info.cloneUrl, base: job.before, head: job.after, cacheDir: deps.cacheDir, auth }, signal);
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
