import picomatch from 'picomatch';
import { globProblem } from '../config/glob-limits.js';

/** Where CODEOWNERS is looked for at the base commit, in the order GitHub and GitLab look. */
export const CODEOWNERS_FILES = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS', '.gitlab/CODEOWNERS'];

interface Entry {
  match: (file: string) => boolean;
  owners: string[];
  /** GitLab's `!pattern`: a matching file needs no owner in this section, wherever the line is. */
  exclude?: boolean;
}

/**
 * Only gitignore's `*`, `**` and `?` (and, on GitLab, `[...]` ranges) are patterns; braces,
 * extglobs and a leading `!` are literal characters to CODEOWNERS, not to picomatch.
 */
const LITERAL = { dot: true, nobrace: true, noextglob: true, nonegate: true } as const;

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
  return picomatch(globs, LITERAL);
}

/** `@user`, `@org/team`; e-mail owners cannot be matched to a login and are left out. */
const owner = (t: string) => t.startsWith('@') && t.length > 1;

/**
 * The owners of a file under a CODEOWNERS text. GitHub: the last matching line wins.
 * GitLab: the same within each `[Section]`, and every section's owners together
 * (a section's default owners follow its header), and a file matching a section's
 * `!pattern` needs no owner of that section. Lines that cannot be read are skipped.
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
    const [first, ...rest] = line.split(/\s+/);
    let pattern = first!.replace(/\\ /g, ' ');
    // GitHub does not support negation or character ranges and ignores such a line; read as
    // picomatch would, `!docs/a.md` would own every other file.
    if (forge === 'github' && (pattern.startsWith('!') || /\[[^\]]*\]/.test(pattern))) continue;
    const exclude = forge === 'gitlab' && pattern.startsWith('!');
    if (exclude) pattern = pattern.slice(1);
    const match = matcher(pattern);
    if (!match) continue;
    const owners = rest.filter(owner);
    sections.at(-1)!.push({ match, owners: exclude ? [] : owners.length || forge === 'github' ? owners : defaults, ...(exclude ? { exclude } : {}) });
  }
  return (file) => {
    const out = new Set<string>();
    for (const entries of sections) {
      if (entries.some((e) => e.exclude && e.match(file))) continue;
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
