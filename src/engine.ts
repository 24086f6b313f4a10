import type { ChartFetcher } from './render/charts/types.js';
import { readFile } from 'node:fs/promises';
import { cpus, homedir } from 'node:os';
import path from 'node:path';
import { CONFIG_FILES, findConfigFile, implicitConfig, parseConfigBuffer } from './config/index.js';
import type { FerryConfig } from './config/types.js';
import { discoverApps } from './plan/discover.js';
import { diffApp, usable } from './plan/compare.js';
import { crdsInTree } from './plan/crds.js';
import { schemaFolders } from './plan/schema-folders.js';
import { oncePerFile } from './plan/once.js';
import { appInputs, touches } from './plan/inputs.js';
import { applyEngineLevels } from './plan/levels.js';
import { Ownership, ownershipCandidates, unownedFinding } from './plan/unowned.js';
import { pathsUnder, renderApp, type RenderContext, type RenderedApp } from './plan/render-app.js';
import { hashedSecretNames, maskSecretNames } from './plan/secret-names.js';
import { appFailureFinding } from './plan/app-failure.js';
import { sameDiscovery, scanForDiscovery, sideOf, type Side } from './plan/side.js';
import { fluxReached, fluxRoots, ReachIndex } from './plan/reach.js';
import { pairHandedOver } from './plan/argo.js';
import { argoFiles, chartFilesMentioningApplications, followAppOfApps, type AppNode } from './plan/app-of-apps.js';
import { helmReleaseFilesReading } from './plan/helm-inputs.js';
import { Prefetcher, type Reads } from './plan/prefetch.js';
import { plainFiles } from './plan/inputs.js';
import { settleIncompleteSets, type SideCandidate } from './plan/incomplete-sets.js';
import { BlobStore } from './workspace/blobs.js';
import { ObjectReader } from './workspace/object-reader.js';
import { RenderCache } from './render/cache.js';
import { detectTools } from './render/tools.js';
import type { AppPlan, AppSpec, EnvironmentPlan, Finding, Plan, ResourceChange } from './types.js';
import { loadSchemas, schemaVersionFindings, validateResources, type ValidateOptions } from './validate/index.js';
import type { GitAuth } from './workspace/git.js';
import { Workspace, type Tree } from './workspace/workspace.js';
import { SYMLINK_MODE } from './workspace/links.js';
import { emptyInputs, type AppInputs } from './render/kustomization.js';
import { append } from './util/append.js';
import { detachChange, detachFinding } from './util/detach.js';
import { CODEOWNERS_FILES } from './review/codeowners.js';
import { ownRepository } from './plan/repo-url.js';

/** The first CODEOWNERS file at `side`, as the review rules read it; unreadable means none. */
function codeownersAt(side: Side): { codeowners?: { file: string; text: string } } {
  const file = CODEOWNERS_FILES.find((f) => side.view.has(f));
  if (!file) return {};
  try {
    return { codeowners: { file, text: side.tree.read(file).toString('utf8') } };
  } catch {
    return {};
  }
}

/**
 * Review rules and CODEOWNERS as the base branch has them now, not as the merge base had
 * them: a PR branched from a commit before the rules were added or tightened must still
 * meet today's. (The diff itself stays against the merge base.) An invalid ferry.yml at
 * the tip falls back to the merge base's rules, and says so.
 */
async function reviewSource(
  req: PlanRequest, ws: Workspace, baseTip: string, baseSha: string, config: FerryConfig, base: Side, read: { blobs: BlobStore; objects: ObjectReader }, trees: Tree[], findings: Finding[],
): Promise<Pick<Plan, 'review' | 'codeowners'>> {
  const fromConfig = (c: FerryConfig, side: Side) => ({
    ...(c.review.length ? { review: c.review } : {}),
    ...(c.review.some((r) => r.codeowners) ? codeownersAt(side) : {}),
  });
  if (baseTip === baseSha || req.config || req.configFile) return fromConfig(config, base);
  const tree = await ws.openTree(baseTip, read);
  trees.push(tree);
  const tip = sideOf(tree);
  const file = findConfigFile((p) => tip.view.has(p));
  if (!file) return {};
  let parsed: ReturnType<typeof parseConfigBuffer> | null = null;
  try {
    parsed = parseConfigBuffer(tree.read(file), file);
  } catch {
    // Unreadable (over a read limit): as good as invalid.
  }
  if (!parsed?.ok) {
    findings.push({ severity: 'warning', rule: 'config', message: `${file} on the base branch's tip is invalid: review rules are read from the merge base instead`, file, line: null, resource: null });
    return fromConfig(config, base);
  }
  return fromConfig(parsed.config, tip);
}

