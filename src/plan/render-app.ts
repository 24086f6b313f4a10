import type { ChartFetcher } from '../render/charts/types.js';
import { RenderCache } from '../render/cache.js';
import { filesByFolder } from './folders.js';
import type { AppInputs } from '../render/kustomization.js';
import { renderPlain, renderRaw, resourcesFromRender } from '../render/render.js';
import { maskRenderFindings } from '../render/stderr-mask.js';
import { renderTrivialKustomization, type TrivialTree } from '../render/trivial-kustomization.js';
import { ReadLimitError } from '../workspace/limits.js';
import type { RenderTools } from '../render/tools.js';
import type { AppPlan, AppSpec, Finding, Resource } from '../types.js';
import { plainFiles } from './inputs.js';
import { fluxPostBuild } from './flux.js';
import { expandHelmReleases } from './helm-release.js';
import { isHelmRelease } from './helm-source.js';
import { renderArgo } from './render-argo.js';
import type { CrdSchemas } from '../validate/index.js';
import type { Side } from './side.js';
import type { OwnRepository } from './repo-url.js';

export interface RenderContext {
  tools: RenderTools;
  cache: RenderCache;
  /** Aborts running renderers (a superseded or closed PR). */
  signal?: AbortSignal;
  /** Rendered bytes this plan may still parse: many apps each under the output limit add up. */
  outputBudget?: { left: number; total: number; charged?: Set<string> };
  /** Charts from outside the repository; without it they are not fetched (a finding says so). */
  charts?: ChartFetcher;
  /** `validate.kubernetesVersion`: what charts expanded from HelmReleases see as `.Capabilities.KubeVersion`. */
  kubeVersion?: string;
  /** Custom resource definitions in the repository: whether a custom kind is namespaced (Argo CD's destination namespace). */
  crds?: CrdSchemas;
  /** This repository's own URLs (plan/repo-url.ts): a HelmRelease chart in another repository's GitRepository is not read from this tree. */
  repository?: OwnRepository;
  /** Counts render-cache lookups (for the server's metrics). */
  cacheStats?: { hits: number; misses: number };
}

export interface RenderedApp {
  resources: Resource[];
  findings: Finding[];
  status: AppPlan['status'];
  /**
   * Set on an `error` render that is still usable: every resource outside these files
   * is known (a plain app with one unparsable file). Their own resources are unknown.
   */
  brokenFiles?: string[];
  /** Producers (HelmReleases) whose output is unknown on this side: the diff leaves out their resources on both sides. */
  unknownProducers?: string[];
}

/**
 * The files written to disk for a renderer: every input, plus everything directly in
 * each kustomization folder it reaches, so a reference Ferry does not model still
 * resolves. The render cache key covers exactly this set.
 */
export function renderFileSet(inputs: AppInputs, index: Map<string, unknown>): string[] {
  const { byDir } = listingOf(index);
  const set = new Set<string>();
  for (const f of inputs.files) if (index.has(f)) set.add(f);
  for (const k of inputs.kustomizations) for (const f of byDir.get(k) ?? []) set.add(f);
  for (const d of inputs.dirs) for (const f of pathsUnder(index, d)) set.add(f);
  return [...set].sort();
}

/** Every path under `dir` in a tree listing, from its sorted index (no walk of the whole tree). */
export function pathsUnder(index: Map<string, unknown>, dir: string): string[] {
  const { sorted } = listingOf(index);
  if (dir === '') return sorted;
  const prefix = dir + '/';
  const out: string[] = [];
  for (let i = lowerBound(sorted, prefix); i < sorted.length && sorted[i]!.startsWith(prefix); i++) out.push(sorted[i]!);
  return out;
}

/** A tree listing by folder and sorted, built once per tree: a render must not walk every path. */
const listings = new WeakMap<Map<string, unknown>, { byDir: Map<string, string[]>; sorted: string[] }>();

function listingOf(index: Map<string, unknown>): { byDir: Map<string, string[]>; sorted: string[] } {
  let l = listings.get(index);
  if (!l) listings.set(index, (l = { byDir: filesByFolder(index.keys()), sorted: [...index.keys()].sort() }));
  return l;
}

function lowerBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Takes a render's output from the plan's output budget: many apps, each under the
 * per-render limit, still add up. The message when it is spent, else null.
 */
export function chargeOutput(ctx: RenderContext, text: string, key: string): string | null {
  return ctx.outputBudget ? chargeOutputBytes(ctx, Buffer.byteLength(text), key) : null;
}

/** chargeOutput for a render of `size` bytes that is not held as one text (an in-process render). */
function chargeOutputBytes(ctx: RenderContext, size: number, key: string): string | null {
  const budget = ctx.outputBudget;
  if (!budget) return null;
  // The same render read again in one plan (an app-of-apps probe let go, then planned) is charged once.
  if (budget.charged?.has(key)) return null;
  if (size > budget.left) return `not planned: the apps of this plan rendered more than ${Math.round(budget.total / 2 ** 20)} MiB in all (FERRY_MAX_PLAN_OUTPUT_MB)`;
  budget.left -= size;
  (budget.charged ??= new Set()).add(key);
  return null;
}

/** Renders one app on one side: plain apps straight from git objects, the others through their tool (cached). */
export async function renderApp(app: AppSpec, side: Side, inputs: AppInputs, ctx: RenderContext): Promise<RenderedApp> {
  const r = await renderOwn(app, side, inputs, ctx);
  if (r.status === 'skipped' || (r.status === 'error' && !r.brokenFiles) || !r.resources.some((x) => isHelmRelease(x.object))) return r;
  // Flux HelmReleases among the output: what they install joins the app (helm-release.ts).
  const x = await expandHelmReleases(app, side, r.resources, ctx);
  const findings = [...r.findings, ...x.findings];
  const status = r.status === 'error' || findings.some((f) => f.severity === 'error') ? 'error' : r.status;
  return { ...r, resources: [...r.resources, ...x.resources], findings, status, ...(x.unknown.length ? { unknownProducers: x.unknown } : {}) };
}

async function renderOwn(app: AppSpec, side: Side, inputs: AppInputs, ctx: RenderContext): Promise<RenderedApp> {
  const pre = inputs.findings;
  if (app.argo) return renderArgo(app, side, inputs, ctx);
  if (pre.some((f) => f.severity === 'error')) return { resources: [], findings: pre, status: 'error' };
  if (app.renderer === 'plain') {
    const r = renderPlain(side.files, plainFiles(app, side.view));
    const status = r.findings.some((f) => f.severity === 'error') ? 'error' : 'rendered';
    return { resources: r.resources, findings: [...pre, ...r.findings], status, ...(status === 'error' ? { brokenFiles: r.brokenFiles } : {}) };
  }
  const files = await side.tree.expand(renderFileSet(inputs, side.tree.index));
  if (files.problems.length) {
    const findings = files.problems.map((p): Finding => ({
      severity: 'error', rule: p.rule, file: p.path || app.path || '.', line: null, resource: null, message: p.message,
    }));
    return { resources: [], findings: [...pre, ...findings], status: 'error' };
  }
  // Keyed by what is written (links already resolved to their content), so a change
  // behind a symlink is a new render.
  const key = RenderCache.key([
    'v3', ctx.tools.fingerprint, app.renderer, app.path, JSON.stringify(app.helm ?? {}), app.flux?.overlay ?? '', app.flux?.generated?.text ?? '',
    ...files.files.map((f) => `${f.path}:${f.oid}`),
  ]);
  if (app.renderer === 'kustomize' && !app.flux && !app.overlay && inProcessKustomize(ctx.tools)) {
    const r = await renderInProcess(app, side, inputs, ctx, key);
    if (r) return r;
  }
  let text = await ctx.cache.get(key);
  if (ctx.cacheStats) ctx.cacheStats[text === null ? 'misses' : 'hits']++;
  if (text === null) {
    await side.tree.materialize(files);
    const raw = await renderRaw(app, side.files, ctx.tools, ctx.signal);
    if (!raw.ok) {
      const skipped = raw.findings.every((f) => f.rule === 'helm-unavailable');
      return { resources: [], findings: [...pre, ...maskRenderFindings(raw.findings, inputs, side.files)], status: skipped ? 'skipped' : 'error' };
    }
    await ctx.cache.put(key, raw);
    text = raw.text;
  }
  const over = chargeOutput(ctx, text, key);
  if (over) return { resources: [], findings: [...pre, renderLimitFinding(app, over)], status: 'error' };
  // Tracing reads the render's source files: read ahead with the rest, they may have been
  // dropped from the blob store while the renderer ran.
  if (app.renderer === 'kustomize') await side.tree.prefetch([...inputs.files].filter((f) => side.tree.index.has(f)));
  let post: Finding[] = [];
  if (app.flux) {
    const p = fluxPostBuild(app, text, side.view, ctx.outputBudget?.left);
    // What substitution added counts against the plan's output like a render's own.
    if (ctx.outputBudget) ctx.outputBudget.left -= Math.max(0, Buffer.byteLength(p.text) - Buffer.byteLength(text));
    text = p.text;
    post = [...app.flux.notes.filter((n) => n.severity !== 'error'), ...p.findings];
  }
  // A Flux app's output comes from its overlay: origins are relative to that folder.
  const r = resourcesFromRender(app.flux ? { ...app, path: app.flux.overlayDir } : app, text, side.files);
  const findings = [...pre, ...post, ...r.findings];
  return { resources: r.resources, findings, status: findings.some((f) => f.severity === 'error') ? 'error' : 'rendered' };
}

