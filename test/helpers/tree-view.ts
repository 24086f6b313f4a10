import type { TreeView } from '../../src/plan/discover.js';

/** A commit's tree as discovery sees it, from a map of path → content (no git). */
export function treeView(files: Record<string, string>): TreeView {
  const dirs = new Set<string>(['']);
  for (const f of Object.keys(files)) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return {
    files: Object.keys(files),
    has: (p) => p in files,
    isDir: (p) => dirs.has(p),
    read: (p) => {
      if (!(p in files)) throw new Error(`no ${p}`);
      return files[p]!;
    },
  };
}
