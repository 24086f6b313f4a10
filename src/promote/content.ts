import path from 'node:path';
import type { PromotionStep } from '../config/types.js';
import { discoverApps } from '../plan/discover.js';
import { scanForDiscovery, sideOf } from '../plan/side.js';
import type { AppSpec, EnvironmentSpec } from '../types.js';
import { append } from '../util/append.js';
import type { FileChange, TreeIndex, Workspace } from '../workspace/workspace.js';
import { changedApps, planDirectoryPromotion } from './directory.js';
import { Refusal } from './refusal.js';
import { code } from '../report/markdown.js';

/** What one promotion writes. */
export interface PromotionContent {
  /** Promoted app folders relative to the environment folder; empty for a whole branch. */
  apps: string[];
  changes: FileChange[];
  kept: string[];
  /** The target already equals the source: nothing to promote. */
  empty: boolean;
  /** Paths whose last change starts the soak clock; empty = the whole source commit. */
  landingPaths: string[];
}

/** The files a PR changed, as its "files changed" tab shows them, and the commit they changed from. */
export async function pullRequestChanges(
  ws: Workspace,
  pr: { baseSha: string; headSha: string; mergeCommitSha: string | null },
  /** How the forge writes the PR (`#7`, `!7`), for the refusal. */
  ref: string,
): Promise<{ files: string[]; before: string }> {
  try {
    const head = await ws.resolve(pr.headSha);
    const before = await ws.mergeBase(pr.baseSha, head);
    return { files: await ws.changedFiles(before, head), before };
  } catch {
    // The head can be gone (deleted fork, pruned ref): the merge commit tells the same story.
    if (!pr.mergeCommitSha) throw new Refusal(`the commits of ${ref} cannot be found in the repository`);
    const before = await ws.resolve(`${pr.mergeCommitSha}^1`);
    return { files: await ws.changedFiles(before, pr.mergeCommitSha), before };
  }
}

/** The changed apps of an environment at a commit, and that commit's file index. */
async function appsAt(ws: Workspace, sha: string, env: EnvironmentSpec, changed: string[]): Promise<{ apps: AppSpec[]; index: TreeIndex }> {
  const tree = await ws.openTree(sha);
  try {
    // Discovery's facts are taken file by file: the commit is not held in memory.
    await scanForDiscovery(tree);
    return { apps: changedApps(discoverApps(env, sideOf(tree).view), changed), index: tree.index };
  } finally {
    await tree.dispose();
  }
}

/**
 * Directory strategy: the apps the PR changed under the source folder — as they are at
 * the source tip, or as they were before the PR when it deleted them — made equal in the
 * target folder, `keep` files aside.
 */
export async function directoryContent(
  ws: Workspace,
  c: {
    /** How the forge writes the PR (`#7`, `!7`). */
    prRef: string; step: PromotionStep; from: EnvironmentSpec; to: EnvironmentSpec; sourceTip: string; targetTip: string; changed: string[]; before: string;
    /** App folders promoted along (those an open promotion PR already carries). */
    alsoApps?: string[];
  },
): Promise<PromotionContent> {
  const fromPath = c.from.path!;
  const toPath = c.to.path!;
  const inFrom = c.changed.filter((f) => f.startsWith(fromPath + '/'));
  const { apps, index: sourceIndex } = await appsAt(ws, c.sourceTip, c.from, inFrom);
  const covered = (f: string) => apps.some((a) => f.startsWith(a.path + '/'));
  if (inFrom.some((f) => !covered(f))) append(apps, (await appsAt(ws, c.before, c.from, inFrom.filter((f) => !covered(f)))).apps);
  const names = [...new Set([...apps.map((a) => path.posix.relative(fromPath, a.path)), ...(c.alsoApps ?? [])])].filter((n) => n && !n.startsWith('..'));
  if (names.length === 0) throw new Refusal(`${c.prRef} changed no app under ${code(fromPath)}; only app folders are promoted`);

  let index = sourceIndex;
  if (c.targetTip !== c.sourceTip) {
    // Environments on two branches: the source folder from one, everything else from the other.
    index = new Map([...(await ws.listTree(c.targetTip))].filter(([p]) => !p.startsWith(fromPath + '/')));
    for (const [p, e] of sourceIndex) if (p.startsWith(fromPath + '/')) index.set(p, e);
  }
  const promo = planDirectoryPromotion({ index, fromPath, toPath, apps: names, keep: c.step.keep });
  return {
    apps: promo.apps,
    changes: promo.changes,
    kept: promo.kept,
    empty: promo.changes.length === 0,
    landingPaths: promo.apps.map((a) => path.posix.join(fromPath, a)),
  };
}

/** Branch strategy: the whole source commit; empty when the target already contains it. */
export async function branchContent(ws: Workspace, c: { sourceTip: string; targetTip: string }): Promise<PromotionContent> {
  return { apps: [], changes: [], kept: [], empty: await ws.isAncestor(c.sourceTip, c.targetTip), landingPaths: [] };
}

/** When the promoted state landed: the newest commit touching it, never before the PR merged. */
export async function landingTime(ws: Workspace, mergedAt: string | null, sourceTip: string, paths: string[]): Promise<Date | null> {
  const byGit = await ws.lastChangeTime(sourceTip, paths).catch(() => null);
  const merged = mergedAt ? new Date(mergedAt) : null;
  if (!byGit || !merged) return byGit ?? merged;
  return byGit > merged ? byGit : merged;
}