async function sideAt(ws: Workspace, ref: string, read: { blobs: BlobStore; objects: ObjectReader }, trees: Tree[]): Promise<Side> {
  let sha: string;
  try {
    sha = await ws.resolve(ref);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const tree = await ws.openTree(sha, read);
  trees.push(tree);
  return sideOf(tree);
}

/** A problem with the request itself (config, refs): the CLI exits 2 on it. */
export class UsageError extends Error {
  constructor(message: string, readonly findings: Finding[] = []) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface PlanRequest {
  /** A local checkout, or a clone URL / bare repository mirrored into the cache. */
  repo: string;
  base: string;
  head: string;
  /** Only this environment. */
  env?: string;
  /** A config file on disk; otherwise ferry.yml is read from the base commit. */
  configFile?: string;
  /** A config already loaded by the caller (the bots read it from the base branch). */
  config?: FerryConfig;
  cacheDir?: string;
  auth?: GitAuth;
  /** Extra refspecs to fetch for remote repositories (a PR's head ref). */
  fetchRefspecs?: string[];
  /** Shared across plans in one process so re-plans reuse renders. */
  renderCache?: RenderCache;
  /**
   * Fetches charts from outside the repository (HelmRepository, OCI, Argo CD chart
   * sources). Unset: the operator's settings (FERRY_CHARTS, FERRY_CHART_*) under the cache
   * directory; null: none (such charts are a chart-unavailable finding).
   */
  charts?: ChartFetcher | null;
  /** Bots: a repository without ferry.yml at base is not Ferry's business (throws NoConfigError). */
  requireConfig?: boolean;
  /** Plan against the merge base of base and head, as a PR's "files changed" does. */
  mergeBase?: boolean;
  /**
   * Read ferry.yml at this commit instead of at the diff's base. The bot plans the pushes
   * since an approval (base = the approved commit) with the PR's trusted config, never
   * with a config the PR itself wrote.
   */
  configAt?: string;
  /**
   * This repository's own URLs (the forge's web, HTTPS and SSH URLs; the CLI's remotes),
   * added to ferry.yml `render.repositoryURLs`. An Argo CD or Flux source naming another
   * repository is then a finding, not this tree's folder. None known: every git source is
   * taken as this repository.
   */
  repositoryURLs?: string[];
}

/** The base commit has no ferry.yml and the caller asked for one. */
export class NoConfigError extends Error {
  constructor() {
    super('no ferry.yml at the base commit');
    this.name = 'NoConfigError';
  }
}

/** FERRY_MAX_PLAN_OUTPUT_MB: rendered output one plan parses, all apps and both sides (default 512). */
function planOutputLimit(): number {
  const v = Number(process.env.FERRY_MAX_PLAN_OUTPUT_MB);
  return (Number.isFinite(v) && v > 0 ? v : 512) * 2 ** 20;
}

export function defaultCacheDir(): string {
  return process.env.FERRY_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'ferry');
}

const processCaches = new Map<string, RenderCache>();
/** One fetcher per cache directory, from the operator's settings: its in-memory indexes and downloads are shared by plans. */
const fetchers = new Map<string, ChartFetcher>();

async function chartsFor(given: ChartFetcher | null | undefined, cacheDir: string): Promise<{ charts?: ChartFetcher }> {
  if (given !== undefined) return given ? { charts: given } : {};
  let f = fetchers.get(cacheDir);
  if (!f) {
    // Loaded when a plan runs: `--help` and `--version` load no network code.
    const { chartFetcherFromEnv } = await import('./render/charts/index.js');
    fetchers.set(cacheDir, (f = chartFetcherFromEnv(process.env, cacheDir)));
  }
  return { charts: f };
}

function renderCacheFor(dir: string): RenderCache {
  let c = processCaches.get(dir);
  if (!c) processCaches.set(dir, (c = new RenderCache(path.join(dir, 'renders'))));
  return c;
}

async function loadConfig(req: PlanRequest, base: Side): Promise<{ config: FerryConfig; file: string | null }> {
  if (req.config) return { config: req.config, file: null };
  let file: string | null;
  let buf: Buffer;
  if (req.configFile) {
    file = req.configFile;
    try {
      buf = await readFile(req.configFile);
    } catch {
      throw new UsageError(`config file ${req.configFile} cannot be read`);
    }
  } else {
    file = findConfigFile((p) => base.view.has(p));
    if (!file) {
      if (req.requireConfig) throw new NoConfigError();
      return { config: implicitConfig(), file: null };
    }
    try {
      buf = base.tree.read(file);
    } catch (err) {
      throw new UsageError(`config ${file} cannot be read: ${(err as Error).message}`);
    }
  }
  const parsed = parseConfigBuffer(buf, file);
  if (!parsed.ok) {
    throw new UsageError(
      `invalid config ${file}:\n` + parsed.findings.map((f) => `  ${f.message}`).join('\n'),
      parsed.findings,
    );
  }
  return { config: parsed.config, file };
}

/**
 * Runs `fn` over items, `limit` at a time. After a failure no new item starts, and the
 * call settles only when every started one has: the caller's cleanup (removing the
 * trees renders write into) must not run under a render still in flight.
 */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return out;
}

