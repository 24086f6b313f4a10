import type { TreeView } from './discover.js';

const sortedMemo = new WeakMap<TreeView, string[]>();

/** The tree's files below a folder prefix, from a sorted listing kept per view (no walk of every path per app). */
export function filesUnder(view: TreeView, prefix: string): string[] {
  let sorted = sortedMemo.get(view);
  if (!sorted) sortedMemo.set(view, (sorted = [...view.files].sort()));
  if (prefix === '') return sorted;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  const out: string[] = [];
  for (let i = lo; i < sorted.length && sorted[i]!.startsWith(prefix); i++) out.push(sorted[i]!);
  return out;
}
