import path from 'node:path';
import type { AppSpec, ConfiguredApp, EnvironmentSpec, Finding, RendererKind } from '../types.js';
import { argoApps } from './argo.js';
import type { FoundArgo } from './applicationset.js';
import { KUSTOMIZATION_FILES, type KustomizationRefs } from '../render/kustomization.js';
import { looksLikeManifest } from '../render/manifests.js';
import { deployRefs, matchDirGlob, type DeployRefs } from './gitops.js';
import { shallowInputs } from './reach.js';
import { fluxApps, type FoundFlux } from './flux.js';
import type { OwnRepository } from './repo-url.js';

export interface DiscoveryOptions {
  /** Flux Kustomizations become apps of their own (render.flux, default on). */
  flux?: boolean;
  /** Argo CD Applications and ApplicationSets become apps of their own (render.argo, default on). */
  argo?: boolean;
  /** helm's `--kube-version` for Argo CD Helm sources that do not set one. */
  kubeVersion?: string;
  /** Where findings about ApplicationSets go (generators not expanded offline, failing templates). */
  findings?: Finding[];
  /** Filled with the ApplicationSets not fully expanded (see argo.ts setKey). */
  incompleteSets?: Set<string>;
  /** Filled with every ApplicationSet expanded (see argo.ts setKey). */
  sets?: Set<string>;
  /** This repository's own URLs: Argo CD and Flux sources naming another repository are not rendered from this tree. */
  repository?: OwnRepository;
}

export interface TreeView {
  /** Every file path in the tree. */
  files: Iterable<string>;
  has(p: string): boolean;
  isDir(p: string): boolean;
  read(p: string): string;
  /** Like read, but a file over a read limit is null and not reported (files only scanned). */
  peek?(p: string): string | null;
  /** looksLikeManifest of the file, when the view knows it without holding the text. */
  isManifest?(p: string): boolean;
  /** Whether the file may hold a Flux HelmRelease, when the view knows it without reading (undefined: not known). */
  mayHoldHelmRelease?(p: string): boolean | undefined;
  /** Whether the file may define a HelmRelease's values or chart source, likewise. */
  mayDefineHelmSource?(p: string): boolean | undefined;
  /** deployRefs of the file (null over a read limit), likewise. */
  deployRefs?(p: string): DeployRefs | null;
  /** Symlinks of the tree, and where one resolves inside it (null: escapes, dangles or loops). */
  links?: readonly string[];
  resolveLink?(p: string): { kind: 'file' | 'dir'; path: string } | null;
  /** A kustomization file's references (or its parse error), known by blob id without reading it again. */
  kustomizationRefs?(p: string): KustomizationRefs | string;
}

/** Files that may hold manifests: YAML, and JSON (which is YAML). */
const MANIFEST_FILE_RE = /\.(ya?ml|json)$/i;
/** Folders that hold tooling, not deployable manifests. */
export const SKIP_DIR_RE = /(^|\/)(\.[^/]+|node_modules|vendor)(\/|$)/;
/** Git directory generator globs read per discovery: each is matched against every folder. */
const MAX_DIR_GLOBS = 100;

interface FolderInfo {
  kustomization: boolean;
  chart: boolean;
  yamlFiles: string[];
}

/** Whether a file holds a Kubernetes object. */
export function isManifestIn(view: TreeView, file: string): boolean {
  return view.isManifest ? view.isManifest(file) : looksLikeManifest(view.read(file));
}

function refsIn(view: TreeView, file: string): DeployRefs | null {
  if (view.deployRefs) return view.deployRefs(file);
  // Scanned, not rendered: a file over a read limit is simply not a GitOps manifest.
  const text = view.peek ? view.peek(file) : view.read(file);
  return text === null ? null : deployRefs(text);
}

function dirOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i < 0 ? '' : file.slice(0, i);
}

/** Per view: every environment's discovery reads the same listing. */
const foldersMemo = new WeakMap<TreeView, Map<string, FolderInfo>>();

