import { commandRefusal } from '../commands/authorize.js';
import { CONFIG_FILES, parseConfigBuffer } from '../../config/index.js';
import type { FerryConfig } from '../../config/types.js';
import { AbortedError, defaultCacheDir } from '../../engine.js';
import type { Forge, OpenedPullRequest, PullRequest } from '../../forge/types.js';
import { promotionBody } from '../../promote/body.js';
import { branchContent, directoryContent, landingTime, pullRequestChanges } from '../../promote/content.js';
import { assertWithinApps } from '../../promote/directory.js';
import { evaluateGates, formatDuration, type GateResult } from '../../promote/gates.js';
import { chooseStep, nextSteps } from '../../promote/steps.js';
import { promotionBranch, promotionKey, promotionTitle, readPromotionMeta, type PromotionMeta } from '../../promote/pr.js';
import { Refusal } from '../../promote/refusal.js';
import { code, inline } from '../../report/markdown.js';
import { template } from '../../report/templates.js';
import type { Plan } from '../../types.js';
import { redact, type GitAuth } from '../../workspace/git.js';
import { Workspace, type Identity } from '../../workspace/workspace.js';
import { engineOf, type RunPlan } from './pull.js';

export interface PromoteJobOptions {
  cacheDir?: string;
  /** Runs the engine for the target plan; the server passes its worker pool. `signal` stops it. */
  runPlan?: RunPlan;
  /** The job's signal: a closed queue stops the target plan's renders. */
  signal?: AbortSignal;
  /** Author and committer of promotion commits. */
  identity: Identity;
  now?: () => Date;
  log?: { info: (o: object, msg: string) => void; warn: (o: object, msg: string) => void };
  /** Told how each promotion attempt ended: a PromoteResult kind, or `error`. */
  onPromotion?: (outcome: PromoteResult['kind'] | 'error') => void;
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

/**
 * `/promote` for one merged PR: choose the step, check authorization and gates, build
 * the promotion commit with git, push it to `ferry/promote/<from>-to-<to>/<key>` and
 * open or update the one promotion PR for that branch. Every refusal happens before the
 * first write, so a refused promotion leaves nothing behind.
 */
export async function promotePullRequest(forge: Forge, req: PromoteRequest, opts: PromoteJobOptions, opened?: OpenedRepo): Promise<PromoteResult> {
  const command = `/promote${req.env ? ` ${req.env}` : ''}${req.dryRun ? ' --dry-run' : ''}`;
  let result: PromoteResult;
  try {
    result = await promote(forge, req, opts, opened);
  } catch (err) {
    if (!(err instanceof Refusal)) {
      opts.onPromotion?.('error');
      throw err;
    }
    const reply = template('promotion-refused.md.hbs')({ user: req.user, command, reason: err.message.trim(), gates: err.gates });
    result = { kind: 'refused', reply, gates: err.gates };
  }
  opts.onPromotion?.(result.kind);
  return result;
}

async function promote(forge: Forge, req: PromoteRequest, opts: PromoteJobOptions, opened?: OpenedRepo): Promise<PromoteResult> {
  const { pr } = req;
  const ref = forge.pullRef(pr.number);
  if (pr.fromFork) throw new Refusal('pull requests from forks are never promoted');
  const { ws, auth, config: sourceConfig, tip: sourceTip } = opened ?? (await openConfig(forge, pr, opts));
  const { files: changed, before } = await pullRequestChanges(ws, pr, ref);
  const choice = chooseStep(sourceConfig, pr.baseRef, changed, req.env, req.user === null ? (s) => s.auto : undefined, forge.words.command);
  if (!choice.ok) throw new Refusal(choice.reason);
  const targetBranch = choice.step.strategy === 'branch' ? choice.to.branch! : (choice.to.branch ?? pr.baseRef);
  const targetTip = await ws.branchSha(targetBranch);
  if (!targetTip) throw new Refusal(`the target branch ${code(targetBranch)} of ${code(choice.to.name)} does not exist`);
  // The target's own ferry.yml decides who may promote into it and through which gates:
  // a push to staging must not be able to loosen production's rules.
  const rules = targetBranch === pr.baseRef ? sourceConfig : await readConfig(ws, targetTip, targetBranch);
  const step = rules.promotion.find((s) => s.from === choice.step.from && s.to === choice.step.to && s.strategy === choice.step.strategy);
  if (!step || (req.user === null && !step.auto)) {
    throw new Refusal(`ferry.yml on ${code(targetBranch)} defines no${req.user === null ? ' automatic' : ''} ${choice.step.strategy} step ${code(choice.step.from)} → ${code(choice.step.to)}`);
  }
  const envOf = (name: string) => rules.environments.find((e) => e.name === name) ?? (name === choice.from.name ? choice.from : choice.to);
  const [from, to] = [envOf(step.from), envOf(step.to)];
  if (req.user !== null) {
    const refusal = await commandRefusal(forge, pr, req.user, 'promote', rules.commands.promote);
    if (refusal) throw new Refusal(refusal);
  }
  if (!pr.merged) {
    throw new Refusal(
      pr.state === 'open'
        ? `${ref} is not merged yet, so its change is not in ${code(pr.baseRef)}. Merge it first, then comment \`/promote\` here.`
        : `${ref} was closed without merging; there is nothing to promote.`,
    );
  }
  if (pr.mergeCommitSha && !(await ws.isAncestor(pr.mergeCommitSha, sourceTip).catch(() => false))) {
    throw new Refusal(`the merge commit of ${ref} (\`${pr.mergeCommitSha.slice(0, 7)}\`) is no longer on ${code(pr.baseRef)}`);
  }

  // What the promotion writes, before any gate: an empty promotion is not worth a refusal.
  const contentFor = (alsoApps: string[]) => step.strategy === 'directory'
    ? directoryContent(ws, { prRef: ref, step, from, to, sourceTip, targetTip, changed, before, alsoApps })
    : branchContent(ws, { sourceTip, targetTip });
  let content = await contentFor([]);
  const what = () => content.apps.map((a) => code(a)).join(', ');
  if (content.empty) {
    return { kind: 'nothing', reply: template('promotion-done.md.hbs')({ kind: 'nothing', from: step.from, to: step.to, sourceCommit: sourceTip, what: what() }) };
  }

  // One open promotion PR per step and app: a PR that already promotes any of these
  // apps takes them all, so two open PRs never write the same target folder.
  const open = await forge.findOpenPulls(pr, promotionBranch(step, ''));
  const existingPull = open.find((p) => {
    const m = readPromotionMeta(p.body);
    return m && m.from === step.from && m.to === step.to && (step.strategy === 'branch' || m.apps.some((a) => content.apps.includes(a)));
  }) ?? null;
  const carried = readPromotionMeta(existingPull?.body);
  if (step.strategy === 'directory' && carried && carried.apps.some((a) => !content.apps.includes(a))) content = await contentFor(carried.apps);
  const branch = existingPull?.head ?? promotionBranch(step, promotionKey(content.apps));

  const landedAt = await landingTime(ws, pr.mergedAt, sourceTip, content.landingPaths);
  const checks = step.gates.statuses.length ? await forge.commitChecks(pr, sourceTip) : [];
  const gates = evaluateGates(step.gates, checks, landedAt, (opts.now ?? (() => new Date()))());
  const unmet = gates.filter((g) => !g.ok);
  const gateRefusal = unmet.length
    ? `${unmet.length === 1 ? 'a gate is' : `${unmet.length} gates are`} not met for ${code(step.from)} → ${code(step.to)} on \`${sourceTip.slice(0, 7)}\``
    : null;
  if (gateRefusal && !req.dryRun) throw new Refusal(gateRefusal, gates);

  const existingBranch = await ws.branchSha(branch);
  let commit: string;
  if (step.strategy === 'branch') commit = sourceTip;
  else {
    const message = `${promotionTitle(step, content.apps)}\n\nFrom ${step.from} at ${sourceTip} (${ref}).\n`;
    assertWithinApps(content.changes, to.path!, content.apps);
    commit = await ws.commitChanges(targetTip, content.changes, message, opts.identity);
    // The same content on the same target commit: keep the pushed commit, push nothing.
    if (existingBranch && (await sameCommitContent(ws, existingBranch, commit))) commit = existingBranch;
  }

  // Lineage only grows, oldest first, so re-running a promotion leaves the body as it was.
  const sources = carried?.sources.some((s) => s.pr === pr.number)
    ? carried.sources
    : [...(carried?.sources ?? []), { pr: pr.number, commit: pr.mergeCommitSha }];
  const meta: PromotionMeta = {
    version: 1, from: step.from, to: step.to, strategy: step.strategy, apps: content.apps,
    sourceCommit: sourceTip, targetBase: targetTip, sources,
  };
  const plan = await targetPlan(opts, pr, auth, targetTip, commit, to.name);
  const title = promotionTitle(step, content.apps.length ? content.apps : plannedApps(plan));
  const bodyInput = { meta, pullRef: (n: number) => forge.pullRef(n), strategy: step.strategy, sourceBranch: pr.baseRef, targetBranch, gates, content, requestedBy: req.user, plan };
  // Findings in the body link to their lines at the promotion commit (once it is pushed).
  const fileLink = (file: string, line: number | null) => forge.fileLink({ ...pr, headSha: commit }, file, line);

  if (req.dryRun) {
    // The reply wraps the body: leave it room under the comment limit.
    // A directory promotion's commit is made here and never pushed by a dry run: a
    // reproduce line naming it would fail for anyone who tried it.
    const reproducible = step.strategy === 'branch' || commit === existingBranch;
    const body = promotionBody({ ...bodyInput, reproducible, ...(reproducible ? { fileLink } : {}), limit: Math.min(forge.limits.body, forge.limits.comment) - 2_000 });
    const reply = template('promotion-dry-run.md.hbs')({
      env: req.env, existing: existingPull ? forge.pullRef(existingPull.number) : null, branch, targetBranch, title, body, refusal: gateRefusal,
    });
    return { kind: 'dry-run', reply };
  }
  const body = promotionBody({ ...bodyInput, fileLink, limit: forge.limits.body });
  const draft = { head: branch, base: targetBranch, title, body };

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
        await ws.push([{ branch, sha: null, expected: commit }]).catch((e: Error) => opts.log?.warn({ branch, err: redact(e.message) }, 'could not delete promotion branch'));
      }
      throw err;
    }
  }
  // Every run, so a label that failed once is added by the next; a failure never undoes the PR.
  await forge.addLabels(pr, pull.number, ['promotion']).catch((e: Error) => opts.log?.warn({ pull: pull.number, err: redact(e.message) }, 'could not label promotion PR'));
  opts.log?.info({ pr: pr.number, promotion: pull.number, kind, branch, commit }, 'promotion');
  return {
    kind,
    pull,
    reply: template('promotion-done.md.hbs')({ kind, link: forge.pullRef(pull.number), from: step.from, to: step.to, sourceCommit: sourceTip, what: what() || code(step.from) }),
  };
}

