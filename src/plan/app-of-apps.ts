import path from 'node:path';
import type { AppInputs } from '../render/kustomization.js';
import type { AppSpec, Finding, Resource } from '../types.js';
import { argoApps, type ArgoDiscovery } from './argo.js';
import { MAX_APPS_PER_SET, type FoundArgo } from './applicationset.js';
import { SKIP_DIR_RE, type TreeView } from './discover.js';
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
/** Applications found in rendered outputs, per environment. */
export const MAX_CHILDREN_PER_ENV = MAX_APPS_PER_SET;
/** A file larger than this is not looked at for Applications (a chart's templates are small). */
const MAX_SCAN_BYTES = 1024 * 1024;

const KIND_RE = /^[ \t]*kind:[ \t]*["']?(Application|ApplicationSet)["']?[ \t]*(#.*)?$/m;
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
}

interface Parent extends AppNode {
  depth: number;
  /** `namespace/name` of the Applications above it, itself included. */
  chain: string[];
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
}

export interface AppOfAppsResult {
  /** Every Application found in a rendered output: `affected` ones are planned. */
  children: AppNode[];
  /** Folders a child renders: planned under the child, not as folder apps. */
  covered: (dir: string) => boolean;
}

/** Whether a file may hold an Argo CD Application (written, or a template of one). */
function mentionsApplication(side: Side, file: string, memo: Map<string, boolean>): boolean {
  let hit = memo.get(file);
  if (hit === undefined) {
    hit = false;
    if (TEXT_RE.test(file) && side.view.has(file)) {
      const text = side.view.peek ? side.view.peek(file) : side.view.read(file);
      hit = text !== null && text.length <= MAX_SCAN_BYTES && text.includes('argoproj.io') && KIND_RE.test(text);
    }
    memo.set(file, hit);
  }
  return hit;
}

const YAML_RE = /\.ya?ml$/i;

/** The files of a tree holding a written Argo CD Application or ApplicationSet. */
export function argoFiles(view: TreeView): string[] {
  const out: string[] = [];
  for (const f of view.files) {
    if (!YAML_RE.test(f) || SKIP_DIR_RE.test(f)) continue;
    const refs = view.deployRefs ? view.deployRefs(f) : null;
    if (refs?.argo?.length) out.push(f);
  }
  return out;
}

/** Whether an app's render may output Applications: it renders with a tool, and a file it reads mentions one. */
export function mayMakeApplications(app: AppSpec, inputs: AppInputs, side: Side, memo: Map<string, boolean>): boolean {
  // A plain folder's Applications are found where they are written; a chart from outside the repository is not read.
  const tooled = app.argo ? app.argo.sources.some((s) => (s.type === 'helm' && !s.remote) || s.type === 'kustomize') : !app.flux && (app.renderer === 'helm' || app.renderer === 'kustomize');
  if (!tooled) return false;
  for (const f of inputs.files) if (mentionsApplication(side, f, memo)) return true;
  for (const d of inputs.dirs) for (const f of filesUnder(side.view, d === '' ? '' : d + '/')) if (mentionsApplication(side, f, memo)) return true;
  return false;
}

/** The Applications and ApplicationSets in a rendered output, as written ones are found. */
export function applicationsIn(resources: Resource[], fallbackFile: string): FoundArgo[] {
  const out: FoundArgo[] = [];
  for (const r of resources) {
    if (!r.id.apiVersion.startsWith('argoproj.io/') || (r.id.kind !== 'Application' && r.id.kind !== 'ApplicationSet')) continue;
    const spec = r.object.spec;
    if (!spec || typeof spec !== 'object' || Array.isArray(spec)) continue;
    const file = r.source?.file && r.source.file !== '.' ? r.source.file : fallbackFile;
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
  const memo = { base: new Map<string, boolean>(), head: new Map<string, boolean>() };
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

  const asParent = (n: AppNode, depth: number, chain: string[]): Parent | null => {
    const side = n.atHead ? head : base;
    const app = n.atHead ? n.app : n.baseApp!;
    const inputs = (n.atHead ? n.headInputs : n.baseInputs) ?? appInputs(app, side.view);
    return mayMakeApplications(app, inputs, side, n.atHead ? memo.head : memo.base) ? { ...n, depth, chain: app.argo ? [...chain, argoId(app)] : chain } : null;
  };
  const covered = (dir: string) => exact.has(dir) || trees.some((t) => t === '' || dir.startsWith(t + '/'));
  // Written Applications first; then each folder app that no Application found renders
  // (a chart of Applications that nothing written deploys), one after the other.
  const written = req.roots.filter((r) => r.app.argo || r.baseApp?.argo);
  await follow(written.map((r) => asParent(r, 0, [])).filter((p): p is Parent => !!p));
  for (const r of req.roots) {
    if (r.app.argo || r.baseApp?.argo || r.app.flux || covered(r.app.path)) continue;
    const p = asParent(r, 0, []);
    if (p) await follow([p]);
  }
  return { children, covered };

  async function follow(first: Parent[]): Promise<void> {
    let level = first;
    while (level.length) {
      const next: Parent[] = [];
      const outputs = await inTurns(level, 4, async (p) => {
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
        if (!headFound || !baseFound) continue;
        if (!headFound.length && !baseFound.length) continue;
        if (p.depth >= MAX_NESTING) {
          report(finding(parentFile, 'warning', `${parentApp.name}'s rendered output holds Argo CD Applications ${MAX_NESTING} levels below a written app; they are not planned`));
          continue;
        }
        for (const [found, label] of [[headFound, 'head'], [baseFound, 'base']] as const) {
          if (found.length > MAX_CHILDREN) {
            if (label === 'head') report(finding(parentFile, 'warning', `${parentApp.name}'s rendered output holds more than ${MAX_CHILDREN} Applications; only the first ${MAX_CHILDREN} are planned`));
            found.length = MAX_CHILDREN;
          }
        }
        const headApps = p.atHead ? argoApps(headFound, head.view, req.discovery).apps : [];
        const baseApps = validateOnly || !p.atBase ? [] : argoApps(baseFound, base.view, { ...req.discovery, findings: [] }).apps;
        const pairs = new Map<string, { head?: AppSpec; base?: AppSpec }>();
        for (const a of baseApps) pairs.set(argoKey(a), { base: a });
        for (const a of headApps) pairs.set(argoKey(a), { ...pairs.get(argoKey(a)), head: a });
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
          const node: AppNode = { app: (headApp ?? baseApp)!, baseApp, atBase: !!baseApp, atHead: !!headApp, key: `${p.key}>${k}`, affected, headInputs, baseInputs };
          children.push(node);
          for (const a of [headApp, baseApp]) {
            for (const s of a?.argo!.sources ?? []) {
              if (s.type === 'helm' && s.remote) continue;
              exact.add(s.path);
              if (s.type === 'directory' && s.recurse) trees.push(s.path);
            }
          }
          const deeper = asParent(node, p.depth + 1, p.chain);
          if (deeper) next.push(deeper);
        }
      }
      level = next;
    }
  }
}
