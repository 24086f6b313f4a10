import picomatch from 'picomatch';
import { globProblem } from '../config/glob-limits.js';

/** Where CODEOWNERS is looked for at the base commit, in the order GitHub and GitLab look. */
export const CODEOWNERS_FILES = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS', '.gitlab/CODEOWNERS'];

interface Entry {
  match: (file: string) => boolean;
  owners: string[];
}

/** A CODEOWNERS path pattern as a matcher: gitignore-like, as GitHub and GitLab document it. */
function matcher(pattern: string): ((file: string) => boolean) | null {
  let p = pattern;
  const anchored = p.startsWith('/');
  p = p.replace(/^\/+/, '');
  const dir = p.endsWith('/');
  p = p.replace(/\/+$/, '');
  if (!p) return null;
  // Without a slash (other than a trailing one) the pattern matches at any depth.
  const glob = !anchored && !p.includes('/') ? `**/${p}` : p;
  // A pattern naming a folder owns everything below it; `docs/*` owns only docs' own files.
  const globs = dir ? [`${glob}/**`] : glob.endsWith('/*') ? [glob] : [glob, `${glob}/**`];
  if (globs.some((g) => globProblem(g))) return null;
  return picomatch(globs, { dot: true });
}

/** `@user`, `@org/team`; e-mail owners cannot be matched to a login and are left out. */
const owner = (t: string) => t.startsWith('@') && t.length > 1;

/**
 * The owners of a file under a CODEOWNERS text. GitHub: the last matching line wins.
 * GitLab: the same within each `[Section]`, and every section's owners together
 * (a section's default owners follow its header). Lines that cannot be read are skipped.
 */
export function parseCodeowners(text: string, forge: 'github' | 'gitlab'): (file: string) => string[] {
  const sections: Entry[][] = [[]];
  let defaults: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const section = forge === 'gitlab' ? /^\^?\[[^\]]+\](?:\[\d+\])?(.*)$/.exec(line) : null;
    if (section) {
      sections.push([]);
      defaults = section[1]!.trim().split(/\s+/).filter(owner);
      continue;
    }
    const [pattern, ...rest] = line.split(/\s+/);
    const match = matcher(pattern!.replace(/\\ /g, ' '));
    if (!match) continue;
    const owners = rest.filter(owner);
    sections.at(-1)!.push({ match, owners: owners.length || forge === 'github' ? owners : defaults });
  }
  return (file) => {
    const out = new Set<string>();
    for (const entries of sections) {
      for (let i = entries.length - 1; i >= 0; i--) {
        if (entries[i]!.match(file)) {
          for (const o of entries[i]!.owners) out.add(o.slice(1));
          break;
        }
      }
    }
    return [...out];
  };
}
