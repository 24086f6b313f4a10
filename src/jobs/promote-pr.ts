import path from 'node:path';
import { commandRefusal } from '../commands/authorize.js';
import { findConfigFile, parseConfigBuffer } from '../config/index.js';
import type { FerryConfig, PromotionStep } from '../config/types.js';
import { defaultCacheDir, plan as runEngine, type PlanRequest } from '../engine.js';
import type { Forge, OpenedPullRequest, PullRequest } from '../forge/types.js';
import { discoverApps } from '../plan/discover.js';
import { discoveryReads, sideOf } from '../plan/side.js';
import { changedApps, planDirectoryPromotion } from '../promote/directory.js';
import { evaluateGates, formatDuration, type GateResult } from '../promote/gates.js';
import { chooseStep, nextSteps } from '../promote/steps.js';
import {
  promotionBranch, promotionKey, promotionMarker, promotionTitle, readPromotionMeta, type PromotionMeta,
} from '../promote/pr.js';
import { fitPlanComment } from '../report/fit.js';
import { PLAN_MARKER } from '../report/plan.js';
import { template } from '../report/templates.js';
import type { EnvironmentSpec, Plan } from '../types.js';
import type { FileChange, Identity, TreeIndex } from '../workspace/workspace.js';
import { Workspace } from '../workspace/workspace.js';

export interface PromoteJobOptions {
  cacheDir?: string;
  /** Runs the engine for the target plan; the server passes its worker pool. */
  runPlan?: (req: PlanRequest) => Promise<Plan>;
  /** Author and committer of promotion commits. */
  identity: Identity;
  /** Largest PR body the forge accepts. */
  bodyLimit: number;
  now?: () => Date;
  log?: { info: (o: object, msg: string) => void; warn: (o: object, msg: string) => void };
}

export interface PromoteRequest {
  /** The merged PR whose change is promoted. */
  pr: PullRequest;
  /** Target environment named in the command. */
  env: string | null;
  dryRun: boolean;
  /** Who asked; null for auto-promotion, where only gates decide. */
  user: string | null;
}

export type PromoteResult =
  | { kind: 'refused'; reply: string; gates: GateResult[] }
  | { kind: 'dry-run' | 'nothing'; reply: string }
  | { kind: 'opened' | 'updated' | 'unchanged'; reply: string; pull: OpenedPullRequest };

/** A reason not to promote, found before anything is written. */
class Refusal extends Error {
  constructor(reason: string, readonly gates: GateResult[] = []) {
    super(reason);
  }
}

/** Largest number of files listed in a promotion PR body. */
const FILES_LISTED = 100;

/**
 * `/promote` for one merged PR: choose the step, check authorization and gates, build
 * the promotion commit with git, push it to `ferry/promote/<from>-to-<to>/<key>` and
 * open or update the one promotion PR for that branch. Every refusal happens before the
 * first write, so a refused promotion leaves nothing behind.
 */
export async function promotePullRequest(forge: Forge, req: PromoteRequest, opts: PromoteJobOptions): Promise<PromoteResult> {
  const command = `/promote${req.env ? ` ${req.env}` : ''}${req.dryRun ? ' --dry-run' : ''}`;
  try {
    return await promote(forge, req, opts);
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    const reply = template('promotion-refused.md.hbs')({ user: req.user, command, reason: err.message, gates: err.gates });
    return { kind: 'refused', reply, gates: err.gates };
  }
}

