import path from 'node:path';
import { collectKustomizeInputs, kustomizationFileIn, resolveRepoPath, type AppInputs } from '../render/kustomization.js';
import { fromOverlay, overlay } from '../render/overlay.js';
import type { AppSpec, ArgoHelmSource, ArgoOptions, ArgoSource, Finding, RendererKind } from '../types.js';
import { expandApplicationSet, type FoundArgo } from './applicationset.js';
import { isManifestIn, type TreeView } from './discover.js';
import { realFolder } from './flux.js';
import { displayURL, ownership, type OwnRepository } from './repo-url.js';
import { matchSegment } from './gitops.js';
import { filesUnder } from './listing.js';

/**
 * Argo CD Applications (argoproj.io) as apps: each source rendered as Argo CD renders it
 * (its type from an explicit `helm` / `kustomize` / `directory` / `plugin` block, else from
 * the folder: a kustomization, then a Chart.yaml, else plain files), with the
 * Application's own options. ApplicationSets are expanded (plan/applicationset.ts) into
 * the Applications they make, which are apps the same way.
 */

const OVERLAY_HOME = '.ferry-argo';
const MAX_BRACE_ALTERNATIVES = 64;
/** Longer than any include or exclude glob written by hand. */
const MAX_GLOB = 1024;

export interface ArgoDiscovery {
  /** ferry.yml validate.kubernetesVersion: helm's `--kube-version` unless the source says. */
  kubeVersion?: string;
  /** Findings about ApplicationSets (generators not expanded, templates that fail): plan-level. */
  findings?: Finding[];
  /** Filled with the ApplicationSets (setKey) some of whose Applications are not planned. */
  incompleteSets?: Set<string>;
  /** Filled with every ApplicationSet (setKey) expanded, fully or not. */
  sets?: Set<string>;
  /** This repository's own URLs (plan/repo-url.ts): a source naming another repository is not rendered from this tree. */
  repository?: OwnRepository;
}

/** An ApplicationSet's identity across commits: its namespace/name and the file holding it. */
export function setKey(appSet: string, file: string): string {
  return `${appSet}\0${file}`;
}

