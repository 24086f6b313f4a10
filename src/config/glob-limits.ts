/**
 * Bounds on globs from ferry.yml. picomatch compiles a glob to a backtracking regular
 * expression, and some shapes take time exponential in the number of wildcards and
 * polynomial in the path length, which a pull request controls: `*a*a*a*a*b` against a
 * 255-character file name, `**\/a/**\/a/**\/b` against a deep folder, `+(a*)b`. Matching
 * runs on the engine's thread, so such a glob is refused when the config is loaded.
 * The limits leave every glob a person writes for a path (`**\/env-*.yaml`,
 * `envs/*\/{values,secrets}.yaml`) well inside them; measured figures are in the
 * commit that introduced this file.
 */

export const GLOB_LIMITS = {
  /** Characters in one glob. */
  length: 256,
  /** `**` segments: each one multiplies the work by the path's depth. */
  globstars: 2,
  /** `*` (and `*(…)` / `+(…)`) within one path segment: each multiplies by the segment's length. */
  starsPerSegment: 2,
  /** Wildcards, extglobs and brace groups in the whole glob. */
  wildcards: 8,
} as const;

/** Why a glob is refused, or null when it is within the limits. */
export function globProblem(glob: string): string | null {
  if (glob.length > GLOB_LIMITS.length) return `is ${glob.length} characters long; a glob may have at most ${GLOB_LIMITS.length}`;
  let globstars = 0;
  let wildcards = 0;
  let segmentStars = 0;
  let braceDepth = 0;
  let extglobDepth = 0;
  /** Inside `*(…)` or `+(…)`, whose body repeats. */
  let repeating = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      // A character class matches one character, whatever is inside it.
      const end = glob.indexOf(']', i + 2);
      if (end > 0) {
        i = end;
        continue;
      }
    }
    if ('*+?@!'.includes(c) && glob[i + 1] === '(') {
      if (extglobDepth || braceDepth) return 'nests an extglob inside an extglob or a brace group';
      extglobDepth++;
      wildcards++;
      repeating = c === '*' || c === '+';
      if (repeating) segmentStars++;
      i++;
    } else if (c === ')' && extglobDepth) {
      extglobDepth--;
    } else if (c === '{') {
      if (braceDepth || extglobDepth) return 'nests a brace group inside a brace group or an extglob';
      braceDepth++;
      wildcards++;
    } else if (c === '}' && braceDepth) {
      braceDepth--;
    } else if (c === '/') {
      segmentStars = 0;
    } else if (c === '*' || c === '?') {
      // A repeated pattern inside a repeated pattern is the classic catastrophic backtrack.
      if (extglobDepth && repeating) return `puts the wildcard "${c}" inside a repeating extglob (\`*(…)\` or \`+(…)\`)`;
      let end = i + 1;
      while (c === '*' && glob[end] === '*') end++;
      const globstar = end - i >= 2 && (i === 0 || glob[i - 1] === '/') && (end === glob.length || glob[end] === '/');
      wildcards++;
      if (globstar) globstars++;
      else if (c === '*') segmentStars++;
      i = end - 1;
    } else continue;
    if (segmentStars > GLOB_LIMITS.starsPerSegment) return `has more than ${GLOB_LIMITS.starsPerSegment} \`*\` wildcards in one path segment`;
    if (globstars > GLOB_LIMITS.globstars) return `has more than ${GLOB_LIMITS.globstars} \`**\` segments`;
    if (wildcards > GLOB_LIMITS.wildcards) return `has more than ${GLOB_LIMITS.wildcards} wildcards, extglobs and brace groups`;
  }
  return null;
}
