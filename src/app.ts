import type { Context, Probot } from 'probot';
import { commandRefusal } from './commands/authorize.js';
import { ferryCommands, handleComment } from './commands/handle.js';
import { GITHUB_COMMENT_LIMIT, GitHubForge, pullRequestFrom } from './forge/github.js';
import { appBotLogin } from './forge/github-self.js';
import type { PullRequest } from './forge/types.js';
import { planPullRequest, type PlanJobOptions, type PlanJobOutcome } from './jobs/plan-pr.js';
import { autoPromote, configForPullRequest, offerNextStep, promotePullRequest } from './jobs/promote-pr.js';
import { JobQueue } from './jobs/queue.js';
import type { Identity } from './workspace/workspace.js';

export interface FerryAppOptions {
  queue: JobQueue;
  cacheDir?: string;
  /** Runs the engine (a worker pool in the server). */
  runPlan?: PlanJobOptions['runPlan'];
  /** Plan job outcomes counted since start (served on /healthz). */
  outcomes?: Map<PlanJobOutcome, number>;
  /** Author and committer of promotion commits. */
  identity?: Identity;
  /** Soak gates that are not met yet are re-checked by a timer; tests may observe or replace it. */
  setTimer?: (ms: number, fn: () => void) => void;
}

/** Waiting auto-promotions remembered per repository. */
const MAX_WAITING = 200;
/** Longest wait before a soak gate is looked at again. */
const SOAK_RECHECK_MAX_MS = 6 * 3_600_000;

export const DEFAULT_IDENTITY: Identity = { name: 'Ferry', email: 'ferry@users.noreply.github.com' };

const PR_ACTIONS = ['opened', 'synchronize', 'reopened', 'ready_for_review', 'edited'] as const;

function key(pr: PullRequest): string {
  return `${pr.owner}/${pr.repo}#${pr.number}`;
}

