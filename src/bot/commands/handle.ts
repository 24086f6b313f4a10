import type { Forge, PullRequest } from '../../forge/types.js';
import { template } from '../../report/templates.js';
import { redact } from '../../workspace/git.js';
import { parseCommands } from './parse.js';

/** What a `/promote` did, as the command handler needs it. */
export interface PromoteOutcome {
  refused: boolean;
  reply: string;
}

/** Commands answered per comment: a comment of sixty `/help` lines is one request, not sixty. */
export const MAX_COMMANDS_PER_COMMENT = 10;

export interface CommandContext {
  forge: Forge;
  pr: PullRequest;
  commentId: number;
  user: string;
  body: string;
  /** Queues a plan of the PR's current head. */
  plan(): Promise<void>;
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

type Answered = { command: string; reply: string };

/**
 * Runs the commands of one comment in order — the first ten, each distinct command
 * once — and answers them all in one reply. Acknowledges with 👀 at once and ends with
 * 🚀 when everything ran, 😕 when anything was refused or not understood. Comments
 * with no command addressed to Ferry get no reaction at all.
 */
export async function handleComment(ctx: CommandContext): Promise<'none' | 'done' | 'refused'> {
  const ours = ferryCommands(ctx.body);
  if (ours.length === 0) return 'none';
  const { forge, pr } = ctx;
  // Reactions are an acknowledgement only: a forge without them still gets the reply.
  const react = (r: 'eyes' | 'rocket' | 'confused') => (forge.capabilities.reactions ? forge.react(pr, ctx.commentId, r) : Promise.resolve());
  await react('eyes');
  const taken = ours.slice(0, MAX_COMMANDS_PER_COMMENT);
  const seen = new Set<string>();
  const answers: Answered[] = [];
  let refused = false;
  for (const c of taken) {
    // The same command twice in one comment would do and say the same thing twice.
    const id = JSON.stringify(c);
    if (seen.has(id)) continue;
    seen.add(id);
    try {
      const r = await runOne(c);
      refused = !r.ok || refused;
      if (r.reply) answers.push({ command: commandText(c), reply: r.reply });
    } catch (err) {
      // One failed command is reported and the rest still run; the message is git- and token-safe.
      refused = true;
      ctx.log?.warn({ pr: pr.number, verb: c.verb, err: redact((err as Error).message) }, 'command failed');
      answers.push({ command: commandText(c), reply: template('command-failed.md.hbs')({ verb: c.verb, message: redact((err as Error).message).split('\n')[0] }) });
    }
  }
  const ignored = ours.length - taken.length;
  if (answers.length || ignored) await forge.reply(pr, combineReplies(answers, ignored, forge.limits.comment));
  await react(refused ? 'confused' : 'rocket');
  return refused ? 'refused' : 'done';

  /** Runs one command; ok is false when it was refused or not understood. */
  async function runOne(c: ReturnType<typeof ferryCommands>[number]): Promise<{ ok: boolean; reply: string | null }> {
    if (c.verb === 'help') return { ok: true, reply: template('help.md.hbs')(forge.words) };
    if (c.verb === 'unknown' || c.verb === 'invalid') return { ok: false, reply: template('command-error.md.hbs')(c) };
    if (c.verb === 'plan') {
      const refusal = await ctx.mayPlan();
      if (refusal) return { ok: false, reply: template('command-denied.md.hbs')({ user: ctx.user, reason: refusal }) };
      await ctx.plan();
      return { ok: true, reply: null };
    }
    const outcome = await ctx.promote({ env: c.env, dryRun: c.dryRun });
    return { ok: !outcome.refused, reply: outcome.reply };
  }
}

function commandText(c: ReturnType<typeof ferryCommands>[number]): string {
  switch (c.verb) {
    case 'promote':
      return `/promote${c.env ? ` ${c.env}` : ''}${c.dryRun ? ' --dry-run' : ''}`;
    case 'unknown':
      return `/${c.word}`;
    case 'invalid':
      return c.text;
    default:
      return `/${c.verb}`;
  }
}

/**
 * One reply for every answer, in order. When together they exceed the forge's limit
 * (several dry runs), the longest answers give way to a line asking for the command on
 * its own, so every command still gets a word.
 */
export function combineReplies(answers: Answered[], ignored: number, limit: number): string {
  const texts = answers.map((a) => a.reply.trim());
  const tail = ignored ? [template('commands-ignored.md.hbs')({ ignored, max: MAX_COMMANDS_PER_COMMENT }).trim()] : [];
  const join = () => [...texts, ...tail].join('\n\n---\n\n') + '\n';
  const byLength = texts.map((_, i) => i).sort((a, b) => texts[b]!.length - texts[a]!.length);
  for (const i of byLength) {
    if (join().length <= limit) break;
    texts[i] = template('command-too-long.md.hbs')({ command: answers[i]!.command }).trim();
  }
  return join();
}
