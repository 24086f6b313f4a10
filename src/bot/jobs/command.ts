import type { Forge } from '../../forge/types.js';
import { commandRefusal } from '../commands/authorize.js';
import { handleComment } from '../commands/handle.js';
import { promoteOptions, type JobDeps } from './run.js';
import { configForPullRequest, promotePullRequest } from './promote.js';
import { planJob, type CommandJob } from './spec.js';

/** Answers the commands of one comment on the PR as the forge has it now. */
export async function runCommand(forge: Forge, job: CommandJob, signal: AbortSignal, deps: JobDeps): Promise<void> {
  const pr = await forge.getPull(job.pr.repo, job.pr.number);
  // Who wrote what is read back from the forge, not taken from the delivery: a GitLab
  // webhook secret is shared by people, and a forged delivery could name anyone.
  const comment = await forge.getComment(pr, job.comment.id);
  if (!comment) {
    deps.log.warn({ job: job.key }, 'the comment is not on this pull request (any more): nothing done');
    return;
  }
  if (comment.bot || comment.author.toLowerCase() === (await forge.self()).toLowerCase()) return;
  const user = comment.author;
  await handleComment({
    forge,
    pr,
    commentId: job.comment.id,
    user,
    body: comment.body,
    plan: async () => {
      if (pr.state === 'open') await deps.queue.enqueue(planJob(job.forge, pr, pr));
    },
    mayPlan: async () => {
      const config = await configForPullRequest(forge, pr, { cacheDir: deps.cacheDir });
      return commandRefusal(forge, pr, user, 'plan', config?.commands.plan ?? null);
    },
    promote: async ({ env, dryRun }) => {
      const r = await promotePullRequest(forge, { pr, env, dryRun, user }, promoteOptions(deps, signal));
      return { refused: r.kind === 'refused', reply: r.reply };
    },
    log: deps.log,
  });
}