/**
 * Whether a Kustomize app may be rendered without kustomize (trivial-kustomization.ts):
 * only where kubectl would have run (a binary found, the sandbox as required), and not
 * when `FERRY_KUSTOMIZE_IN_PROCESS=0` sends every app to the binary.
 */
export function inProcessKustomize(tools: RenderTools): boolean {
  return process.env.FERRY_KUSTOMIZE_IN_PROCESS !== '0' && !!tools.kustomize && !(tools.sandbox.required && !tools.sandbox.namespaces);
}

function renderLimitFinding(app: AppSpec, message: string): Finding {
  return { severity: 'error', rule: 'render-limit', file: app.path || '.', line: null, resource: null, message };
}

/**
 * Render keys (the app and its files' contents) the in-process render declined: a folder
 * of the trivial shape declined late (a timestamp in a large CRD file) is not read and
 * parsed again on every plan of a long-running server before kubectl's cached render is
 * used. Bounded; cleared when full, like the other per-process memories.
 */
const declinedKeys = new Set<string>();
const MAX_DECLINED_KEYS = 4096;

/** A trivial kustomization's resources, read from the commit as kustomize would print them; null when it is not trivial. */
async function renderInProcess(app: AppSpec, side: Side, inputs: AppInputs, ctx: RenderContext, key: string): Promise<RenderedApp | null> {
  if (declinedKeys.has(key)) return null;
  await side.tree.prefetch([...inputs.files].filter((f) => side.tree.index.has(f)));
  // Synchronous from here: a plan stopped meanwhile takes the renderer's path, which stops.
  if (ctx.signal?.aborted) return null;
  const r = renderTrivialKustomization(app.path, trivialTree(side), ctx.tools.maxOutputBytes);
  if (!r.ok) {
    if (declinedKeys.size >= MAX_DECLINED_KEYS) declinedKeys.clear();
    declinedKeys.add(key);
    return null;
  }
  const pre = inputs.findings;
  // Charged as kustomize's output would be (about the files' size), once per plan for the same files.
  const over = chargeOutputBytes(ctx, r.bytes, key);
  if (over) return { resources: [], findings: [...pre, renderLimitFinding(app, over)], status: 'error' };
  return { resources: r.resources, findings: [...pre], status: 'rendered' };
}

/** Regular files of the side's commit only: a symlink, a folder or a file over a read limit is not read. */
function trivialTree(side: Side): TrivialTree {
  return {
    entry: (p) => {
      const e = side.tree.index.get(p);
      if (e) return REGULAR_MODES.has(e.mode) ? 'file' : 'other';
      return side.view.isDir(p) ? 'dir' : null;
    },
    read: (p) => {
      try {
        return side.tree.read(p);
      } catch (err) {
        if (err instanceof ReadLimitError) return null;
        throw err;
      }
    },
  };
}

const REGULAR_MODES = new Set(['100644', '100755']);