async function promote(forge: Forge, req: PromoteRequest, opts: PromoteJobOptions): Promise<PromoteResult> {
  const { pr } = req;
  if (pr.fromFork) throw new Refusal('pull requests from forks are never promoted');
  if (!pr.merged) {
    throw new Refusal(
      pr.state === 'open'
        ? `#${pr.number} is not merged yet, so its change is not in \`${pr.baseRef}\`. Merge it first, then comment \`/promote\` here.`
        : `#${pr.number} was closed without merging; there is nothing to promote.`,
    );
  }
  const { ws, auth, config, tip: sourceTip } = await openConfig(forge, pr, opts, [`+${pr.headRefspec}:${pr.headRefspec}`]);
  if (req.user !== null) {
    const refusal = await commandRefusal(forge, pr, req.user, 'promote', config.commands.promote);
    if (refusal) throw new Refusal(refusal);
  }

  const changed = await prChangedFiles(ws, pr);
  const choice = chooseStep(config, pr.baseRef, changed, req.env, req.user === null ? (s) => s.auto : undefined);
  if (!choice.ok) throw new Refusal(choice.reason);
  const { step, from, to } = choice;
  if (pr.mergeCommitSha && !(await ws.isAncestor(pr.mergeCommitSha, sourceTip).catch(() => false))) {
    throw new Refusal(`the merge commit of #${pr.number} (\`${pr.mergeCommitSha.slice(0, 7)}\`) is no longer on \`${pr.baseRef}\``);
  }
  const targetBranch = step.strategy === 'branch' ? to.branch! : (to.branch ?? pr.baseRef);
  const targetTip = await ws.branchSha(targetBranch);
  if (!targetTip) throw new Refusal(`the target branch \`${targetBranch}\` of \`${to.name}\` does not exist`);

  // What the promotion writes, before any gate: an empty promotion is not worth a refusal.
  const content = step.strategy === 'directory'
    ? await directoryContent(ws, { pr, step, from, to, sourceTip, targetTip, changed })
    : await branchContent(ws, { sourceTip, targetTip });
  const doneView = { from: step.from, to: step.to, sourceCommit: sourceTip, what: content.apps.map((a) => `\`${a}\``).join(', ') };
  if (content.empty) return { kind: 'nothing', reply: template('promotion-done.md.hbs')({ ...doneView, kind: 'nothing' }) };
  const landedAt = await landingTime(ws, pr, sourceTip, content.landingPaths);
  const checks = step.gates.statuses.length ? await forge.commitChecks(pr, sourceTip) : [];
  const gates = evaluateGates(step.gates, checks, landedAt, (opts.now ?? (() => new Date()))());
  const unmet = gates.filter((g) => !g.ok);
  const gateRefusal = unmet.length
    ? `${unmet.length === 1 ? 'a gate is' : `${unmet.length} gates are`} not met for \`${step.from}\` → \`${step.to}\` on \`${sourceTip.slice(0, 7)}\``
    : null;
  if (gateRefusal && !req.dryRun) throw new Refusal(gateRefusal, gates);

  const key = promotionKey(content.apps);
  const branch = promotionBranch(step, key);
  const existingBranch = await ws.branchSha(branch);
  const existingPull = await forge.findOpenPull(pr, branch);

  let commit: string;
  if (step.strategy === 'branch') commit = sourceTip;
  else {
    const message = `${promotionTitle(step, content.apps)}\n\nFrom ${step.from} at ${sourceTip} (#${pr.number}).\n`;
    commit = await ws.commitChanges(targetTip, content.changes, message, opts.identity);
    // The same content on the same target commit: keep the pushed commit, push nothing.
    if (existingBranch && (await sameCommitContent(ws, existingBranch, commit))) commit = existingBranch;
  }

  const previous = readPromotionMeta(existingPull?.body);
  const sources = [...(previous?.sources ?? []).filter((s) => s.pr !== pr.number), { pr: pr.number, commit: pr.mergeCommitSha }];
  const meta: PromotionMeta = {
    version: 1, from: step.from, to: step.to, strategy: step.strategy, apps: content.apps,
    sourceCommit: sourceTip, targetBase: targetTip, sources,
  };
  const title = promotionTitle(step, content.apps.length ? content.apps : await plannedApps(opts, pr, auth, targetTip, commit, to));
  const body = await promotionBody(opts, { pr, auth, step, to, meta, targetBranch, targetTip, commit, gates, content, requestedBy: req.user });
  const draft = { head: branch, base: targetBranch, title, body, labels: ['promotion'] };

  if (req.dryRun) {
    const reply = template('promotion-dry-run.md.hbs')({
      env: req.env, existing: existingPull ? `#${existingPull.number}` : null, branch, targetBranch, title, body, refusal: gateRefusal,
    });
    return { kind: 'dry-run', reply };
  }

  const pushed = commit !== existingBranch;
  if (pushed) await ws.push([{ branch, sha: commit, expected: existingBranch }]);
  let pull: OpenedPullRequest;
  let kind: 'opened' | 'updated' | 'unchanged';
  if (existingPull) {
    kind = pushed || existingPull.title !== title || existingPull.body !== body ? 'updated' : 'unchanged';
    pull = kind === 'updated' ? await forge.updatePull(pr, existingPull.number, draft) : existingPull;
  } else {
    try {
      pull = await forge.openPull(pr, draft);
      kind = 'opened';
    } catch (err) {
      // A branch this attempt created must not outlive it; the next /promote starts clean.
      if (existingBranch === null && pushed) {
        await ws.push([{ branch, sha: null, expected: commit }]).catch((e: Error) => opts.log?.warn({ branch, err: e.message }, 'could not delete promotion branch'));
      }
      throw err;
    }
  }
  opts.log?.info({ pr: pr.number, promotion: pull.number, kind, branch, commit }, 'promotion');
  const link = `#${pull.number}`;
  return { kind, pull, reply: template('promotion-done.md.hbs')({ ...doneView, kind, link, what: doneView.what || `\`${step.from}\`` }) };
}