function foldersOf(view: TreeView): Map<string, FolderInfo> {
  const known = foldersMemo.get(view);
  if (known) return known;
  const folders = new Map<string, FolderInfo>();
  foldersMemo.set(view, folders);
  const get = (d: string) => {
    let f = folders.get(d);
    if (!f) folders.set(d, (f = { kustomization: false, chart: false, yamlFiles: [] }));
    return f;
  };
  for (const file of view.files) {
    if (SKIP_DIR_RE.test(file)) continue;
    const dir = dirOf(file);
    const base = path.posix.basename(file);
    if (KUSTOMIZATION_FILES.includes(base)) get(dir).kustomization = true;
    else if (base === 'Chart.yaml') get(dir).chart = true;
    else if (MANIFEST_FILE_RE.test(base)) get(dir).yamlFiles.push(file);
  }
  return folders;
}

function detectRenderer(dir: string, view: TreeView): RendererKind {
  if (KUSTOMIZATION_FILES.some((f) => view.has(dir ? `${dir}/${f}` : f))) return 'kustomize';
  if (view.has(dir ? `${dir}/Chart.yaml` : 'Chart.yaml')) return 'helm';
  return 'plain';
}

/** Whether an app folder exists in this tree (a symlink to a folder counts). */
export function folderExists(dir: string, view: TreeView): boolean {
  return view.isDir(dir) || view.resolveLink?.(dir)?.kind === 'dir';
}

function within(dir: string, root: string): boolean {
  return root === '' || dir === root || dir.startsWith(root + '/');
}

function appName(dir: string, root: string): string {
  if (dir === root) return path.posix.basename(dir) || '.';
  return root === '' ? dir : dir.slice(root.length + 1);
}

/** Whether `dir` or one of its ancestors is in `set`: a lookup per level, not a scan. */
function selfOrAncestorIn(set: Set<string>, dir: string): boolean {
  if (set.size === 0) return false;
  if (set.has(dir) || set.has('')) return true;
  for (let i = dir.lastIndexOf('/'); i > 0; i = dir.lastIndexOf('/', i - 1)) if (set.has(dir.slice(0, i))) return true;
  return false;
}

/** Explicit apps whose folder exists in this tree; an omitted renderer is detected. */
function explicitApps(apps: ConfiguredApp[], view: TreeView): AppSpec[] {
  return apps
    .filter((a) => folderExists(a.path, view))
    .map((a) => ({ ...a, renderer: a.renderer ?? detectRenderer(a.path, view) }));
}

/**
 * Apps of one environment. Explicit apps win (those whose folder is missing from this
 * tree are left out: deleted at head, they plan as removed). Otherwise, under the
 * environment's path (the whole repository without one):
 * - every kustomization no other kustomization there references is a Kustomize app;
 * - every Helm chart not inside another chart or a kustomization's chart home;
 * - every folder holding a manifest no kustomization reads is a plain app;
 * - every folder a Flux Kustomization or Argo CD Application in the repository deploys
 *   (spec.path, source paths, git directory generator globs) is an app of its own,
 *   even when a kustomization also includes it.
 * A kustomization owns only what it references, not every folder below it.
 */
