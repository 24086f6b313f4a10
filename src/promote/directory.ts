import path from 'node:path';
import picomatch from 'picomatch';
import type { AppSpec } from '../types.js';
import type { FileChange, TreeIndex } from '../workspace/workspace.js';

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
  const changes: FileChange[] = [];
  const kept = new Set<string>();
  for (const app of [...new Set(opts.apps)].sort()) {
    const src = path.posix.join(fromPath, app);
    const dst = path.posix.join(toPath, app);
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
  return { apps: [...new Set(opts.apps)].sort(), changes, kept: [...kept].sort() };
}