/** ferry.yml as the source branch has it now: the rules a promotion runs under. */
async function readConfig(ws: Workspace, sha: string, branch: string): Promise<FerryConfig> {
  const tree = await ws.openTree(sha);
  try {
    const file = findConfigFile((p) => tree.index.has(p));
    if (!file) throw new Refusal(`\`${branch}\` has no ferry.yml, so no promotion steps are defined`);
    const parsed = parseConfigBuffer(tree.read(file), file);
    if (!parsed.ok) {
      throw new Refusal(`${file} on \`${branch}\` is invalid:\n\n${parsed.findings.map((f) => `- ${f.message}`).join('\n')}\n`);
    }
    return parsed.config;
  } finally {
    await tree.dispose();
  }
}

/** The files the PR changed, as its "files changed" tab shows them. */
async function prChangedFiles(ws: Workspace, pr: PullRequest): Promise<string[]> {
  try {
    const head = await ws.resolve(pr.headSha);
    const base = await ws.mergeBase(pr.baseSha, head);
    return await ws.changedFiles(base, head);
  } catch {
    // The head ref can be gone (deleted fork, pruned ref): the merge commit tells the same story.
    if (!pr.mergeCommitSha) throw new Refusal(`the commits of #${pr.number} cannot be found in the repository`);
    return ws.changedFiles(`${pr.mergeCommitSha}^1`, pr.mergeCommitSha);
  }
}

interface Content {
  /** Promoted app folders relative to the environment folder; empty for a whole branch. */
  apps: string[];
  changes: FileChange[];
  kept: string[];
  empty: boolean;
  /** Paths whose last change sets the soak clock; empty = the whole source commit. */
  landingPaths: string[];
}

async function directoryContent(
  ws: Workspace,
  c: { pr: PullRequest; step: PromotionStep; from: EnvironmentSpec; to: EnvironmentSpec; sourceTip: string; targetTip: string; changed: string[] },
): Promise<Content> {
  const fromPath = c.from.path!;
  const toPath = c.to.path!;
  const source = await ws.openTree(c.sourceTip);
  try {
    await source.preload(discoveryReads(source.index));
    const apps = changedApps(discoverApps(c.from, sideOf(source).view), c.changed);
    const names = new Set(apps.map((a) => path.posix.relative(fromPath, a.path)).filter((n) => n && !n.startsWith('..')));
    // An app the PR deleted no longer exists at the tip: its folder is still what changed.
    for (const f of c.changed) {
      if (!f.startsWith(fromPath + '/')) continue;
      const rest = f.slice(fromPath.length + 1);
      if (rest.includes('/') && ![...names].some((n) => rest.startsWith(n + '/'))) {
        const first = rest.split('/')[0]!;
        if (![...source.index.keys()].some((p) => p.startsWith(`${fromPath}/${first}/`))) names.add(first);
      }
    }
    if (names.size === 0) {
      throw new Refusal(`#${c.pr.number} changed no app under \`${fromPath}\`; only app folders are promoted`);
    }
    let index: TreeIndex = source.index;
    if (c.targetTip !== c.sourceTip) {
      // Environments on two branches: the source folder from one, the target folder from the other.
      index = new Map([...(await ws.listTree(c.targetTip))].filter(([p]) => !p.startsWith(fromPath + '/')));
      for (const [p, e] of source.index) if (p.startsWith(fromPath + '/')) index.set(p, e);
    }
    const promo = planDirectoryPromotion({ index, fromPath, toPath, apps: [...names], keep: c.step.keep });
    return {
      apps: promo.apps,
      changes: promo.changes,
      kept: promo.kept,
      empty: promo.changes.length === 0,
      landingPaths: promo.apps.map((a) => path.posix.join(fromPath, a)),
    };
  } finally {
    await source.dispose();
  }
}