/**
 * Whether an app's walk went through a symlink: a chain of links records only its first
 * hop, so a change further along it is not among the inputs; such apps walk both sides.
 */
function readsThroughLinks(inputs: AppInputs, side: Side): boolean {
  for (const f of inputs.files) if (side.tree.index.get(f)?.mode === SYMLINK_MODE) return true;
  return false;
}

/** Helm template functions that make a value new on every render. */
const RANDOM_FN_RE = /\b(randAlphaNum|randAlpha|randNumeric|randAscii|randBytes|randInt|uuidv4)\b|\bnow\s*\||\(\s*now\s*\)/;
const INCLUDE_RE = /\b(include|template)\s+"/;

/**
 * Whether a template file (at head, else at base) calls a random function, itself or
 * through a helper (`include` of a named template from a chart's `.tpl` file that does);
 * memoized per file.
 */
function randomNameTemplates(base: Side, head: Side, chart: string): (file: string) => boolean {
  const memo = new Map<string, boolean>();
  let helpers: boolean | undefined;
  const helpersRandom = () => {
    if (helpers === undefined) {
      helpers = false;
      for (const side of [head, base]) {
        for (const f of pathsUnder(side.tree.index, chart)) {
          if (f.endsWith('.tpl') && RANDOM_FN_RE.test(side.view.read(f))) return (helpers = true);
        }
      }
    }
    return helpers;
  };
  return (file) => {
    let hit = memo.get(file);
    if (hit === undefined) {
      const side = head.view.has(file) ? head : base.view.has(file) ? base : null;
      const text = side ? side.view.read(file) : '';
      hit = RANDOM_FN_RE.test(text) || (INCLUDE_RE.test(text) && helpersRandom());
      memo.set(file, hit);
    }
    return hit;
  };
}

/** Apps in natural order: app-2 before app-10. */
const APP_ORDER = new Intl.Collator('en', { numeric: true });

const findingKey = (f: Finding) => `${f.rule}\0${f.file}\0${f.line}\0${f.resource}\0${f.message}`;

/**
 * Marks the head findings the base render has too, on files the change does not touch.
 * Both conditions: an untouched file can still carry the change's own finding (an overlay
 * that sets `:latest` through `images:` is reported at the base's line), and a touched
 * file's old finding is the change's to fix or keep.
 */
async function markInBase(findings: Finding[], b: RenderedApp, changed: ReadonlySet<string>, config: FerryConfig, opts: ValidateOptions): Promise<void> {
  const candidate = (f: Finding) => f.file !== null && !changed.has(f.file);
  if (!findings.some(candidate)) return;
  const atBase = applyEngineLevels(b.findings, config.validate.rules, config.validate.strict);
  if (usable(b)) {
    await loadSchemas(b.resources.map((r) => r.id), opts.crds);
    append(atBase, validateResources(b.resources, opts));
  }
  const keys = new Set(atBase.map(findingKey));
  // Replaced, not changed: a render's findings may be shared with the render cache.
  for (let i = 0; i < findings.length; i++) {
    const f = findings[i]!;
    if (candidate(f) && keys.has(findingKey(f))) findings[i] = { ...f, inBase: true };
  }
}

function summarize(envs: EnvironmentPlan[], planFindings: Finding[]): Plan['summary'] {
  const s = { added: 0, changed: 0, removed: 0, errors: 0, warnings: 0 };
  const count = (f: Finding) => {
    if (f.severity === 'error') s.errors++;
    else if (f.severity === 'warning') s.warnings++;
  };
  planFindings.forEach(count);
  for (const e of envs) {
    for (const a of e.apps) {
      for (const c of a.changes) s[c.action]++;
      a.findings.forEach(count);
    }
  }
  return s;
}

function sortFindings(f: Finding[]): Finding[] {
  const rank = { error: 0, warning: 1, info: 2 };
  return f.sort(
    (a, b) =>
      rank[a.severity] - rank[b.severity] ||
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      a.rule.localeCompare(b.rule) ||
      a.message.localeCompare(b.message),
  );
}

