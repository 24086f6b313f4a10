import type { CommandPermission } from '../../config/types.js';
import type { Forge, PullRequest } from '../../forge/types.js';
import { code } from '../../report/markdown.js';

/**
 * Who may run a command: the teams and users configured for it (the list replaces the
 * default, so it can both narrow — only platform — and widen — release managers without
 * write access), or anyone with write access when nothing is configured.
 * Returns null when allowed, else the reason.
 */
export async function commandRefusal(forge: Forge, pr: PullRequest, user: string, verb: string, perm: CommandPermission | null): Promise<string | null> {
  if (perm) {
    if (perm.users.some((u) => u.toLowerCase() === user.toLowerCase())) return null;
    // A forge that cannot tell team membership grants nothing through teams.
    if (forge.capabilities.teams) for (const team of perm.teams) if (await forge.inTeam(pr, team, user)) return null;
    // Names in code spans: GitHub does not turn `@name` into a mention there, so a refusal
    // (which anyone can provoke) never pings the people allowed to run the command.
    const who = [...perm.teams.map((t) => `team ${code(t)}`), ...perm.users.map((u) => code(`@${u}`))].join(', ') || 'nobody';
    return `\`/${verb}\` is limited to ${who} (\`commands.${verb}\` in ferry.yml)`;
  }
  return (await forge.canWrite(pr, user)) ? null : `\`${forge.words.command}${verb}\` needs ${forge.words.write}`;
}

