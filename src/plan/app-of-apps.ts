import path from 'node:path';
import { KUSTOMIZATION_FILES, resolveRepoPath, type AppInputs } from '../render/kustomization.js';
import type { AppSpec, Finding, Resource } from '../types.js';
import { argoApps, type ArgoDiscovery } from './argo.js';
import { MAX_APPS_PER_SET, type FoundArgo } from './applicationset.js';
import { SKIP_DIR_RE, type TreeView } from './discover.js';
import { settleIncompleteSets, type SideCandidate } from './incomplete-sets.js';
import { appInputs, touches } from './inputs.js';
import { filesUnder } from './listing.js';
import type { RenderedApp } from './render-app.js';
import type { Side } from './side.js';

/**
 * Argo CD app-of-apps whose parent is rendered: a chart (or kustomization) whose output
 * holds Applications and ApplicationSets. Each one in a rendered output is an app of its
 * own, named and paired as a written one, and followed again (up to MAX_NESTING levels).
 * A child is planned when its Application changed between the parent's base and head
 * outputs, or when a file it reads changed. Parents are found by a cheap look at the
 * text they read: only those that may output an Application are rendered to list them.
 */

/** Levels of Applications below a written app that are followed. */
export const MAX_NESTING = 3;
/** Applications (and ApplicationSets) one rendered output may make, as for one ApplicationSet. */
export const MAX_CHILDREN = MAX_APPS_PER_SET;
/** ApplicationSets one rendered output may hold (each may make MAX_APPS_PER_SET Applications). */
export const MAX_SETS_PER_OUTPUT = 20;
/** Applications found in rendered outputs, per environment. */
export const MAX_CHILDREN_PER_ENV = MAX_APPS_PER_SET;
/** A file larger than this is not looked at for Applications (a chart's templates are small). */
const MAX_SCAN_BYTES = 1024 * 1024;