/**
 * Plans a change: for every environment, the apps whose rendered output can differ
 * between base and head, rendered on both sides, paired, diffed and validated.
 * With `validateOnly`, every app at `head` is rendered and validated and nothing diffed.
 */
export class AbortedError extends Error {
  constructor() {
    super('plan aborted');
    this.name = 'AbortedError';
  }
}

/**
 * `signal` (not part of the request, which must stay cloneable for worker threads)
 * stops the plan: running renderers' process groups are killed and plan() rejects
 * with AbortedError.
 */
/** Told as a plan goes: a bot shows its checks as running once it knows there is work. */
export interface PlanHooks {
  /** ferry.yml was read (or implied): this plan will produce a result, not NoConfigError. */
  configured?: () => void;
  /** An app of `env` was rendered: `done` of `total` (the CLI's progress on a terminal). */
  progress?: (p: { env: string; done: number; total: number }) => void;
  /** Once, when a plan has a result: where its time went and how the render cache did. */
  measured?: (m: PlanMeasures) => void;
}

/**
 * Seconds per phase: `fetch` is the repository fetch; `render`, `diff` and `validate` are
 * summed over apps (they run side by side, so the sum can pass the wall time).
 */
export interface PlanMeasures {
  seconds: { fetch: number; render: number; diff: number; validate: number };
  cache: { hits: number; misses: number };
  /** Renders still held when the plan ended (made to list an app of apps' children and never let go): 0 expected. */
  rendersHeld?: number;
}

const since = (t: number) => (performance.now() - t) / 1000;