export function discoverApps(env: EnvironmentSpec, view: TreeView, opts: DiscoveryOptions = {}): AppSpec[] {
  if (env.apps?.length) return explicitApps(env.apps, view);
  const root = env.path ?? '';
  const folders = root === '' ? foldersOf(view) : new Map([...foldersOf(view)].filter(([d]) => within(d, root)));
  const charts = new Set<string>();
  for (const [dir, info] of folders) if (info.chart && !info.kustomization) charts.add(dir);
  /** Inside a chart (templates/, charts/): part of it. */
  const inChart = (dir: string) => dir !== '' && selfOrAncestorIn(charts, dirOf(dir));

  // Each kustomization's own references, read once (shallow: what it includes is read
  // in its own turn), together say what is owned. Linear in the references.
  const referenced = new Set<string>();
  const readFiles = new Set<string>();
  const chartHomes = new Set<string>();
  for (const [dir, info] of folders) {
    if (!info.kustomization || inChart(dir)) continue;
    const inputs = shallowInputs(view, dir);
    for (const k of inputs.kustomizations) if (k !== dir) referenced.add(k);
    for (const f of inputs.files) readFiles.add(f);
    for (const d of inputs.dirs) chartHomes.add(d);
  }
  const owned = (dir: string) => inChart(dir) || selfOrAncestorIn(chartHomes, dir);

  const apps = new Map<string, RendererKind>();
  for (const [dir, info] of folders) {
    if (owned(dir)) continue;
    if (info.kustomization) {
      if (!referenced.has(dir)) apps.set(dir, 'kustomize');
    } else if (info.chart) {
      apps.set(dir, 'helm');
    } else if (info.yamlFiles.some((f) => !readFiles.has(f) && isManifestIn(view, f))) {
      apps.set(dir, 'plain');
    }
  }

  // What the repository's own GitOps manifests deploy.
  const deployed = new Set<string>();
  const globs: string[] = [];
  const excludes: string[] = [];
  const kustomizations: FoundFlux[] = [];
  let generators: FoundFlux[] = [];
  const argoObjects: FoundArgo[] = [];
  const argoOn = opts.argo !== false;
  for (const [, info] of folders) {
    for (const f of info.yamlFiles) {
      // A chart's values and templates are not the controller's manifests.
      if (selfOrAncestorIn(charts, dirOf(f))) continue;
      const refs = refsIn(view, f);
      if (!refs) continue;
      for (const o of refs.flux ?? []) (o.kind === 'Kustomization' ? kustomizations : generators).push({ file: f, object: o });
      for (const p of refs.paths) deployed.add(p);
      if (argoOn) {
        for (const o of refs.argo ?? []) argoObjects.push({ file: f, object: o });
        continue;
      }
      for (const p of refs.argoPaths ?? []) deployed.add(p);
      for (const g of refs.dirGlobs) if (globs.length < MAX_DIR_GLOBS) globs.push(g);
      for (const g of refs.excludeGlobs) if (excludes.length < MAX_DIR_GLOBS) excludes.push(g);
    }
  }
  if (globs.length) {
    for (const dir of folders.keys()) {
      if (globs.some((g) => matchDirGlob(g, dir)) && !excludes.some((g) => matchDirGlob(g, dir))) deployed.add(dir);
    }
  }
  for (const dir of deployed) {
    const info = folders.get(dir);
    if (!info || apps.has(dir) || inChart(dir)) continue;
    if (info.kustomization) apps.set(dir, 'kustomize');
    else if (info.chart) apps.set(dir, 'helm');
    else if (info.yamlFiles.some((f) => isManifestIn(view, f))) apps.set(dir, 'plain');
  }

  let folderApps = [...apps]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([dir, renderer]): AppSpec => ({ name: appName(dir, root), path: dir, renderer }));
  const argo = argoObjects.length ? argoApps(argoObjects, view, { ...(opts.kubeVersion ? { kubeVersion: opts.kubeVersion } : {}), ...(opts.findings ? { findings: opts.findings } : {}), ...(opts.incompleteSets ? { incompleteSets: opts.incompleteSets } : {}), ...(opts.sets ? { sets: opts.sets } : {}), ...(opts.repository ? { repository: opts.repository } : {}) }) : null;
  // A folder an Application renders is planned under the Application, not twice.
  if (argo) folderApps = folderApps.filter((a) => !argo.covered(a.path));
  const argoList = argo?.apps ?? [];
  if (opts.flux === false || kustomizations.length === 0) return [...folderApps, ...argoList];
  // An environment's Kustomizations may read an artifact its folder does not generate.
  if (generators.length === 0 && root !== '') generators = allGenerators(view);
  const flux = fluxApps(kustomizations, generators, view, root, opts.findings, opts.repository);
  // A folder a Kustomization renders is planned under the Kustomization, not twice.
  const fluxNames = new Set(flux.apps.map((a) => a.name));
  return [
    ...folderApps.filter((a) => !flux.covered.has(a.path)),
    ...flux.apps.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    // A Flux Kustomization and an Application of the same namespace/name: both listed, told apart.
    ...argoList.map((a) => (fluxNames.has(a.name) ? { ...a, name: `${a.name} (Argo CD)` } : a)),
  ];
}

function allGenerators(view: TreeView): FoundFlux[] {
  const out: FoundFlux[] = [];
  for (const [, info] of foldersOf(view)) {
    for (const f of info.yamlFiles) for (const o of refsIn(view, f)?.flux ?? []) if (o.kind === 'ArtifactGenerator') out.push({ file: f, object: o });
  }
  return out;
}