/** ferry.yml at a commit of `branch`: the rules a promotion runs under. */
async function readConfig(ws: Workspace, sha: string, branch: string): Promise<FerryConfig> {
  const file = await ws.firstFile(sha, CONFIG_FILES);
  if (!file) throw new Refusal(`${code(branch)} has no ferry.yml, so no promotion steps are defined`);
  const parsed = parseConfigBuffer(file.data, file.path);
  if (!parsed.ok) {
    throw new Refusal(`${code(file.path)} on ${code(branch)} is invalid:\n\n${parsed.findings.map((f) => `- ${inline(f.message)}`).join('\n')}\n`);
  }
  return parsed.config;
}

async function sameCommitContent(ws: Workspace, a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([ws.commitInfo(a), ws.commitInfo(b)]);
  return x.tree === y.tree && x.parents.join(' ') === y.parents.join(' ');
}

/** The target environment's plan of the promotion commit; a failure is shown, never fatal (an abort ends the job). */
async function targetPlan(opts: PromoteJobOptions, pr: PullRequest, auth: GitAuth, base: string, head: string, env: string): Promise<Plan | { error: string }> {
  try {
    return await engineOf(opts.runPlan)({ repo: pr.cloneUrl, ...(pr.repositoryURLs?.length ? { repositoryURLs: pr.repositoryURLs } : {}), base, head, env, cacheDir: opts.cacheDir, auth }, opts.signal);
  } catch (err) {
    // An aborted job writes nothing: the error must not become a plan shown in a PR body.
    if (err instanceof AbortedError) throw err;
    return { error: redact((err as Error).message).split('\n')[0]! };
  }
}

