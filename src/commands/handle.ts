import type { Forge, PullRequest } from '../forge/types.js';
import { template } from '../report/templates.js';
import { parseCommands } from './parse.js';

export interface CommandContext {
  forge: Forge;
  pr: PullRequest;
  commentId: number;
  user: string;
  body: string;
  /** Queues a plan of the PR's current head. */
  plan(): void;
}

/** The commands in a comment that Ferry answers (foreign slash commands such as `/shrug` are not). */
export function ferryCommands(body: string) {
  // /promote arrives with the promotion work; until then it is not claimed here.
  return parseCommands(body).filter((c) => (c.verb !== 'unknown' || c.suggestion !== null) && c.verb !== 'promote');
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
  let writer: boolean | null = null;
  for (const c of ours) {
    if (c.verb === 'help') {
      await forge.reply(pr, template('help.md.hbs')({}));
    } else if (c.verb === 'unknown' || c.verb === 'invalid') {
      refused = true;
      await forge.reply(pr, template('command-error.md.hbs')(c));
    } else if (c.verb === 'plan') {
      writer ??= await forge.canWrite(pr, ctx.user);
      if (!writer) {
        refused = true;
        await forge.reply(pr, template('command-denied.md.hbs')({ user: ctx.user, verb: 'plan' }));
      } else ctx.plan();
    }
  }
  await forge.react(pr, ctx.commentId, refused ? 'confused' : 'rocket');
  return refused ? 'refused' : 'done';
}