function obj(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function note(file: string, severity: Finding['severity'], message: string, rule = 'argo-application'): Finding {
  return { severity, rule, file, line: null, resource: null, message };
}

/** An image override as `kustomize edit set image` reads it: `[name=]newName[:tag][@digest]`. */
export function kustomizeImage(s: string): Record<string, string> | null {
  const eq = s.indexOf('=');
  const name = eq >= 0 ? s.slice(0, eq) : null;
  let rest = eq >= 0 ? s.slice(eq + 1) : s;
  const out: Record<string, string> = {};
  const at = rest.indexOf('@');
  if (at >= 0) {
    out.digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    out.newTag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!rest) return null;
  if (name !== null) {
    out.name = name;
    if (rest !== name) out.newName = rest;
  } else out.name = rest;
  return out;
}

/** `{a,b}` alternatives of a glob, expanded (bounded); null when there are too many. */
function braces(glob: string): string[] | null {
  const open = glob.indexOf('{');
  if (open < 0) return [glob];
  let depth = 0;
  const cuts: number[] = [];
  let close = -1;
  for (let i = open; i < glob.length; i++) {
    if (glob[i] === '{') depth++;
    else if (glob[i] === '}' && --depth === 0) {
      close = i;
      break;
    } else if (glob[i] === ',' && depth === 1) cuts.push(i);
  }
  if (close < 0) return [glob];
  const parts: string[] = [];
  let from = open + 1;
  for (const c of [...cuts, close]) {
    parts.push(glob.slice(from, c));
    from = c + 1;
  }
  const out: string[] = [];
  for (const p of parts) {
    const more = braces(glob.slice(0, open) + p + glob.slice(close + 1));
    if (!more) return null;
    out.push(...more);
    if (out.length > MAX_BRACE_ALTERNATIVES) return null;
  }
  return out;
}

/** Argo CD's directory include/exclude: `*` matches across folders, `?`, `[...]`, `{a,b}`. */
export function matchArgoGlob(glob: string, rel: string): boolean {
  return (braces(glob) ?? []).some((g) => matchSegment(g, rel));
}

const MANIFEST_RE = /\.(ya?ml|json)$/i;
const JSON_RE = /\.json$/i;

/** The files a directory source reads, and the jsonnet files it does not render. */
export function directoryFiles(src: Extract<ArgoSource, { type: 'directory' }>, view: TreeView): { files: string[]; jsonnet: string[] } {
  const prefix = src.path === '' ? '' : src.path + '/';
  const files: string[] = [];
  const jsonnet: string[] = [];
  for (const f of filesUnder(view, prefix)) {
    const rel = f.slice(prefix.length);
    if (!src.recurse && rel.includes('/')) continue;
    if (/(^|\/)\./.test(rel)) continue;
    if (src.exclude && matchArgoGlob(src.exclude, rel)) continue;
    if (src.include && !matchArgoGlob(src.include, rel)) continue;
    if (/\.(jsonnet|libsonnet)$/i.test(rel)) jsonnet.push(f);
    else if (MANIFEST_RE.test(rel) && (!JSON_RE.test(rel) || isManifestIn(view, f))) files.push(f);
  }
  return { files: files.sort(), jsonnet: jsonnet.sort() };
}

/** The kustomize options of an Application as an overlay over its folder. */
function kustomizeSource(dir: string, k: Record<string, unknown>, file: string, notes: Finding[]): ArgoSource {
  const f: Record<string, unknown> = {};
  if (str(k.namespace)) f.namespace = k.namespace;
  if (str(k.namePrefix)) f.namePrefix = k.namePrefix;
  if (str(k.nameSuffix)) f.nameSuffix = k.nameSuffix;
  const labels = obj(k.commonLabels);
  if (labels && Object.keys(labels).length) {
    if (k.labelWithoutSelector === true) f.labels = [{ pairs: labels, includeSelectors: false }];
    else f.commonLabels = labels;
  }
  const annotations = obj(k.commonAnnotations);
  if (annotations && Object.keys(annotations).length) f.commonAnnotations = annotations;
  if (k.commonAnnotationsEnvsubst === true) notes.push(note(file, 'warning', 'kustomize.commonAnnotationsEnvsubst is not applied: annotations are shown as written'));
  const images = (Array.isArray(k.images) ? k.images : []).filter((i): i is string => typeof i === 'string').map(kustomizeImage).filter((i): i is Record<string, string> => !!i);
  if (images.length) f.images = images;
  if (Array.isArray(k.patches) && k.patches.length) f.patches = k.patches;
  const replicas = (Array.isArray(k.replicas) ? k.replicas.map(obj) : []).filter((r): r is Record<string, unknown> => !!r && typeof r.name === 'string');
  if (replicas.length) f.replicas = replicas.map((r) => ({ name: r.name, count: Number(r.count) }));
  const components: string[] = [];
  for (const c of Array.isArray(k.components) ? k.components : []) {
    const p = typeof c === 'string' ? resolveRepoPath(dir, c) : null;
    if (p === null) notes.push(note(file, 'error', `kustomize.components: ${JSON.stringify(String(c).slice(0, 200))} leaves the repository`, 'path-escape'));
    else components.push(p);
  }
  if (components.length) f.components = components.map(fromOverlay);
  return { type: 'kustomize', path: dir, overlay: overlay(OVERLAY_HOME, [dir], f), components };
}

/** Which repository folder a `$ref/...` or relative values file names, or why not. */
function valuesFile(v: string, chartDir: string | null, refs: Map<string, string>): { path: string } | { problem: string; severity: Finding['severity'] } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return { problem: `values file ${JSON.stringify(v.slice(0, 200))} is a URL; Ferry does not fetch it`, severity: 'warning' };
  if (v.startsWith('$')) {
    const slash = v.indexOf('/');
    const ref = v.slice(1, slash < 0 ? undefined : slash);
    const root = refs.get(ref);
    if (root === undefined) return { problem: `values file ${JSON.stringify(v.slice(0, 200))}: no source with ref ${JSON.stringify(ref.slice(0, 50))} in this repository`, severity: 'warning' };
    const p = resolveRepoPath(root, slash < 0 ? '' : v.slice(slash + 1));
    return p === null ? { problem: `values file ${JSON.stringify(v.slice(0, 200))} leaves the repository`, severity: 'error' } : { path: p };
  }
  if (chartDir === null) return { problem: `values file ${JSON.stringify(v.slice(0, 200))} is in the chart's repository; Ferry does not read it`, severity: 'warning' };
  const p = resolveRepoPath(chartDir, v);
  return p === null ? { problem: `values file ${JSON.stringify(v.slice(0, 200))} leaves the repository`, severity: 'error' } : { path: p };
}