async function branchContent(ws: Workspace, c: { sourceTip: string; targetTip: string }): Promise<Content> {
  const empty = await ws.isAncestor(c.sourceTip, c.targetTip);
  return { apps: [], changes: [], kept: [], empty, landingPaths: [] };
}

/** When the promoted state landed: the newest commit touching it, never before the PR merged. */
async function landingTime(ws: Workspace, pr: PullRequest, sourceTip: string, paths: string[]): Promise<Date | null> {
  const byGit = await ws.lastChangeTime(sourceTip, paths).catch(() => null);
  const merged = pr.mergedAt ? new Date(pr.mergedAt) : null;
  if (!byGit) return merged;
  if (!merged) return byGit;
  return byGit > merged ? byGit : merged;
}

async function sameCommitContent(ws: Workspace, a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([ws.commitInfo(a), ws.commitInfo(b)]);
  return x.tree === y.tree && x.parents.join(' ') === y.parents.join(' ');
}

function planOf(opts: PromoteJobOptions, pr: PullRequest, auth: Awaited<ReturnType<Forge['gitAuth']>>, base: string, head: string, env: string): Promise<Plan> {
  return (opts.runPlan ?? runEngine)({ repo: pr.cloneUrl, base, head, env, cacheDir: opts.cacheDir, auth });
}

/** Branch promotions carry no app list of their own: the apps the target plan changes name the PR. */
async function plannedApps(opts: PromoteJobOptions, pr: PullRequest, auth: Awaited<ReturnType<Forge['gitAuth']>>, base: string, head: string, to: EnvironmentSpec): Promise<string[]> {
  try {
    const p = await planOf(opts, pr, auth, base, head, to.name);
    return p.environments.flatMap((e) => e.apps.filter((a) => a.changes.length || a.status !== 'rendered').map((a) => a.name));
  } catch {
    return [];
  }
}

async function promotionBody(
  opts: PromoteJobOptions,
  c: {
    pr: PullRequest; auth: Awaited<ReturnType<Forge['gitAuth']>>; step: PromotionStep; to: EnvironmentSpec; meta: PromotionMeta;
    targetBranch: string; targetTip: string; commit: string; gates: GateResult[]; content: Content; requestedBy: string | null;
  },
): Promise<string> {
  const view = {
    marker: promotionMarker(c.meta),
    ...c.meta,
    sourceBranch: c.pr.baseRef,
    targetBranch: c.targetBranch,
    gates: c.gates,
    auto: c.requestedBy === null,
    requestedBy: c.requestedBy,
    kept: c.content.kept,
    files: c.step.strategy === 'directory'
      ? {
          written: c.content.changes.filter((f) => f.blob).length,
          deleted: c.content.changes.filter((f) => !f.blob).length,
          list: c.content.changes.slice(0, FILES_LISTED),
          more: Math.max(0, c.content.changes.length - FILES_LISTED),
        }
      : null,
    plan: '',
    planError: null as string | null,
    planTruncated: false,
  };
  let targetPlan: Plan | null = null;
  try {
    targetPlan = await planOf(opts, c.pr, c.auth, c.targetTip, c.commit, c.to.name);
  } catch (err) {
    view.planError = (err as Error).message.split('\n')[0]!;
  }
  const bare = template('promotion-pr.md.hbs')(view);
  if (!targetPlan) return bare;
  const parts = fitPlanComment(targetPlan, { limit: Math.max(4_000, opts.bodyLimit - bare.length - 500) });
  view.plan = parts[0]!.replace(PLAN_MARKER, '').trim();
  view.planTruncated = parts.length > 1;
  return template('promotion-pr.md.hbs')(view).replace(/\n{3,}/g, '\n\n');
}

