import path from 'node:path';
import picomatch from 'picomatch';
import type { AppSpec } from '../types.js';
import { hasControlChars, isUnsafePath } from '../workspace/links.js';
import type { FileChange, TreeIndex } from '../workspace/workspace.js';
import { Refusal } from './refusal.js';
import { code } from '../report/markdown.js';

export interface DirectoryPromotion {
  /** App folder names (relative to the environment folders) being promoted. */
  apps: string[];
  changes: FileChange[];
  /** Target files left alone because a `keep` glob matched them. */
  kept: string[];
}

function under(file: string, dir: string): boolean {
  return dir === '' || file.startsWith(dir + '/');
}

/** Source-environment apps with a changed file in their folder: what a merged PR changed there. */
export function changedApps(sourceApps: AppSpec[], changedFiles: string[]): AppSpec[] {
  return sourceApps.filter((a) => changedFiles.some((f) => under(f, a.path)));
}

/**
 * Makes each promoted app's folder in the target environment equal the source's —
 * added, changed and deleted files alike — except files matching `keep`, which stay as
 * the target has them. Globs match the path inside the environment folder
 * (`web/env-patch.yaml`) or the repository path. Nothing outside the apps is touched.
 */
export function planDirectoryPromotion(opts: {
  index: TreeIndex;
  fromPath: string;
  toPath: string;
  apps: string[];
  keep: string[];
}): DirectoryPromotion {
  const { index, fromPath, toPath } = opts;
  const isKept = picomatch(opts.keep.length ? opts.keep : ['\0never'], { dot: true });
  const keep = (repoPath: string) => isKept(repoPath) || isKept(path.posix.relative(toPath, repoPath));
  for (const app of opts.apps) assertAppName(app);
  const changes: FileChange[] = [];
  const kept = new Set<string>();
  for (const app of [...new Set(opts.apps)].sort()) {
    const src = path.posix.join(fromPath, app);
    const dst = path.posix.join(toPath, app);
    for (const p of index.keys()) {
      if ((under(p, src) || under(p, dst)) && hasControlChars(p)) {
        throw new Refusal(`${code(app)} holds a file whose name has control characters (${code(JSON.stringify(p))}); Ferry does not promote it`);
      }
    }
    const wanted = new Map<string, { oid: string; mode: string }>();
    for (const [p, e] of index) if (under(p, src)) wanted.set(path.posix.join(dst, p.slice(src.length + 1)), e);
    for (const [target, blob] of wanted) {
      if (keep(target)) {
        // Stays as the target has it, absent included.
        if (index.has(target)) kept.add(target);
        continue;
      }
      const current = index.get(target);
      if (!current || current.oid !== blob.oid || current.mode !== blob.mode) changes.push({ path: target, blob });
    }
    for (const p of index.keys()) {
      if (!under(p, dst) || wanted.has(p)) continue;
      if (keep(p)) kept.add(p);
      else changes.push({ path: p, blob: null });
    }
  }
  changes.sort((a, b) => a.path.localeCompare(b.path));
  assertWithinApps(changes, toPath, opts.apps);
  return { apps: [...new Set(opts.apps)].sort(), changes, kept: [...kept].sort() };
}

/**
 * The last word before a commit is built: every path it writes lies inside a promoted
 * app's target folder. A promotion that would touch anything else is a bug or an
 * attack, and nothing is written.
 */
export function assertWithinApps(changes: FileChange[], toPath: string, apps: string[]): void {
  for (const app of apps) assertAppName(app);
  const roots = apps.map((a) => path.posix.join(toPath, a));
  for (const c of changes) {
    const p = c.path;
    const clean = !hasControlChars(p) && path.posix.normalize(p) === p && !p.startsWith('/') && !p.startsWith('../');
    if (!clean || !roots.some((r) => r && p.startsWith(r + '/'))) {
      throw new Refusal(`the promotion would write ${code(JSON.stringify(p))}, outside the promoted apps; nothing was written`);
    }
  }
}

/**
 * An app name is a folder path inside the environment folder, written plainly: app
 * names can come from an earlier promotion PR's body, and `x/../../us/web` must not
 * reach another environment.
 */
function assertAppName(app: string): void {
  if (!app || isUnsafePath(app)) throw new Refusal(`${code(JSON.stringify(app))} is not an app folder name; nothing was written`);
}