function helmSource(
  dir: string, remote: ArgoHelmSource['remote'], h: Record<string, unknown>, app: { name: string; destNamespace?: string; file: string },
  refs: Map<string, string>, kubeVersion: string | undefined, notes: Finding[],
): ArgoHelmSource {
  const valuesFiles: ArgoHelmSource['valuesFiles'] = [];
  for (const v of Array.isArray(h.valueFiles) ? h.valueFiles : []) {
    if (typeof v !== 'string') continue;
    const r = valuesFile(v, remote ? null : dir, refs);
    // Rendered without it: the output may differ from Argo CD's, and the note says so.
    if ('problem' in r) notes.push(note(app.file, r.severity, r.severity === 'error' ? r.problem : `${r.problem}: rendered without it, so values it sets are not shown`, r.severity === 'error' ? 'path-escape' : 'argo-application'));
    else valuesFiles.push({ path: r.path, optional: h.ignoreMissingValueFiles === true });
  }
  const values: string[] = [];
  // valuesObject wins over values, as in Argo CD.
  if (obj(h.valuesObject)) values.push(JSON.stringify(h.valuesObject));
  else if (typeof h.values === 'string' && h.values.trim()) values.push(h.values);
  const set = (Array.isArray(h.parameters) ? h.parameters.map(obj) : [])
    .filter((p): p is Record<string, unknown> => !!p && typeof p.name === 'string')
    .map((p) => ({ name: p.name as string, value: p.value === undefined || p.value === null ? '' : String(p.value), ...(p.forceString === true ? { string: true } : {}) }));
  if (Array.isArray(h.fileParameters) && h.fileParameters.length) notes.push(note(app.file, 'warning', 'helm.fileParameters are not applied'));
  const namespace = str(h.namespace) ?? app.destNamespace;
  const apiVersions = (Array.isArray(h.apiVersions) ? h.apiVersions : []).filter((a): a is string => typeof a === 'string');
  const kube = str(h.kubeVersion) ?? kubeVersion;
  return {
    type: 'helm', path: dir, ...(remote ? { remote } : {}), release: str(h.releaseName) ?? app.name, ...(namespace ? { namespace } : {}),
    valuesFiles, values, set, includeCrds: h.skipCrds !== true, skipTests: h.skipTests === true,
    ...(kube ? { kubeVersion: kube } : {}), ...(apiVersions.length ? { apiVersions } : {}),
  };
}

/** Argo CD's own name for a Helm repository: https://…, or oci:// for a registry (written with or without the scheme). */
function chartRepo(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `oci://${url}`;
}