/** The repository a job key belongs to: every key above starts with `owner/repo` and then `#` or `@`. */
export function repositoryOfJob(jobKey: string): string {
  return jobKey.split(/[#@]/, 1)[0]!.toLowerCase();
}

/**
 * The GitHub App: translates webhook events into plan jobs. Handlers only enqueue, so
 * a delivery is acknowledged in milliseconds whatever the size of the plan.
 */
export function ferryApp(opts: FerryAppOptions) {
  const { queue } = opts;
  return (app: Probot) => {
    const self = appBotLogin(app);
    const forgeFor = (octokit: Context['octokit']) => new GitHubForge(octokit, self);
    const schedule = (context: Context, pr: PullRequest) => {
      const forge = forgeFor(context.octokit);
      const log = context.log.child({ pr: key(pr), sha: pr.headSha.slice(0, 12) });
      queue.enqueue(key(pr), pr.headSha, async (signal) => {
        const outcome = await planPullRequest(forge, pr, signal, { cacheDir: opts.cacheDir, runPlan: opts.runPlan, commentLimit: GITHUB_COMMENT_LIMIT, log });
        opts.outcomes?.set(outcome, (opts.outcomes.get(outcome) ?? 0) + 1);
        log.info({ outcome }, 'plan job finished');
      });
    };
    const fresh = (context: Context) => queue.firstDelivery(context.id);
    const promoteOpts = (context: Context) => ({
      cacheDir: opts.cacheDir,
      runPlan: opts.runPlan,
      identity: opts.identity ?? DEFAULT_IDENTITY,
      bodyLimit: GITHUB_COMMENT_LIMIT,
      log: context.log,
    });
    const setTimer = opts.setTimer ?? ((ms: number, fn: () => void) => setTimeout(fn, ms).unref());

    /** Merged PRs whose auto-promotion waits for gates, per repository: re-checked on any success. */
    const waiting = new Map<string, Map<number, { context: Context; pr: PullRequest }>>();
    const repoKey = (pr: { owner: string; repo: string }) => `${pr.owner}/${pr.repo}`.toLowerCase();

    /**
     * Auto-promotion of a merged PR. `announce` (on merge) replies when gates hold it
     * back; re-checks after a status or a timer stay silent until something opens.
     */
    const scheduleAuto = (context: Context, pr: PullRequest, announce: boolean) => {
      const forge = forgeFor(context.octokit);
      queue.enqueue(`${key(pr)}:auto`, `${Date.now()}`, async (signal) => {
        const r = await autoPromote(forge, pr, { ...promoteOpts(context), announce, signal });
        const repo = waiting.get(repoKey(pr)) ?? new Map<number, { context: Context; pr: PullRequest }>();
        repo.delete(pr.number);
        if (r.waiting) {
          repo.set(pr.number, { context, pr });
          // Bounded: the oldest waiting promotions give way (a status on their PR still finds them).
          if (repo.size > MAX_WAITING) repo.delete(repo.keys().next().value!);
        }
        if (repo.size) waiting.set(repoKey(pr), repo);
        else waiting.delete(repoKey(pr));
        // Soak ends without any event: look again then (capped, since Node timers overflow past ~24 days).
        for (const ms of r.soakMs) setTimer(Math.min(ms + 1_000, SOAK_RECHECK_MAX_MS), () => scheduleAuto(context, pr, false));
      });
    };

    app.on('pull_request', async (context) => {
      if (!fresh(context)) return;
      const payload = context.payload;
      const pr = pullRequestFrom(payload.pull_request as never);
      if (payload.action === 'closed') {
        queue.cancel(key(pr));
        if (pr.merged && !pr.fromFork) {
          const forge = forgeFor(context.octokit);
          queue.enqueue(`${key(pr)}:merged`, pr.headSha, () => offerNextStep(forge, pr, promoteOpts(context)));
          scheduleAuto(context, pr, true);
        }
        return;
      }
      if (!(PR_ACTIONS as readonly string[]).includes(payload.action)) return;
      // `edited` matters only when the base branch changed.
      if (payload.action === 'edited' && !(payload as { changes?: { base?: unknown } }).changes?.base) return;
      if (pr.state !== 'open') return;
      schedule(context, pr);
    });

    app.on('check_run.rerequested', async (context) => {
      if (!fresh(context)) return;
      const run = context.payload.check_run;
      if (!run.name.startsWith('ferry/')) return;
      for (const ref of run.pull_requests) {
        const { data } = await context.octokit.rest.pulls.get({ ...context.repo(), pull_number: ref.number });
        const pr = pullRequestFrom(data as never);
        if (pr.state === 'open') schedule(context, pr);
      }
    });

    app.on('issue_comment.created', async (context) => {
      if (!fresh(context)) return;
      const { issue, comment } = context.payload;
      // Edited comments arrive as `edited` and are not handled; the bot ignores itself.
      if (!issue.pull_request || comment.user?.type === 'Bot' || context.isBot) return;
      if (!ferryCommands(comment.body).length) return;
      const octokit = context.octokit;
      // Answering commands takes API calls: a job of its own, so the delivery is acknowledged at once.
      queue.enqueue(`${context.payload.repository.full_name}#${issue.number}:comment:${comment.id}`, String(comment.id), async (signal) => {
        const { data } = await octokit.rest.pulls.get({ ...context.repo(), pull_number: issue.number });
        const pr = pullRequestFrom(data as never);
        const forge = forgeFor(octokit);
        await handleComment({
          forge,
          pr,
          commentId: comment.id,
          user: comment.user?.login ?? '',
          body: comment.body,
          replyLimit: GITHUB_COMMENT_LIMIT,
          plan: () => {
            if (pr.state === 'open') schedule(context, pr);
          },
          mayPlan: async () => {
            const config = await configForPullRequest(forge, pr, { cacheDir: opts.cacheDir });
            return commandRefusal(forge, pr, comment.user?.login ?? '', 'plan', config?.commands.plan ?? null);
          },
          promote: async ({ env, dryRun }) => {
            const r = await promotePullRequest(forge, { pr, env, dryRun, user: comment.user?.login ?? '' }, { ...promoteOpts(context), signal });
            return { refused: r.kind === 'refused', reply: r.reply };
          },
          log: context.log,
        });
      });
    });

    // A gate may be met now: auto-promotions waiting on this commit look again.
    const recheck = (context: Context, sha: string) => {
      const repo = context.repo();
      const forge = forgeFor(context.octokit);
      queue.enqueue(`${repo.owner}/${repo.repo}@${sha}:recheck`, sha, async () => {
        // The gate is judged on the source branch's tip, which may belong to a later PR
        // than the one waiting: every waiting promotion of the repository looks again.
        const prs = new Map<number, PullRequest>();
        for (const w of waiting.get(repoKey(repo))?.values() ?? []) prs.set(w.pr.number, w.pr);
        try {
          for (const pr of await forge.pullsForCommit(repo, sha)) if (pr.merged && !pr.fromFork) prs.set(pr.number, pr);
        } finally {
          for (const pr of prs.values()) scheduleAuto(context, pr, false);
        }
      });
    };
    app.on('status', async (context) => {
      if (!fresh(context) || context.payload.state !== 'success') return;
      recheck(context, context.payload.sha);
    });
    app.on('check_run.completed', async (context) => {
      if (!fresh(context)) return;
      const run = context.payload.check_run;
      // Ferry's own checks are not gates; they complete on every plan.
      if (run.conclusion !== 'success' || run.name.startsWith('ferry/')) return;
      recheck(context, run.head_sha);
    });
  };
}