/** `kind: Application` (or ApplicationSet) as YAML writes it, block or flow, or as JSON does (`"kind": "Application"`). */
const KIND_RE = /(^|[\s{,"'])kind["']?[ \t]*:[ \t]*["']?(Application|ApplicationSet)["']?[ \t]*($|[,}#\r])/m;
const TEXT_RE = /\.(ya?ml|json|tpl|txt)$/i;

/** An app of one environment as the plan pairs it. */
export interface AppNode {
  app: AppSpec;
  baseApp: AppSpec | null;
  atBase: boolean;
  atHead: boolean;
  /** Its pairing key: stable across base and head. */
  key: string;
  /** Whether it is planned (its render can differ between base and head). */
  affected: boolean;
  headInputs: AppInputs | null;
  baseInputs: AppInputs | null;
  /** Not rendered: its fate is unknown (an ApplicationSet not fully expanded at head). */
  unknown?: Finding;
  /** Rendered, with this finding added (its set was not fully expanded at base). */
  caveat?: Finding;
}

interface Parent extends AppNode {
  depth: number;
  /** `namespace/name` of the Applications above it, itself included. */
  chain: string[];
  /** Rendered only because the plan renders it anyway: the pre-check found no Application in what it reads. */
  probe?: boolean;
}

export interface AppOfAppsRequest {
  /** The environment's apps (written, or folders), with their keys. */
  roots: AppNode[];
  /** Names already taken in the environment. */
  names: Set<string>;
  base: Side;
  head: Side;
  changed: readonly string[];
  validateOnly: boolean;
  /** The app's render on one side (shared with the plan's own render of it). */
  render: (app: AppSpec, side: Side, inputs: AppInputs) => Promise<RenderedApp>;
  /** Discovery options; findings about the head's ApplicationSets and cycles go to `findings`. */
  discovery: ArgoDiscovery;
  /** Called with a parent that is not planned once its Applications are listed: its renders may go. */
  release?: (app: AppSpec) => void;
  /** Renders at a time (default 4). */
  concurrency?: number;
}

export interface AppOfAppsResult {
  /** Every Application found in a rendered output: `affected` ones are planned. */
  children: AppNode[];
  /** Folders a child renders: planned under the child, not as folder apps. */
  covered: (dir: string) => boolean;
}

const YAML_RE = /\.ya?ml$/i;

/**
 * Kustomization files are kustomize's own config, never an Application, and discovery
 * keeps no facts for them: asking one whether it holds an Application would read it with
 * a git process on a re-plan (once 36x the floor at 5,000 apps).
 */
const isKustomizationFile = (f: string) => KUSTOMIZATION_FILES.includes(path.posix.basename(f));

/**
 * The files of a tree holding a written Argo CD Application or ApplicationSet, as
 * discovery scanned them: a chart's own files are templates, not read here (reading
 * each would cost a blob read per template of every chart), and kustomization files are
 * left out (above). The kustomize apps reading one may output it patched: app-of-apps parents.
 */
export function argoFiles(view: TreeView): string[] {
  const out: string[] = [];
  if (!view.deployRefs) return out;
  const files = [...view.files].filter((f) => YAML_RE.test(f) && !SKIP_DIR_RE.test(f) && !isKustomizationFile(f));
  const charts = new Set(files.filter((f) => f === 'Chart.yaml' || f.endsWith('/Chart.yaml')).map((f) => path.posix.dirname(f)));
  const inChart = (f: string) => {
    for (let d = path.posix.dirname(f); ; d = path.posix.dirname(d)) {
      if (charts.has(d)) return true;
      if (d === '.' || d === '') return false;
    }
  };
  for (const f of files) if (!inChart(f) && view.deployRefs(f)?.argo?.length) out.push(f);
  return out;
}

/** Chart files looked at, by blob id: whether they mention an Application (kept across plans). */
const mentionsByOid = new Map<string, boolean>();

const mentions = (text: string) => text.length <= MAX_SCAN_BYTES && text.includes('argoproj.io') && KIND_RE.test(text);

/**
 * The files of a chart folder that may make an Application: its templates and its
 * subcharts', and the chart's other files too (values and files/), which a template can
 * print through `tpl` or `.Files.Get`. A chart at the repository's root: its templates only
 * (the whole repository is not read for it).
 */
export function chartFilesUnder(side: Side, dir: string): string[] {
  const prefix = dir === '' ? '' : dir + '/';
  return filesUnder(side.view, prefix).filter((f) => TEXT_RE.test(f) && (dir !== '' || /(^|\/)templates\//.test(f)));
}

/** Whether a template mentions an Argo CD Application, once primeMentions has read it. */
function mentionsApplication(side: Side, file: string): boolean {
  const oid = side.tree.index.get(file)?.oid;
  return !!oid && !!mentionsByOid.get(oid);
}

/** Reads the chart files not looked at yet, in one batch: a blob read each would cost two processes. */
async function primeMentions(side: Side, files: Iterable<string>): Promise<void> {
  const todo: string[] = [];
  for (const f of files) {
    const oid = side.tree.index.get(f)?.oid;
    if (oid && !mentionsByOid.has(oid)) todo.push(f);
  }
  if (!todo.length) return;
  if (mentionsByOid.size > 50_000) mentionsByOid.clear();
  await side.tree.scan(todo, (f, data) => {
    const oid = side.tree.index.get(f)?.oid;
    if (oid) mentionsByOid.set(oid, data.length <= MAX_SCAN_BYTES && mentions(data.toString('utf8')));
  });
}

/** Whether an app renders with a tool that can output what its files do not hold as written (a kustomization, a chart in this repository). */
function tooled(app: AppSpec): boolean {
  // A plain folder's Applications are found where they are written; a chart from outside the repository is not read.
  return app.argo ? app.argo.sources.some((s) => (s.type === 'helm' && !s.remote) || s.type === 'kustomize') : !app.flux && (app.renderer === 'helm' || app.renderer === 'kustomize');
}

/**
 * Whether an app's render may output Applications: it renders with a tool, and a file it
 * reads holds one (kustomize does not template: a written one, as discovery found it), or
 * a file of a chart folder it reads mentions one (YAML or JSON), or its chart's values do
 * (printed through `tpl`). Call primeMentions on its chart files and values files first.
 */
function mayMakeApplications(app: AppSpec, inputs: AppInputs, side: Side): boolean {
  if (!tooled(app)) return false;
  // An Application's own file is read to make it, not rendered (unless a source folder holds it).
  const argo = app.argo;
  const own = (f: string) => !!argo && (f === argo.file || argo.reads.includes(f)) && !argo.sources.some((s) => s.path === '' || f.startsWith(s.path + '/'));
  for (const f of inputs.files) {
    if (!isKustomizationFile(f) && side.view.has(f) && !own(f) && side.view.deployRefs?.(f)?.argo?.length) return true;
  }
  for (const d of inputs.dirs) for (const f of chartFilesUnder(side, d)) if (mentionsApplication(side, f)) return true;
  // A chart's template may print an Application its values hold (`tpl`): the Application's own values, or its values files.
  for (const s of argo?.sources ?? []) {
    if (s.type !== 'helm' || s.remote) continue;
    if (s.values.some(mentions) || s.valuesFiles.some((v) => mentionsApplication(side, v.path))) return true;
  }
  return false;
}

/** The values files of an app's in-repository charts: read for mentions of an Application (`tpl`). */
function valuesFilesOf(app: AppSpec): string[] {
  return (app.argo?.sources ?? []).flatMap((s) => (s.type === 'helm' && !s.remote ? s.valuesFiles.map((v) => v.path) : []));
}

/**
 * The chart files under `dirs` (kustomize chart homes, say) that mention an Application:
 * a kustomization inflating such a chart through `helmCharts` may output Applications.
 */
export async function chartFilesMentioningApplications(side: Side, dirs: Iterable<string>): Promise<string[]> {
  const files = [...new Set([...dirs].flatMap((d) => chartFilesUnder(side, d)))];
  await primeMentions(side, files);
  return files.filter((f) => mentionsApplication(side, f));
}

/** The Applications and ApplicationSets in a rendered output, as written ones are found. */
export function applicationsIn(resources: Resource[], fallbackFile: string): FoundArgo[] {
  const out: FoundArgo[] = [];
  for (const r of resources) {
    if (!r.id.apiVersion.startsWith('argoproj.io/') || (r.id.kind !== 'Application' && r.id.kind !== 'ApplicationSet')) continue;
    const spec = r.object.spec;
    if (!spec || typeof spec !== 'object' || Array.isArray(spec)) continue;
    // The file a template came from, as the renderer says (helm's `# Source:`, which a template can forge): kept inside the repository.
    const named = r.source?.file && r.source.file !== '.' ? resolveRepoPath('', r.source.file) : null;
    const file = named || fallbackFile;
    out.push({ file, object: { kind: r.id.kind, name: r.id.name, namespace: r.id.namespace || 'argocd', spec: spec as Record<string, unknown> } });
  }
  return out;
}

const argoId = (a: AppSpec) => `${a.argo!.namespace}/${a.argo!.name}`;
const argoKey = (a: AppSpec) => `${argoId(a)}\0${path.posix.dirname(a.argo!.file)}`;
/** What decides a child's render: its AppSpec without the display name. */
const specOf = (a: AppSpec) => JSON.stringify({ ...a, name: '' });

function finding(file: string, severity: Finding['severity'], message: string): Finding {
  return { severity, rule: 'argo-application', file, line: null, resource: null, message };
}

/** Runs `fn` over items, `limit` at a time. */
async function inTurns<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += limit) out.push(...(await Promise.all(items.slice(i, i + limit).map(fn))));
  return out;
}

const usable = (r: RenderedApp | null): r is RenderedApp => !!r && (r.status === 'rendered' || (r.status === 'error' && !!r.brokenFiles));

/** Follows the Applications in rendered outputs of one environment's apps, level by level. */
export async function followAppOfApps(req: AppOfAppsRequest): Promise<AppOfAppsResult> {
  const { base, head, changed, validateOnly } = req;
  const findings = req.discovery.findings;
  // Written Applications (and children seen so far) by identity and folder, with their specs: the same one again is not a new app.
  const seen = new Map<string, Set<string>>();
  for (const r of req.roots) {
    for (const a of [r.app, r.baseApp]) if (a?.argo) (seen.get(argoKey(a)) ?? seen.set(argoKey(a), new Set()).get(argoKey(a))!).add(specOf(a));
  }
  const isSeen = (a: AppSpec) => seen.get(argoKey(a))?.has(specOf(a)) ?? false;
  const remember = (a: AppSpec) => (seen.get(argoKey(a)) ?? seen.set(argoKey(a), new Set()).get(argoKey(a))!).add(specOf(a));
  const children: AppNode[] = [];
  const exact = new Set<string>();
  const trees: string[] = [];
  const reported = new Set<string>();
  const report = (f: Finding) => {
    const k = `${f.file}\0${f.message}`;
    if (!reported.has(k)) (reported.add(k), findings?.push(f));
  };

  /**
   * The ones among `nodes` whose render may output Applications, as parents. The pre-check
   * (mayMakeApplications) reads text, and a template can build the kind it prints
   * (`kind: {{ "Application" }}`): it only spares the render of an app the plan would not
   * render otherwise. A planned app is rendered anyway, so its real output is looked at
   * (a probe), whatever the pre-check says. (Not in validate, where every app is planned:
   * each render would be parsed twice, as a probe's is let go when it holds no Application.)
   */
  const asParents = async (nodes: { n: AppNode; depth: number; chain: string[] }[]): Promise<Parent[]> => {
    const looked = nodes.filter(({ n }) => tooled(n.atHead ? n.app : n.baseApp!)).map((x) => {
      const side = x.n.atHead ? head : base;
      const app = x.n.atHead ? x.n.app : x.n.baseApp!;
      return { ...x, side, app, inputs: (x.n.atHead ? x.n.headInputs : x.n.baseInputs) ?? appInputs(app, side.view) };
    });
    for (const side of new Set([head, base])) {
      await primeMentions(side, looked.filter((x) => x.side === side).flatMap((x) => [...[...x.inputs.dirs].flatMap((d) => chartFilesUnder(side, d)), ...valuesFilesOf(x.app)]));
    }
    return looked.map((x) => ({ ...x, may: mayMakeApplications(x.app, x.inputs, x.side) }))
      .filter((x) => x.may || (x.n.affected && !validateOnly))
      .map(({ n, depth, chain, app, may }) => ({ ...n, depth, chain: app.argo ? [...chain, argoId(app)] : chain, ...(may ? {} : { probe: true }) }));
  };
  const covered = (dir: string) => exact.has(dir) || trees.some((t) => t === '' || dir.startsWith(t + '/'));
  // Written Applications first; then each folder app that no Application found renders
  // (a chart of Applications that nothing written deploys), one after the other.
  const written = req.roots.filter((r) => r.app.argo || r.baseApp?.argo);
  await follow(await asParents(written.map((n) => ({ n, depth: 0, chain: [] }))));
  const folders = await asParents(req.roots.filter((r) => !r.app.argo && !r.baseApp?.argo && !r.app.flux).map((n) => ({ n, depth: 0, chain: [] })));
  for (const p of folders) if (!p.probe && !covered(p.app.path)) await follow([p]);
  // Planned folders the pre-check passed over, together (a PR may plan thousands): a child
  // one of them makes that another renders is listed once (its Application is seen).
  await follow(folders.filter((p) => p.probe && !covered(p.app.path)));
  return { children, covered };

  async function follow(first: Parent[]): Promise<void> {
    let level = first;
    while (level.length) {
      const next: { n: AppNode; depth: number; chain: string[] }[] = [];
      const outputs = await inTurns(level, req.concurrency ?? 4, async (p) => {
        const headOut = p.atHead ? await req.render(p.app, head, p.headInputs ?? (p.headInputs = appInputs(p.app, head.view))) : null;
        // An unchanged parent renders the same at base: its Applications are the head's.
        const baseOut = !validateOnly && p.atBase && (p.affected || !p.atHead)
          ? await req.render(p.baseApp!, base, p.baseInputs ?? (p.baseInputs = appInputs(p.baseApp!, base.view)))
          : null;
        return { p, headOut, baseOut };
      });
      for (const { p, headOut, baseOut } of outputs) {
        const parentApp = p.atHead ? p.app : p.baseApp!;
        const parentFile = parentApp.argo?.file ?? parentApp.path;
        // A side that did not render: its Applications are unknown, so the other side's stand for both.
        let headFound = usable(headOut) ? applicationsIn(headOut.resources, parentFile) : null;
        let baseFound = validateOnly || !p.atBase ? [] : !p.affected && p.atHead ? headFound : usable(baseOut) ? applicationsIn(baseOut.resources, parentFile) : null;
        if (headFound === null) headFound = baseFound;
        if (baseFound === null) baseFound = headFound;
        // Rendered only to list its Applications (it is not planned): not held until the plan ends.
        // A probe that holds none is let go too: the plan renders it again (a render-cache hit)
        // rather than hold every planned app's render until its turn.
        if (!p.affected || (p.probe && !headFound?.length && !baseFound?.length)) req.release?.(parentApp);
        if (p.probe && (!headFound || !baseFound)) continue; // (Its own plan says why it did not render.)
        if (!headFound || !baseFound) {
          // Neither side rendered: its Applications cannot be listed, and the plan says so.
          const failed = [headOut, baseOut].find((r) => r && !usable(r));
          const why = (failed?.findings.find((f) => f.severity === 'error') ?? failed?.findings[0])?.message.split('\n')[0]?.slice(0, 300) ?? 'it did not render';
          report(finding(parentFile, 'warning', `${parentApp.name} may make Argo CD Applications, but its render failed (${why}): the Applications it makes could not be listed and are not planned`));
          continue;
        }
        if (!headFound.length && !baseFound.length) continue;
        if (p.depth >= MAX_NESTING) {
          report(finding(parentFile, 'warning', `${parentApp.name}'s rendered output holds Argo CD Applications ${MAX_NESTING} levels below a written app; they are not planned`));
          continue;
        }
        const cut = (found: FoundArgo[], label: 'head' | 'base'): FoundArgo[] => {
          // Each ApplicationSet may make thousands: a template loop must not make thousands of them.
          let sets = 0;
          const kept = found.filter((f) => f.object.kind !== 'ApplicationSet' || ++sets <= MAX_SETS_PER_OUTPUT);
          if (sets > MAX_SETS_PER_OUTPUT && label === 'head') report(finding(parentFile, 'warning', `${parentApp.name}'s rendered output holds more than ${MAX_SETS_PER_OUTPUT} ApplicationSets; only the first ${MAX_SETS_PER_OUTPUT} are expanded`));
          if (kept.length > MAX_CHILDREN && label === 'head') report(finding(parentFile, 'warning', `${parentApp.name}'s rendered output holds more than ${MAX_CHILDREN} Applications; only the first ${MAX_CHILDREN} are planned`));
          return kept.slice(0, MAX_CHILDREN);
        };
        headFound = cut(headFound, 'head');
        baseFound = cut(baseFound, 'base');
        // (ApplicationSets' Applications count too.)
        const incomplete = { base: new Set<string>(), head: new Set<string>(), baseSets: new Set<string>() };
        const headApps = p.atHead ? argoApps(headFound, head.view, { ...req.discovery, incompleteSets: incomplete.head }).apps.slice(0, MAX_CHILDREN) : [];
        const baseApps = validateOnly || !p.atBase ? [] : argoApps(baseFound, base.view, { ...req.discovery, findings: [], incompleteSets: incomplete.base, sets: incomplete.baseSets }).apps.slice(0, MAX_CHILDREN);
        const pairs = new Map<string, { head?: AppSpec; base?: AppSpec }>();
        for (const a of baseApps) pairs.set(argoKey(a), { base: a });
        for (const a of headApps) pairs.set(argoKey(a), { ...pairs.get(argoKey(a)), head: a });
        // As for written ApplicationSets: one Ferry could not fully expand on a side says
        // nothing of the Applications it made on the other.
        const sides = new Map<string, SideCandidate>();
        for (const [k, pair] of pairs) sides.set(k, { app: (pair.head ?? pair.base)!, baseApp: pair.base ?? null, atBase: !!pair.base, atHead: !!pair.head });
        for (const f of settleIncompleteSets(sides, incomplete)) report(f);
        for (const [k, pair] of pairs) {
          const app = (pair.head ?? pair.base)!;
          const id = argoId(app);
          if ((pair.head ? isSeen(pair.head) : true) && (pair.base ? isSeen(pair.base) : true)) continue;
          if (p.chain.includes(id)) {
            const self = p.chain[p.chain.length - 1] === id && !!parentApp.argo;
            report(finding(app.argo!.file, self ? 'info' : 'warning', self
              ? `Application ${id} is in its own rendered output (it manages itself); it is not followed again`
              : `Application ${id} is in the rendered output of an app it makes (${[...p.chain, id].join(' → ')}): a cycle, not followed`));
            continue;
          }
          if (children.length >= MAX_CHILDREN_PER_ENV) {
            report(finding(parentFile, 'warning', `more than ${MAX_CHILDREN_PER_ENV} Applications in rendered outputs of one environment; the rest are not planned`));
            break;
          }
          if (pair.head) remember(pair.head);
          if (pair.base) remember(pair.base);
          // Named as a written Application; the parent says which when the name is taken.
          let name = app.name;
          if (req.names.has(name)) name = `${app.name} (in ${p.app.name})`;
          for (let i = 2; req.names.has(name); i++) name = `${app.name} (in ${p.app.name}, ${i})`;
          req.names.add(name);
          const headApp = pair.head ? { ...pair.head, name } : null;
          const baseApp = pair.base ? { ...pair.base, name } : null;
          const headInputs = headApp ? appInputs(headApp, head.view) : null;
          const baseInputs = baseApp ? appInputs(baseApp, base.view) : null;
          const affected = validateOnly || !headApp || !baseApp || specOf(headApp) !== specOf(baseApp)
            || touches(headInputs!, changed) || touches(baseInputs!, changed);
          const settled = sides.get(k);
          const node: AppNode = {
            app: (headApp ?? baseApp)!, baseApp, atBase: !!baseApp, atHead: !!headApp, key: `${p.key}>${k}`, affected, headInputs, baseInputs,
            ...(settled?.unknown ? { unknown: settled.unknown } : {}), ...(settled?.caveat ? { caveat: settled.caveat } : {}),
          };
          children.push(node);
          for (const a of [headApp, baseApp]) {
            for (const s of a?.argo!.sources ?? []) {
              if (s.type === 'helm' && s.remote) continue;
              exact.add(s.path);
              if (s.type === 'directory' && s.recurse) trees.push(s.path);
            }
          }
          next.push({ n: node, depth: p.depth + 1, chain: p.chain });
        }
      }
      level = await asParents(next);
    }
  }
}