/** One Application (written, or made by an ApplicationSet) as an app; null when none of its sources is in this repository. */
export function applicationApp(
  a: { file: string; name: string; namespace: string; spec: Record<string, unknown>; reads?: string[]; appSet?: string }, view: TreeView, opts: ArgoDiscovery,
): AppSpec | null {
  const notes: Finding[] = [];
  const destNamespace = str(obj(a.spec.destination)?.namespace);
  const written = Array.isArray(a.spec.sources) && a.spec.sources.length ? a.spec.sources.map(obj) : [obj(a.spec.source)];
  const sources = written.filter((s): s is Record<string, unknown> => !!s);
  const assumed = new Set<string>();
  const inRepo = (s: Record<string, unknown>): string | null => {
    const raw = (str(s.path) ?? '').replace(/^\/+/, '').trim();
    const joined = resolveRepoPath('', raw === '' ? '.' : raw);
    if (joined === null) {
      notes.push(note(a.file, 'error', `source path ${JSON.stringify(raw.slice(0, 200))} leaves the repository`, 'path-escape'));
      return null;
    }
    const dir = realFolder(joined, view);
    if (dir === null) {
      notes.push(note(a.file, 'error', `source path ${JSON.stringify(raw.slice(0, 200))} leaves the repository through a symlink`, 'path-escape'));
      return null;
    }
    return dir === '' || view.isDir(dir) ? dir : null;
  };
  // A git repoURL known to be another repository's: its folders are not this tree's (a same-named folder here is not what Argo CD renders).
  const elsewhere = (s: Record<string, unknown>): string | null => {
    const url = str(s.repoURL);
    return url && ownership(url, opts.repository) === 'other' ? url : null;
  };
  // Known to be this repository: nothing to assume.
  const assume = (s: Record<string, unknown>) => {
    const url = str(s.repoURL);
    if (url && ownership(url, opts.repository) === 'unknown') assumed.add(url);
  };
  // `ref` sources of this repository give values files to the others.
  const refs = new Map<string, string>();
  for (const s of sources) {
    const ref = str(s.ref);
    if (ref && !str(s.chart)) {
      const other = elsewhere(s);
      if (other) {
        // Its values files are then "no source with ref … in this repository", each a warning of its own.
        notes.push(note(a.file, 'warning', `repoURL ${displayURL(other)} is another repository: ref ${JSON.stringify(ref.slice(0, 50))} is not read offline`, 'other-repository'));
        continue;
      }
      refs.set(ref, '');
      assume(s);
    }
  }
  const out: ArgoSource[] = [];
  let missing = 0;
  for (const s of sources) {
    const chart = str(s.chart);
    const h = obj(s.helm) ?? {};
    if (chart) {
      const repoUrl = str(s.repoURL);
      if (!repoUrl) {
        notes.push(note(a.file, 'error', `source chart ${JSON.stringify(chart.slice(0, 100))} has no repoURL`));
        continue;
      }
      const version = str(s.targetRevision);
      out.push(helmSource(path.posix.dirname(a.file) === '.' ? '' : path.posix.dirname(a.file), { repoUrl: chartRepo(repoUrl), chart, ...(version ? { version } : {}) }, h, { ...a, ...(destNamespace ? { destNamespace } : {}) }, refs, opts.kubeVersion, notes));
      continue;
    }
    if (str(s.ref) && s.path === undefined) continue;
    const other = elsewhere(s);
    if (other) {
      // Not rendered, and the app is skipped: what Argo CD applies for it is unknown here, not empty.
      const raw = (str(s.path) ?? '').trim();
      out.push({ type: 'skipped', path: path.posix.dirname(a.file) === '.' ? '' : path.posix.dirname(a.file), elsewhere: true, reason: `repoURL ${displayURL(other)} is another repository: its ${raw ? `path ${JSON.stringify(raw.slice(0, 200))}` : 'root'} is not rendered offline` });
      continue;
    }
    const dir = inRepo(s);
    if (dir === null) {
      missing++;
      continue;
    }
    assume(s);
    const explicit = ['helm', 'kustomize', 'directory', 'plugin'].filter((k) => obj(s[k]));
    if (explicit.length > 1) {
      notes.push(note(a.file, 'error', `a source sets ${explicit.join(' and ')}: Argo CD refuses more than one source type`));
      continue;
    }
    const type = explicit[0] ?? (kustomizationFileIn(dir, view.has) ? 'kustomize' : view.has(dir ? `${dir}/Chart.yaml` : 'Chart.yaml') ? 'helm' : 'directory');
    if (type === 'plugin') out.push({ type: 'skipped', path: dir, reason: 'a config management plugin source is not rendered' });
    else if (type === 'kustomize') {
      if (!kustomizationFileIn(dir, view.has)) notes.push(note(a.file, 'error', `source ${dir || '.'} is kustomize, and has no kustomization file`));
      else out.push(kustomizeSource(dir, obj(s.kustomize) ?? {}, a.file, notes));
    } else if (type === 'helm') out.push(helmSource(dir, undefined, h, { ...a, ...(destNamespace ? { destNamespace } : {}) }, refs, opts.kubeVersion, notes));
    else {
      const d = obj(s.directory) ?? {};
      if (obj(d.jsonnet) && Object.keys(obj(d.jsonnet)!).length) notes.push(note(a.file, 'warning', 'directory.jsonnet options are not applied: jsonnet is not rendered'));
      // Matched against every file under the folder, each brace alternative copying the glob: a long one costs seconds.
      const long = (['include', 'exclude'] as const).find((k) => typeof d[k] === 'string' && (d[k] as string).length > MAX_GLOB);
      if (long) notes.push(note(a.file, 'error', `directory.${long} is longer than ${MAX_GLOB} characters; not rendered`));
      else out.push({ type: 'directory', path: dir, recurse: d.recurse === true, ...(str(d.include) ? { include: d.include as string } : {}), ...(str(d.exclude) ? { exclude: d.exclude as string } : {}) });
    }
  }
  // Nothing of it is here, and nothing went wrong: another repository's Application.
  if (out.length === 0 && !notes.some((n) => n.severity === 'error')) return null;
  if (missing) notes.push(note(a.file, 'warning', `${missing} source${missing === 1 ? ' is' : 's are'} not a folder of this repository; not rendered`));
  for (const url of [...new Set([...assumed].map(displayURL))].sort()) notes.push(note(a.file, 'info', `repoURL ${url} is assumed to be this repository; Ferry cannot tell which repository it clones`));
  const renderer: RendererKind = out.some((s) => s.type === 'helm') ? 'helm' : out.some((s) => s.type === 'kustomize') ? 'kustomize' : 'plain';
  const first = out.find((s) => !(s.type === 'helm' && s.remote) && !(s.type === 'skipped' && s.elsewhere));
  const argo: ArgoOptions = {
    file: a.file, name: a.name, namespace: a.namespace, ...(a.appSet ? { appSet: a.appSet } : {}), ...(destNamespace ? { destNamespace } : {}),
    sources: out, reads: a.reads ?? [], notes,
  };
  return { name: `${a.namespace}/${a.name}`, path: first ? first.path : path.posix.dirname(a.file) === '.' ? '' : path.posix.dirname(a.file), renderer, argo };
}

