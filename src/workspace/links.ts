import type { TreeEntry } from './workspace.js';

export const SYMLINK_MODE = '120000';
/** Links followed while resolving one path; more is a loop (Linux allows 40). */
const MAX_HOPS = 40;

export type Resolved =
  | { kind: 'file'; path: string }
  | { kind: 'dir'; path: string }
  | { kind: 'escape'; target: string }
  | { kind: 'missing' }
  | { kind: 'loop' };

/**
 * Resolves a repository path the way the kernel would resolve it in a checkout, but over
 * the commit's own listing: every component that is a symlink is replaced by its
 * target before the next component is looked at, and `..` leaves the real parent. A
 * path is inside the repository only if this walk never climbs above the root, so a
 * chain such as `l1 -> ../../..` plus `f -> ../l1/../../../etc/passwd` is caught
 * whatever a purely textual normalization would say.
 */
export function resolveInTree(
  index: ReadonlyMap<string, TreeEntry>,
  isDir: (p: string) => boolean,
  readLink: (p: string) => string,
  p: string,
): Resolved {
  const pending = p.split('/').reverse();
  const stack: string[] = [];
  let hops = 0;
  let lastTarget = p;
  while (pending.length) {
    const c = pending.pop()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (stack.length === 0) return { kind: 'escape', target: lastTarget };
      stack.pop();
      continue;
    }
    const candidate = stack.length ? `${stack.join('/')}/${c}` : c;
    const entry = index.get(candidate);
    if (entry?.mode === SYMLINK_MODE) {
      if (++hops > MAX_HOPS) return { kind: 'loop' };
      const target = readLink(candidate);
      lastTarget = target;
      // An absolute target names a host path, never a repository one.
      if (target.startsWith('/') || target.includes('\0')) return { kind: 'escape', target };
      // The target is relative to the link's folder, which is the current stack.
      for (const part of target.split('/').reverse()) pending.push(part);
      continue;
    }
    stack.push(c);
  }
  const out = stack.join('/');
  if (index.has(out)) return { kind: 'file', path: out };
  if (out === '' || isDir(out)) return { kind: 'dir', path: out };
  return { kind: 'missing' };
}

/**
 * Names a renderer must never find on disk: git and tool configuration, and the folders
 * renders generate into (GENERATED_HOMES). A `.gitconfig`
 * in a render's tree once gave `core.fsmonitor` (a shell command) to the git that
 * kustomize runs; nothing a manifest needs is named like this.
 */
export function isForbiddenRenderPath(p: string): boolean {
  return p.split('/').some((c) => c.startsWith('.git') || c === '.config') || GENERATED_HOMES.has(p.split('/')[0]!);
}

/**
 * Top folders of a render tree that hold what renders generate (inline values, chart
 * archives and copies, overlays), named by content and reused when already there: a file
 * the repository commits at such a name would be read in place of Ferry's, so none is written.
 */
export const GENERATED_HOMES = new Set(['.ferry-helm', '.ferry-flux', '.ferry-argo']);

/**
 * A path git should never have listed: empty, `.` or `..` components, or absolute. A
 * crafted tree object can hold such names; nothing is written for them.
 */
export function isUnsafePath(p: string): boolean {
  return p.startsWith('/') || p.split('/').some((c) => c === '' || c === '.' || c === '..') || hasControlChars(p);
}

/** Paths with control characters (a newline can forge a line in git's plumbing input). */
export function hasControlChars(p: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f]/.test(p);
}

/** The finding text for a symlink whose target leaves the repository (`target` as written). */
export function escapeMessage(target: string): string {
  return `symlink points outside the repository (${target}); Ferry does not follow it`;
}
