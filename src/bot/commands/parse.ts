import { nearest } from '../../config/load.js';

export type Command =
  | { verb: 'plan' }
  | { verb: 'help' }
  | { verb: 'promote'; env: string | null; dryRun: boolean }
  | { verb: 'unknown'; word: string; suggestion: string | null }
  | { verb: 'invalid'; text: string; reason: string };

const VERBS = ['plan', 'promote', 'help'] as const;

/**
 * Slash commands in a comment, in order. A command is a line that starts with `/verb`
 * (GitLab's `/ferry verb` form too, since `/promote` is a GitLab quick action); lines in
 * code blocks and quotes are text, not commands.
 */
export function parseCommands(body: string): Command[] {
  const out: Command[] = [];
  let fence: string | null = null;
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    const f = /^(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === null) fence = f[1]!;
      else if (f[1]![0] === fence[0] && f[1]!.length >= fence.length) fence = null;
      continue;
    }
    if (fence !== null || line.startsWith('>') || !line.startsWith('/')) continue;
    const words = line.split(/\s+/);
    if (words[0] === '/ferry') words.shift();
    else words[0] = words[0]!.slice(1);
    const [first = '', ...args] = words;
    if (first === '') continue;
    out.push(toCommand(first.toLowerCase(), args, line));
  }
  return out;
}

function toCommand(verb: string, args: string[], line: string): Command {
  switch (verb) {
    case 'plan':
    case 'help':
      return args.length ? { verb: 'invalid', text: line, reason: `/${verb} takes no arguments` } : { verb };
    case 'promote': {
      let env: string | null = null;
      let dryRun = false;
      for (const a of args) {
        if (a === '--dry-run') dryRun = true;
        else if (a.startsWith('-')) return { verb: 'invalid', text: line, reason: `unknown option ${a} (expected --dry-run)` };
        else if (env === null) env = a;
        else return { verb: 'invalid', text: line, reason: 'usage: /promote [ENV] [--dry-run]' };
      }
      return { verb: 'promote', env, dryRun };
    }
    default:
      // Only words that look like a slip of one of ours get a reply; `/shrug` is not for us.
      return { verb: 'unknown', word: verb, suggestion: nearest(verb, VERBS) };
  }
}