/**
 * The apps the Argo CD Applications and ApplicationSets in `found` make, and which
 * folders they render (so discovery does not list those again as apps of their own).
 */
export function argoApps(found: FoundArgo[], view: TreeView, opts: ArgoDiscovery): { apps: AppSpec[]; covered: (dir: string) => boolean } {
  const made: { file: string; name: string; namespace: string; spec: Record<string, unknown>; reads?: string[]; appSet?: string }[] = [];
  for (const f of found) {
    if (f.object.kind === 'Application') {
      made.push({ file: f.file, name: f.object.name, namespace: f.object.namespace, spec: f.object.spec });
      continue;
    }
    const set = expandApplicationSet(f, view, opts.repository);
    opts.findings?.push(...set.findings);
    opts.sets?.add(setKey(`${f.object.namespace}/${f.object.name}`, f.file));
    if (!set.complete) opts.incompleteSets?.add(setKey(`${f.object.namespace}/${f.object.name}`, f.file));
    for (const g of set.apps) made.push({ ...g, file: f.file, appSet: `${f.object.namespace}/${f.object.name}` });
  }
  // The same namespace/name in several files (one per cluster): told apart by the folder.
  const folders = new Map<string, Set<string>>();
  for (const m of made) {
    const id = `${m.namespace}/${m.name}`;
    folders.set(id, (folders.get(id) ?? new Set()).add(path.posix.dirname(m.file)));
  }
  const apps = new Map<string, AppSpec>();
  for (const m of made) {
    const id = `${m.namespace}/${m.name}`;
    const name = folders.get(id)!.size > 1 ? `${id} (${path.posix.dirname(m.file)})` : id;
    if (apps.has(name)) continue;
    const app = applicationApp(m, view, opts);
    if (!app) continue;
    apps.set(name, { ...app, name });
  }
  const list = [...apps.values()];
  return { apps: list.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)), covered: coveredBy(list) };
}