export async function plan(req: PlanRequest, validateOnly = false, signal?: AbortSignal, hooks: PlanHooks = {}): Promise<Plan> {
  const cacheDir = req.cacheDir ?? defaultCacheDir();
  const measures: PlanMeasures = { seconds: { fetch: 0, render: 0, diff: 0, validate: 0 }, cache: { hits: 0, misses: 0 } };
  const fetchStarted = performance.now();
  let ws: Workspace;
  try {
    ws = await Workspace.open(req.repo, { cacheDir, auth: req.auth });
    await ws.fetch(req.fetchRefspecs);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let baseSha: string;
  let headSha: string;
  /** The base as asked for (a branch's tip), before the merge base replaces it for the diff. */
  let baseTip: string;
  try {
    [baseTip, headSha] = await Promise.all([ws.resolve(req.base), ws.resolve(req.head)]);
    baseSha = req.mergeBase ? await ws.mergeBase(baseTip, headSha) : baseTip;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  measures.seconds.fetch = since(fetchStarted);

  const trees: Tree[] = [];
  // One reader of the repository's objects for the whole plan, started while the heap is small.
  const objects = new ObjectReader(ws.gitDir);
  try {
    // `validate` (and a plan of a commit against itself) reads one tree, not two copies.
    // One blob store for both sides, gone with this plan.
    const blobs = new BlobStore();
    const headTree = await ws.openTree(headSha, { blobs, objects });
    const baseTree = baseSha === headSha ? headTree : await ws.openTree(baseSha, { blobs, objects });
    trees.push(...new Set([baseTree, headTree]));
    // One after the other: the second reads only the blobs the first did not (they share a
    // store, and what is learnt of a blob is remembered by its id).
    for (const t of new Set([baseTree, headTree])) await scanForDiscovery(t, [...CONFIG_FILES, ...CODEOWNERS_FILES]);
    const planFindings: Finding[] = [];
    const base = sideOf(baseTree);
    const head = sideOf(headTree);

    const { config, file: configFile } = await loadConfig(req, req.configAt ? await sideAt(ws, req.configAt, { blobs, objects }, trees) : base);
    hooks.configured?.();
    const changed = validateOnly ? [] : await ws.changedFiles(baseSha, headSha);
    const changedSet = new Set(changed);
    if (configFile && changed.includes(configFile) && head.view.has(configFile)) {
      // The PR is judged by the base config, but its own edit to the config is checked now.
      const next = parseConfigBuffer(head.tree.read(configFile), configFile);
      if (!next.ok) append(planFindings, next.findings);
    }

    append(planFindings, schemaVersionFindings(config.validate));
    const environments = config.environments.filter((e) => !req.env || e.name === req.env);
    if (req.env && environments.length === 0) {
      throw new UsageError(`environment "${req.env}" is not defined (known: ${config.environments.map((e) => e.name).join(', ')})`);
    }

    const detected = await detectTools(config.render);
    const tools = { ...detected, hidden: [...new Set([...detected.hidden, path.resolve(cacheDir)])] };
    const outputTotal = planOutputLimit();
    const repository = ownRepository([...(req.repositoryURLs ?? []), ...(config.render.repositoryURLs ?? [])]);
    const ctx: RenderContext = { tools, cache: req.renderCache ?? renderCacheFor(cacheDir), ...(await chartsFor(req.charts, cacheDir)), kubeVersion: config.validate.kubernetesVersion, repository, signal, outputBudget: { left: outputTotal, total: outputTotal }, cacheStats: measures.cache };
    const crds = await crdsInTree(head.tree);
    ctx.crds = crds;
    const folders = schemaFolders(head.tree, config.validate.schemas ?? [], configFile);
    const validateOpts = { ...config.validate, crds, schemaFiles: folders.files };
    const concurrency = Math.max(2, cpus().length * 2);

    const envPlans: EnvironmentPlan[] = [];
    const unrendered: NonNullable<Plan['unrendered']> = {};
    // Changed manifests no app reads, in any environment planned: reported, never dropped.
    const unownedCandidates = ownershipCandidates(changed, configFile);
    const ownership = new Ownership();
    type Candidate = SideCandidate & { key?: string };
    const perEnv: Candidate[][] = [];
    for (const env of environments) {
      const discovery = { flux: config.render.flux, argo: config.render.argo, kubeVersion: config.validate.kubernetesVersion, repository };
      // Findings about ApplicationSets are head's: the base's were the base's to fix.
      const incomplete = { base: new Set<string>(), head: new Set<string>(), baseSets: new Set<string>() };
      const headApps = discoverApps(env, head.view, { ...discovery, findings: planFindings, incompleteSets: incomplete.head });
      // An edit that cannot change discovery (the usual PR) finds the same apps at base.
      const same = validateOnly || sameDiscovery(base, head, changed);
      const baseApps = validateOnly ? [] : same ? headApps : discoverApps(env, base.view, { ...discovery, incompleteSets: incomplete.base, sets: incomplete.baseSets });
      // `baseApp`: the app as base has it. Its renderer may differ (a folder that gains a
      // kustomization): each side renders with its own, and the outputs are diffed.
      const byPath = new Map<string, Candidate>();
      // A Flux Kustomization is the same app on both sides by name, wherever its path points.
      // An Argo CD Application likewise (a Flux name and an Application name never meet).
      // An Argo CD Application by its identity and the folder of the file that makes it: its
      // display name gains a folder when another folder adds the same name, its key must not.
      const key = (a: AppSpec) => (a.flux ? `flux:${a.name}` : a.argo ? `argo:${a.argo.namespace}/${a.argo.name}\0${path.posix.dirname(a.argo.file)}` : a.path);
      for (const a of baseApps) byPath.set(key(a), { app: a, baseApp: a, atBase: true, atHead: false });
      for (const a of headApps) {
        const prev = byPath.get(key(a));
        byPath.set(key(a), { app: a, baseApp: prev?.baseApp ?? null, atBase: !!prev, atHead: true });
      }
      if (!same) {
        // (Said once when environments share the set.)
        for (const f of settleIncompleteSets(byPath, incomplete)) if (!planFindings.some((g) => g.file === f.file && g.message === f.message)) planFindings.push(f);
      }
      // A folder an Application now renders (or no longer does) did not come or go: the
      // Application did. Paired with it, so what the PR changes in the folder still shows.
      if (!same) pairHandedOver(byPath, headApps, baseApps);
      // A `path:` with no app under it is a typo or a move, not an environment with nothing to check.
      if (env.path !== undefined && !env.apps?.length && headApps.length === 0 && baseApps.length === 0) {
        planFindings.push({
          severity: 'error', rule: 'config', file: configFile, line: null, resource: null,
          message: `environment "${env.name}": path ${env.path || '.'} matches no app at ${validateOnly ? 'head' : 'base or head'}; fix the path in ferry.yml`,
        });
      }
      // Discovery leaves out listed apps whose folder is missing: at base only, they plan as removed.
      for (const a of env.apps ?? []) {
        if (byPath.has(a.path)) continue;
        planFindings.push({
          severity: 'error', rule: 'config', file: configFile, line: null, resource: null,
          message: `environment "${env.name}": app "${a.name}" has no folder ${a.path || '.'} at ${validateOnly ? 'head' : 'base or head'}; fix its path or remove it from ferry.yml`,
        });
      }
      perEnv.push([...byPath.values()].sort((x, y) => APP_ORDER.compare(x.app.name, y.app.name)).map((c) => ({ ...c, key: key(c.app) })));
    }

    // Which Kustomize apps the changed files reach, from an index of what each
    // kustomization reads, instead of a walk of every app: the walks of a 5,000-app
    // monorepo were most of a small PR's fixed cost. (Symlinks: every app walks.)
    let reached: Set<string> | null = null;
    let argoReached: Set<string> = new Set();
    // A change to what a HelmRelease reads (its chart folder, a valuesFrom source) reaches
    // the apps holding the HelmRelease, as a change to its own file would (as either side
    // has it: a deleted values source is read at base only).
    const reachChanged = validateOnly ? changed : [...new Set([...changed, ...helmReleaseFilesReading(head.view, changed), ...(base === head ? [] : helmReleaseFilesReading(base.view, changed))])];
    if (!validateOnly && !head.view.links?.length) {
      const index = new ReachIndex(head.view, perEnv.flatMap((cs) => cs.filter((c) => c.atHead && c.app.renderer === 'kustomize').flatMap((c) => (c.app.flux ? fluxRoots(c.app, head.view) : [c.app.path]))));
      reached = index.reached(reachChanged);
      // Kustomize apps that read a written Application may output it changed (patched): they may be app-of-apps parents.
      const argo = config.render.argo === false ? [] : argoFiles(head.view);
      // And kustomizations inflating (`helmCharts`) a chart of this repository that mentions an Application.
      if (config.render.argo !== false) append(argo, await chartFilesMentioningApplications(head, index.wholeDirs()));
      argoReached = argo.length ? index.reached(argo) : new Set();
      // What a skipped app reads is no changed file (else it was reached), but a changed
      // file its folder holds still belongs to it.
      if (unownedCandidates.length) ownership.add({ ...emptyInputs(), files: new Set(index.owned(unownedCandidates)) });
    }

    const work: (Candidate & { env: number; baseInputs: AppInputs | null; headInputs: AppInputs | null })[] = [];
    // Every app as the app-of-apps pass sees it: planned or not, with the inputs known so far.
    const nodes: AppNode[][] = environments.map(() => []);
    // (An app whose fate is unknown is not rendered, so it is no parent either.)
    const node = (c: Candidate, e: number, affected: boolean, headInputs: AppInputs | null, baseInputs: AppInputs | null) =>
      !c.unknown && nodes[e]!.push({ app: c.app, baseApp: c.baseApp, atBase: c.atBase, atHead: c.atHead, key: c.key!, affected, headInputs, baseInputs });
    let seen = 0;
    for (const [e, candidates] of perEnv.entries()) {
      for (const c of candidates) {
        // A monorepo has thousands of apps: give the event loop (webhook acks) a turn.
        if (seen++ % 100 === 99) await new Promise((r) => setImmediate(r));
        // Argo CD apps read more than a kustomization walk (values files, generator configs): their inputs decide.
        const bothKustomize = c.atBase && c.atHead && c.baseApp!.renderer === 'kustomize' && c.app.renderer === 'kustomize' && !c.app.argo && !c.baseApp!.argo;
        if (reached && bothKustomize && !(c.app.flux ? fluxReached(c.app, head.view, reached, reachChanged) : reached.has(c.app.path))) {
          if (argoReached.has(c.app.path)) node(c, e, false, null, null);
          continue;
        }
        const headInputs = c.atHead ? appInputs(c.app, head.view) : null;
        // A Kustomize app whose head inputs (every file its walk read or looked for)
        // did not change walks the same files at base: it is unchanged, and the base
        // walk, most of a large monorepo's fixed cost, is skipped.
        if (!validateOnly && headInputs && bothKustomize && !touches(headInputs, reachChanged) && !readsThroughLinks(headInputs, head)) {
          if (unownedCandidates.length) ownership.add(headInputs);
          node(c, e, false, headInputs, null);
          continue;
        }
        const baseInputs = c.atBase ? appInputs(c.baseApp!, base.view) : null;
        if (unownedCandidates.length) {
          ownership.add(baseInputs);
          ownership.add(headInputs);
        }
        const affected = validateOnly || !baseInputs || !headInputs || touches(baseInputs, changed) || touches(headInputs, changed);
        if (affected) work.push({ ...c, env: e, baseInputs, headInputs });
        node(c, e, affected, headInputs, baseInputs);
      }
    }

    // One render per app and side, shared by the app-of-apps pass (which renders parents to
    // list their Applications) and the plan's own renders.
    const renders = new Map<AppSpec, Map<Side, Promise<RenderedApp>>>();
    const renderOnce = (app: AppSpec, side: Side, inputs: AppInputs): Promise<RenderedApp> => {
      let bySide = renders.get(app);
      if (!bySide) renders.set(app, (bySide = new Map()));
      let r = bySide.get(side);
      if (!r) bySide.set(side, (r = renderApp(app, side, inputs, ctx)));
      return r;
    };
    // Applications in rendered outputs (a chart of Applications): apps of their own.
    if (config.render.argo !== false) {
      for (const [e] of environments.entries()) {
        if (signal?.aborted) throw new AbortedError();
        const follow = await followAppOfApps({
          roots: nodes[e]!, names: new Set(perEnv[e]!.map((c) => c.app.name)), base, head, changed, validateOnly, render: renderOnce,
          release: (app) => renders.delete(app), concurrency,
          discovery: { ...(config.validate.kubernetesVersion ? { kubeVersion: config.validate.kubernetesVersion } : {}), findings: planFindings, repository },
        });
        if (!follow.children.length) continue;
        // A folder a child renders is planned under the child, not twice.
        for (let i = work.length - 1; i >= 0; i--) {
          const w = work[i]!;
          if (w.env === e && !w.app.argo && !w.app.flux && follow.covered(w.app.path)) work.splice(i, 1);
        }
        for (const c of follow.children) {
          if (unownedCandidates.length) {
            ownership.add(c.baseInputs);
            ownership.add(c.headInputs);
          }
          if (c.affected || c.unknown) {
            work.push({
              app: c.app, baseApp: c.baseApp, atBase: c.atBase, atHead: c.atHead, env: e, baseInputs: c.baseInputs, headInputs: c.headInputs,
              ...(c.unknown ? { unknown: c.unknown } : {}), ...(c.caveat ? { caveat: c.caveat } : {}),
            });
          }
        }
      }
      work.sort((x, y) => x.env - y.env || APP_ORDER.compare(x.app.name, y.app.name));
    }

    // What renders read from the commit is read ahead in batches, not held all at once.
    const reads = (app: AppSpec, side: Side, inputs: AppInputs | null): Reads[] =>
      !inputs ? [] : app.renderer === 'plain' ? [{ tree: side.tree, paths: plainFiles(app, side.view) }]
      : app.renderer === 'kustomize' ? [{ tree: side.tree, paths: [...inputs.files].filter((f) => side.tree.index.has(f)) }] : [];
    const ahead = await Prefetcher.plan(work, (c) => [
      ...(c.atBase && !validateOnly && !c.unknown ? reads(c.baseApp!, base, c.baseInputs) : []),
      ...(c.atHead ? reads(c.app, head, c.headInputs) : []),
    ]);
    const done = environments.map(() => 0);
    const totals = environments.map((_, e) => work.filter((c) => c.env === e).length);
    const apps = await pool(work.map((c, i) => ({ ...c, i })), concurrency, async (c): Promise<AppPlan> => {
      if (signal?.aborted) throw new AbortedError();
      if (c.unknown) {
        hooks.progress?.({ env: environments[c.env]!.name, done: ++done[c.env]!, total: totals[c.env]! });
        return { name: c.app.name, path: c.app.path, renderer: c.app.renderer, status: 'skipped', resources: 0, changes: [], findings: [c.unknown] };
      }
      try {
        return await planOne(c);
      } catch (err) {
        if (err instanceof AbortedError || signal?.aborted) throw err;
        // One app's crash is that app's error, not the whole plan's.
        renders.delete(c.app);
        if (c.baseApp) renders.delete(c.baseApp);
        hooks.progress?.({ env: environments[c.env]!.name, done: ++done[c.env]!, total: totals[c.env]! });
        return { name: c.app.name, path: c.app.path, renderer: c.app.renderer, status: 'error', resources: 0, changes: [], findings: [appFailureFinding(err)] };
      }
    });
    async function planOne(c: (typeof work)[number] & { i: number }): Promise<AppPlan> {
      await ahead.ready(c.i);
      const renderStarted = performance.now();
      // Both settle before either's failure is raised: no render may outlive its app.
      const [bs, hs] = await Promise.allSettled([
        c.atBase && !validateOnly ? renderOnce(c.baseApp!, base, c.baseInputs!) : null,
        c.atHead ? renderOnce(c.app, head, c.headInputs!) : null,
      ]);
      if (bs.status === 'rejected') throw bs.reason;
      if (hs.status === 'rejected') throw hs.reason;
      const [b, h] = [bs.value, hs.value];
      measures.seconds.render += since(renderStarted);
      // Not held past its use: a plan of thousands of apps keeps only their diffs.
      renders.delete(c.app);
      if (c.baseApp) renders.delete(c.baseApp);
      const validateStarted = performance.now();
      const findings = h ? applyEngineLevels(h.findings, config.validate.rules, config.validate.strict) : [];
      if (c.caveat) findings.push(c.caveat);
      if (h && usable(h)) {
        // Schemas load on first use of their kind (ESM: asynchronously).
        await loadSchemas(h.resources.map((r) => r.id), validateOpts.crds);
        append(findings, validateResources(h.resources, validateOpts));
      }
      measures.seconds.validate += since(validateStarted);
      // A base stopped by a limit did render before: its resources are unknown, not absent.
      // (A plain app's file over a limit is one broken file: the diff leaves out only it.)
      const isLimit = (f: Finding) => f.rule === 'render-limit' || f.rule === 'file-too-large';
      const baseLimited = !!b && b.status === 'error' && !b.brokenFiles && b.findings.some(isLimit);
      if (baseLimited) append(findings, b!.findings.filter(isLimit));
      if (b && !validateOnly) await markInBase(findings, b, changedSet, config, validateOpts);
      const status = baseLimited ? 'error' : h ? h.status : b ? b.status : 'rendered';
      const changes: ResourceChange[] = [];
      if (!validateOnly && !baseLimited) {
        const generatedNames = c.app.renderer === 'helm' || c.baseApp?.renderer === 'helm' ? randomNameTemplates(base, head, c.app.path) : undefined;
        const diffStarted = performance.now();
        const d = diffApp(b, h, { generatedNames, ignore: config.diff?.ignore });
        measures.seconds.diff += since(diffStarted);
        append(changes, d.changes);
        append(findings, applyEngineLevels(d.findings, config.validate.rules));
      }
      maskSecretNames(changes, findings, hashedSecretNames(b?.resources ?? [], h?.resources ?? []));
      hooks.progress?.({ env: environments[c.env]!.name, done: ++done[c.env]!, total: totals[c.env]! });
      // Kept for the whole plan: detached from the parsed documents they quote.
      return {
        name: c.app.name, path: c.app.path, renderer: c.app.renderer, status, resources: h?.resources.length ?? 0,
        changes: changes.map(detachChange), findings: sortFindings(findings.map(detachFinding)),
      };
    }
    if (signal?.aborted) throw new AbortedError();
    // Rendered together (one pool, so a second environment's renders fill the first's
    // idle slots), reported per environment in their order.
    environments.forEach((env, e) => envPlans.push({ name: env.name, apps: apps.filter((_, i) => work[i]!.env === e) }));
    for (const c of work) {
      for (const r of new Set([c.atHead ? c.app.renderer : null, c.atBase && !validateOnly ? c.baseApp!.renderer : null])) {
        const tool = r === 'helm' && !tools.helm ? 'helm' : r === 'kustomize' && !tools.kustomize ? 'kustomize' : null;
        if (tool) (unrendered[tool] ??= []).push(`${environments[c.env]!.name}/${c.app.name}`);
      }
    }

    oncePerFile(envPlans);
    // After validation: a schema file is read, and found broken, when a resource uses it.
    append(planFindings, folders.findings);
    const unowned = unownedFinding(unownedCandidates, ownership, base.view, head.view);
    if (unowned) append(planFindings, applyEngineLevels([unowned], config.validate.rules));

    // Files discovery could not read (size limits): said once, on the plan, unless an app already says it.
    const saidByApps = new Set(envPlans.flatMap((e) => e.apps.flatMap((a) => a.findings.map((f) => f.file))));
    for (const side of new Set([base, head])) {
      for (const f of side.limited) {
        if (!saidByApps.has(f.file) && !planFindings.some((g) => g.file === f.file)) planFindings.push(f);
      }
    }
    const changedEnvs = new Set(envPlans.filter((e) => e.apps.some((a) => a.changes.length > 0)).map((e) => e.name));
    const promotesTo = [...new Set(config.promotion.filter((s) => changedEnvs.has(s.from)).map((s) => s.to))];
    const result: Plan = {
      base: baseSha,
      head: headSha,
      environments: envPlans,
      findings: sortFindings(planFindings),
      summary: summarize(envPlans, planFindings),
      changedFiles: changed,
      ...(Object.keys(unrendered).length ? { unrendered } : {}),
      ...(promotesTo.length ? { promotesTo } : {}),
      ...(configFile && !req.configFile ? { configFile } : {}),
      ...(await reviewSource(req, ws, baseTip, baseSha, config, base, { blobs, objects }, trees, planFindings)),
    };
    measures.rendersHeld = renders.size;
    hooks.measured?.(measures);
    return result;
  } finally {
    objects.close();
    await Promise.all(trees.map((t) => t.dispose()));
  }
}
