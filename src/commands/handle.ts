import type { Forge, PullRequest } from '../forge/types.js';
import { template } from '../report/templates.js';
import { redact } from '../workspace/git.js';
import { parseCommands } from './parse.js';

/** What a `/promote` did, as the command handler needs it. */
export interface PromoteOutcome {
  refused: boolean;
  reply: string;
}

export interface CommandContext {
  forge: Forge;
  pr: PullRequest;
  commentId: number;
  user: string;
  body: string;
  /** Queues a plan of the PR's current head. */
  plan(): void;
  /** Null when the commenter may run `/plan`, else the reason. */
  mayPlan(): Promise<string | null>;
  /** Runs a promotion (authorization included) and says what happened. */
  promote(req: { env: string | null; dryRun: boolean }): Promise<PromoteOutcome>;
  log?: { warn: (o: object, msg: string) => void };
}

/** The commands in a comment that Ferry answers (foreign slash commands such as `/shrug` are not). */
export function ferryCommands(body: string) {
  return parseCommands(body).filter((c) => c.verb !== 'unknown' || c.suggestion !== null);
}

/**
 * Runs the commands of one comment in order. Acknowledges with 👀 at once and ends with
 * 🚀 when everything ran, 😕 when anything was refused or not understood. Comments
 * with no command addressed to Ferry get no reaction at all.
 */
export async function handleComment(ctx: CommandContext): Promise<'none' | 'done' | 'refused'> {
  const ours = ferryCommands(ctx.body);
  if (ours.length === 0) return 'none';
  const { forge, pr } = ctx;
  await forge.react(pr, ctx.commentId, 'eyes');
  let refused = false;
  for (const c of ours) {
    try {
      refused = !(await runOne(c)) || refused;
    } catch (err) {
      // One failed command is reported and the rest still run; the message is git- and token-safe.
      refused = true;
      ctx.log?.warn({ pr: pr.number, verb: c.verb, err: (err as Error).message }, 'command failed');
      await forge.reply(pr, template('command-failed.md.hbs')({ verb: c.verb, message: redact((err as Error).message).split('\n')[0] }));
    }
  }
  await forge.react(pr, ctx.commentId, refused ? 'confused' : 'rocket');
  return refused ? 'refused' : 'done';

  /** Runs one command; false when it was refused or not understood. */
  async function runOne(c: ReturnType<typeof ferryCommands>[number]): Promise<boolean> {
    if (c.verb === 'help') {
      await forge.reply(pr, template('help.md.hbs')({}));
      return true;
    }
    if (c.verb === 'unknown' || c.verb === 'invalid') {
      await forge.reply(pr, template('command-error.md.hbs')(c));
      return false;
    }
    if (c.verb === 'plan') {
      const refusal = await ctx.mayPlan();
      if (refusal) {
        await forge.reply(pr, template('command-denied.md.hbs')({ user: ctx.user, reason: refusal }));
        return false;
      }
      ctx.plan();
      return true;
    }
    const outcome = await ctx.promote({ env: c.env, dryRun: c.dryRun });
    await forge.reply(pr, outcome.reply);
    return !outcome.refused;
  }
}