/**
 * Auto-promotion after a PR merged into a source environment: every `auto: true` step
 * it feeds is attempted with no user (gates alone decide). Returns how long each soak
 * gate still needs, so the caller can look again then; statuses re-trigger by event.
 */
export async function autoPromote(forge: Forge, pr: PullRequest, opts: PromoteJobOptions & { announce: boolean }): Promise<number[]> {
  const waits: number[] = [];
  let config: FerryConfig;
  try {
    config = (await openConfig(forge, pr, opts)).config;
  } catch (err) {
    if (err instanceof Refusal) return waits;
    throw err;
  }
  for (const step of config.promotion.filter((s) => s.auto)) {
    let r: PromoteResult;
    try {
      r = await promotePullRequest(forge, { pr, env: step.to, dryRun: false, user: null }, opts);
    } catch (err) {
      opts.log?.warn({ pr: pr.number, to: step.to, err: (err as Error).message }, 'auto-promotion failed');
      if (opts.announce) await forge.reply(pr, template('command-failed.md.hbs')({ verb: `promote ${step.to}`, message: (err as Error).message.split('\n')[0] }));
      continue;
    }
    if (r.kind === 'opened' || r.kind === 'updated') await forge.reply(pr, `Auto-promotion: ${r.reply}`);
    if (r.kind !== 'refused' || r.gates.length === 0) continue;
    const soak = r.gates.find((g) => g.remainingMs !== undefined);
    if (soak) waits.push(soak.remainingMs!);
    if (opts.announce) {
      await forge.reply(pr, template('promotion-waiting.md.hbs')({ from: step.from, to: step.to, gates: r.gates, soakLeft: soak ? formatDuration(soak.remainingMs!) : null }));
    }
  }
  return waits;
}

/** After a promotion PR merges: offers the next step of the chain in a reply. */
export async function offerNextStep(forge: Forge, pr: PullRequest, opts: PromoteJobOptions): Promise<void> {
  const meta = readPromotionMeta(pr.body);
  if (!meta) return;
  let config: FerryConfig;
  try {
    config = (await openConfig(forge, pr, opts)).config;
  } catch (err) {
    if (err instanceof Refusal) return;
    throw err;
  }
  const steps = nextSteps(config, meta.to);
  if (steps.length) await forge.reply(pr, template('promotion-next.md.hbs')({ to: meta.to, steps }));
}

/** The repository mirror, fetched, and ferry.yml as the branch the PR merged into has it now. */
async function openConfig(forge: Forge, pr: PullRequest, opts: PromoteJobOptions, refspecs: string[] = []) {
  const auth = await forge.gitAuth();
  const ws = await Workspace.open(pr.cloneUrl, { cacheDir: opts.cacheDir ?? defaultCacheDir(), auth });
  try {
    await ws.fetch(refspecs);
  } catch (err) {
    // A PR head ref can be gone (GitHub keeps them, other forges may not); branches suffice then.
    if (!refspecs.length) throw err;
    await ws.fetch();
  }
  const tip = await ws.branchSha(pr.baseRef);
  if (!tip) throw new Refusal(`the branch \`${pr.baseRef}\` that #${pr.number} merged into no longer exists`);
  return { ws, auth, tip, config: await readConfig(ws, tip, pr.baseRef) };
}

/** ferry.yml at a PR's base commit, the rules that judge it; null when there is none or it is invalid. */
export async function configForPullRequest(forge: Forge, pr: PullRequest, opts: Pick<PromoteJobOptions, 'cacheDir'>): Promise<FerryConfig | null> {
  const ws = await Workspace.open(pr.cloneUrl, { cacheDir: opts.cacheDir ?? defaultCacheDir(), auth: await forge.gitAuth() });
  await ws.fetch();
  try {
    return await readConfig(ws, await ws.resolve(pr.baseSha), pr.baseRef);
  } catch (err) {
    if (err instanceof Refusal) return null;
    throw err;
  }
}