/** Branch promotions carry no app list of their own: the apps the target plan changes name the PR. */
function plannedApps(plan: Plan | { error: string }): string[] {
  if ('error' in plan) return [];
  return plan.environments.flatMap((e) => e.apps.filter((a) => a.changes.length || a.status !== 'rendered').map((a) => a.name));
}

/**
 * Auto-promotion after a PR merged into a source environment: every `auto: true` step
 * it feeds is attempted with no user (gates alone decide). Says whether any step is
 * still waiting for its gates, and how long each soak gate still needs, so the caller
 * can look again then; statuses and check runs re-trigger by event.
 */
export async function autoPromote(forge: Forge, pr: PullRequest, opts: PromoteJobOptions & { announce: boolean }): Promise<{ waiting: boolean; soakMs: number[] }> {
  const out = { waiting: false, soakMs: [] as number[] };
  let opened: OpenedRepo;
  try {
    opened = await openConfig(forge, pr, opts);
  } catch (err) {
    if (err instanceof Refusal) return out;
    throw err;
  }
  for (const step of opened.config.promotion.filter((s) => s.auto)) {
    let r: PromoteResult;
    try {
      // One fetch for all steps: they read the same commits.
      r = await promotePullRequest(forge, { pr, env: step.to, dryRun: false, user: null }, opts, opened);
    } catch (err) {
      const message = redact((err as Error).message);
      opts.log?.warn({ pr: pr.number, to: step.to, err: message }, 'auto-promotion failed');
      if (opts.announce) await forge.reply(pr, template('command-failed.md.hbs')({ verb: `promote ${step.to}`, message: message.split('\n')[0] }));
      continue;
    }
    if (r.kind === 'opened' || r.kind === 'updated') await forge.reply(pr, `Auto-promotion: ${r.reply}`);
    if (r.kind !== 'refused' || r.gates.length === 0) continue;
    out.waiting = true;
    const soak = r.gates.find((g) => g.remainingMs !== undefined);
    if (soak) out.soakMs.push(soak.remainingMs!);
    if (opts.announce) {
      await forge.reply(pr, template('promotion-waiting.md.hbs')({ from: step.from, to: step.to, gates: r.gates, soakLeft: soak ? formatDuration(soak.remainingMs!) : null }));
    }
  }
  return out;
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

/** The repository mirror, fetched (with the PR's head ref when the forge still has it). */
async function openRepo(forge: Forge, pr: PullRequest, opts: Pick<PromoteJobOptions, 'cacheDir'>) {
  const auth = await forge.gitAuth();
  const ws = await Workspace.open(pr.cloneUrl, { cacheDir: opts.cacheDir ?? defaultCacheDir(), auth });
  try {
    await ws.fetch([`+${pr.headRefspec}:${pr.headRefspec}`]);
  } catch {
    // A PR head ref can be gone (GitHub keeps them, other forges may not); branches suffice then.
    await ws.fetch();
  }
  return { ws, auth };
}

type OpenedRepo = Awaited<ReturnType<typeof openConfig>>;

/** The mirror, and ferry.yml as the branch the PR merged into has it now. */
async function openConfig(forge: Forge, pr: PullRequest, opts: PromoteJobOptions) {
  const { ws, auth } = await openRepo(forge, pr, opts);
  const tip = await ws.branchSha(pr.baseRef);
  if (!tip) throw new Refusal(`the branch ${code(pr.baseRef)} that ${forge.pullRef(pr.number)} merged into no longer exists`);
  return { ws, auth, tip, config: await readConfig(ws, tip, pr.baseRef) };
}

/** ferry.yml at a PR's base commit, the rules that judge it; null when there is none or it is invalid. */
export async function configForPullRequest(forge: Forge, pr: PullRequest, opts: Pick<PromoteJobOptions, 'cacheDir'>): Promise<FerryConfig | null> {
  const { ws } = await openRepo(forge, pr, opts);
  try {
    return await readConfig(ws, await ws.resolve(pr.baseSha), pr.baseRef);
  } catch (err) {
    if (err instanceof Refusal) return null;
    throw err;
  }
}