/**
 * Folders the Argo CD apps among `apps` render: a source's folder, and every folder under
 * a recursive directory source. Each is planned under its Application, not as a folder app.
 */
function coveredBy(apps: Iterable<AppSpec>): (dir: string) => boolean {
  const exact = new Set<string>();
  const trees: string[] = [];
  for (const a of apps) {
    for (const s of a.argo?.sources ?? []) {
      // Not this repository's folders: a folder app of the same path is not handed over to it.
      if ((s.type === 'helm' && s.remote) || (s.type === 'skipped' && s.elsewhere)) continue;
      exact.add(s.path);
      if (s.type === 'directory' && s.recurse) trees.push(s.path);
    }
  }
  return (dir: string) => exact.has(dir) || trees.some((t) => t === '' || dir.startsWith(t + '/'));
}

/** The folders an Argo CD app renders, as coveredBy reads them. */
function sourceDirs(app: AppSpec): { exact: string[]; trees: string[] } {
  const exact: string[] = [];
  const trees: string[] = [];
  for (const s of app.argo?.sources ?? []) {
    if ((s.type === 'helm' && s.remote) || (s.type === 'skipped' && s.elsewhere)) continue;
    exact.push(s.path);
    if (s.type === 'directory' && s.recurse) trees.push(s.path);
  }
  return { exact, trees };
}

type HandoverCandidate = { app: AppSpec; baseApp: AppSpec | null; atBase: boolean; atHead: boolean; unknown?: Finding; caveat?: Finding };

/**
 * A folder app on one side only whose folder an Application renders on the other (a PR
 * adding an Application over an existing folder, or deleting the Application and keeping
 * the folder): the folder did not come or go, the Application did. Dropping the folder
 * would hide what the same PR removes from it (its base render appears nowhere), and
 * showing both would show what stays as removed and added. So the two are paired as one
 * app: the folder's render on its side is diffed against the Application's on the other.
 *
 * Paired only one to one: a folder that exactly one one-sided Application renders, which
 * renders no other such folder. A folder handed over otherwise (an Application over
 * several folders, several over one, or one that exists on both sides and moved its path
 * there) is kept and planned as removed (or added), with an info finding saying where its
 * resources went: nothing it rendered is left out of the plan. A source whose folder is
 * gone makes no app, so a folder deleted in the same PR is still removed. Mutates `candidates`.
 */
