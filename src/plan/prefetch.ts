import type { Tree } from '../workspace/workspace.js';

/** Files one piece of work reads from a tree. */
export interface Reads {
  tree: Tree;
  paths: string[];
}

/** Bytes read ahead per batch: with the batch in use and the next one, well inside the blob store's budget. */
const BATCH_BYTES = 8 * 2 ** 20;

/**
 * Reads the files of work items ahead of their turn, a batch at a time: the next batch
 * is read (by git, on another core) while this one renders, and only these few batches
 * are held, never the whole commit. A prefetch that fails only costs speed: a read of
 * a missing blob goes to git itself.
 */
export class Prefetcher {
  private readonly batchOf: number[] = [];
  private readonly batches: Reads[][] = [];
  private readonly started = new Map<number, Promise<void>>();

  private constructor() {}

  /** Batches `items` (in the order they will be worked on) by the sizes of what they read. */
  static async plan<T>(items: T[], readsOf: (item: T) => Reads[]): Promise<Prefetcher> {
    const f = new Prefetcher();
    const reads = items.map(readsOf);
    const sizes = new Map<Tree, Map<string, number>>();
    for (const list of reads) {
      for (const r of list) {
        if (!sizes.has(r.tree)) sizes.set(r.tree, new Map());
        for (const p of r.paths) sizes.get(r.tree)!.set(p, 0);
      }
    }
    for (const [tree, m] of sizes) sizes.set(tree, await tree.sizes(m.keys()));
    let bytes = 0;
    for (const list of reads) {
      if (f.batches.length === 0 || bytes >= BATCH_BYTES) {
        f.batches.push([]);
        bytes = 0;
      }
      f.batchOf.push(f.batches.length - 1);
      for (const r of list) {
        f.batches[f.batches.length - 1]!.push(r);
        for (const p of r.paths) bytes += sizes.get(r.tree)!.get(p) ?? 0;
      }
    }
    return f;
  }

  /** Resolves when item `i`'s files are in memory (or could not be read ahead); starts the next batch. */
  ready(i: number): Promise<void> {
    const b = this.batchOf[i];
    if (b === undefined) return Promise.resolve();
    this.start(b + 1);
    return this.start(b);
  }

  private start(b: number): Promise<void> {
    let p = this.started.get(b);
    if (!p) {
      const batch = this.batches[b] ?? [];
      const byTree = new Map<Tree, string[]>();
      for (const r of batch) {
        let list = byTree.get(r.tree);
        if (!list) byTree.set(r.tree, (list = []));
        for (const path of r.paths) list.push(path);
      }
      // One after the other: batch b+1 starts only when b has been read.
      const prev = this.started.get(b - 1) ?? Promise.resolve();
      p = prev.then(async () => {
        for (const [tree, paths] of byTree) await tree.prefetch(paths).catch(() => undefined);
      });
      this.started.set(b, p);
      // Only the latest few are needed to chain on.
      this.started.delete(b - 3);
    }
    return p;
  }
}