export function pairHandedOver<C extends HandoverCandidate>(candidates: Map<string, C>, headApps: readonly AppSpec[], baseApps: readonly AppSpec[]): void {
  const coveredAtHead = coveredBy(headApps);
  const coveredAtBase = coveredBy(baseApps);
  const folderApp = (a: AppSpec | null): a is AppSpec => !!a && !a.argo && !a.flux;
  // Applications on one side only (fate known), indexed by the folders they render: head-only ones for forward handovers, base-only for reverse.
  const index = (side: 'head' | 'base') => {
    const exact = new Map<string, string[]>();
    const trees: { dir: string; key: string }[] = [];
    for (const [k, c] of candidates) {
      const a = side === 'head' ? (c.atHead && !c.atBase ? c.app : null) : c.atBase && !c.atHead ? c.baseApp : null;
      if (!a?.argo || c.unknown) continue;
      const dirs = sourceDirs(a);
      for (const d of new Set(dirs.exact)) exact.set(d, [...(exact.get(d) ?? []), k]);
      for (const t of dirs.trees) trees.push({ dir: t, key: k });
    }
    return (dir: string) => [...new Set([...(exact.get(dir) ?? []), ...trees.filter((t) => t.dir === '' || dir.startsWith(t.dir + '/')).map((t) => t.key)])];
  };
  const byHead = index('head');
  const byBase = index('base');
  const handed: { folder: string; forward: boolean; dir: string; by: string[] }[] = [];
  for (const [k, c] of candidates) {
    if (c.atBase && !c.atHead && folderApp(c.baseApp) && coveredAtHead(c.baseApp.path)) handed.push({ folder: k, forward: true, dir: c.baseApp.path, by: byHead(c.baseApp.path) });
    else if (c.atHead && !c.atBase && folderApp(c.app) && coveredAtBase(c.app.path)) handed.push({ folder: k, forward: false, dir: c.app.path, by: byBase(c.app.path) });
  }
  // How many handed-over folders each Application renders.
  const folders = new Map<string, number>();
  for (const h of handed) for (const a of h.by) folders.set(a, (folders.get(a) ?? 0) + 1);
  for (const h of handed) {
    const f = candidates.get(h.folder)!;
    const argoKey = h.by.length === 1 && folders.get(h.by[0]!) === 1 ? h.by[0]! : null;
    const a = argoKey ? candidates.get(argoKey) : undefined;
    if (a && h.forward) {
      const argo = a.app;
      candidates.delete(h.folder);
      candidates.set(argoKey!, { ...a, baseApp: f.baseApp, atBase: true, ...(a.caveat ? {} : { caveat: handoverNote(argo, `${argo.name} renders ${h.dir || '.'}, which was an app of its own at base: the folder's render at base is diffed against the Application's at head`) }) });
    } else if (a) {
      const argo = a.baseApp!;
      candidates.delete(argoKey!);
      candidates.set(h.folder, { ...f, baseApp: argo, atBase: true, ...(f.caveat ? {} : { caveat: handoverNote(argo, `${argo.name} (at base) rendered ${h.dir || '.'}, an app of its own at head: the Application's render at base is diffed against the folder's at head`) }) });
    } else {
      const side = h.forward ? 'head' : 'base';
      const app = h.forward ? f.baseApp! : f.app;
      candidates.set(h.folder, { ...f, ...(f.caveat ? {} : { caveat: { severity: 'info', rule: 'argo-application', file: app.path || '.', line: null, resource: null, message: `${app.path || '.'} is rendered by an Argo CD Application at ${side} that Ferry could not pair it with (one rendering several such folders, several rendering it, or one present on both sides): its resources are shown ${h.forward ? 'removed' : 'added'} here, and the Application's plan shows what it renders` } as Finding }) });
    }
  }
}

function handoverNote(app: AppSpec, message: string): Finding {
  return { severity: 'info', rule: 'argo-application', file: app.argo!.file, line: null, resource: null, message };
}

/** The files an Argo CD app's render reads: each source's, its values files, its own file and its generator configs. */
export function argoInputs(app: AppSpec, view: TreeView, into: AppInputs): AppInputs {
  const argo = app.argo!;
  const walk = (dir: string) => collectKustomizeInputs(dir, view.has, view.isDir, view.read, into, view.links?.length ? view.resolveLink : undefined, false, view.kustomizationRefs);
  for (const s of argo.sources) {
    if (s.type === 'directory') {
      // What a directory source reads changes with any file added to it.
      if (s.recurse) into.dirs.add(s.path);
      else {
        for (const f of directoryFiles(s, view).files) into.files.add(f);
        // Any file added directly in the folder may be a manifest (as touches() reads a kustomization folder).
        into.kustomizations.add(s.path);
      }
    } else if (s.type === 'kustomize') {
      walk(s.path);
      for (const c of s.components) walk(c);
    } else if (s.type === 'helm') {
      if (!s.remote) into.dirs.add(s.path);
      for (const v of s.valuesFiles) into.files.add(v.path);
    }
  }
  into.files.add(argo.file);
  for (const f of argo.reads) into.files.add(f);
  into.findings.push(...argo.notes.filter((n) => n.severity === 'error'));
  return into;
}
