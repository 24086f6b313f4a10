import path from 'node:path';
import type { AppSpec, EnvironmentSpec } from '../types.js';
import { collectKustomizeInputs, emptyInputs, KUSTOMIZATION_FILES } from '../render/kustomization.js';
import { looksLikeManifest } from '../render/manifests.js';

export interface TreeView {
  /** Every file path in the tree. */
  files: Iterable<string>;
  has(p: string): boolean;
  isDir(p: string): boolean;
  read(p: string): string;
  /** Symlinks of the tree, and where one resolves inside it (null: escapes, dangles or loops). */
  links?: readonly string[];
  resolveLink?(p: string): { kind: 'file' | 'dir'; path: string } | null;
}

const YAML_RE = /\.ya?ml$/i;
/** Folders that hold tooling, not deployable manifests. */
const SKIP_DIR_RE = /(^|\/)(\.[^/]+|node_modules|vendor)(\/|$)/;

interface FolderInfo {
  kustomization: boolean;
  chart: boolean;
  yamlFiles: string[];
}

function foldersOf(view: TreeView): Map<string, FolderInfo> {
  const folders = new Map<string, FolderInfo>();
  const get = (d: string) => {
    let f = folders.get(d);
    if (!f) folders.set(d, (f = { kustomization: false, chart: false, yamlFiles: [] }));
    return f;
  };
  for (const file of view.files) {
    if (SKIP_DIR_RE.test(file)) continue;
    const dir = path.posix.dirname(file) === '.' ? '' : path.posix.dirname(file);
    const base = path.posix.basename(file);
    if (KUSTOMIZATION_FILES.includes(base)) get(dir).kustomization = true;
    else if (base === 'Chart.yaml') get(dir).chart = true;
    else if (YAML_RE.test(base)) get(dir).yamlFiles.push(file);
  }
  return folders;
}

function detectRenderer(dir: string, view: TreeView): AppSpec['renderer'] {
  if (KUSTOMIZATION_FILES.some((f) => view.has(dir ? `${dir}/${f}` : f))) return 'kustomize';
  if (view.has(dir ? `${dir}/Chart.yaml` : 'Chart.yaml')) return 'helm';
  return 'plain';
}

function within(dir: string, root: string): boolean {
  return root === '' || dir === root || dir.startsWith(root + '/');
}

function appName(dir: string, root: string): string {
  if (dir === root) return path.posix.basename(dir) || '.';
  return root === '' ? dir : dir.slice(root.length + 1);
}

/**
 * Apps of one environment. Explicit apps win; otherwise every kustomization, chart, or
 * folder of manifests under the environment's path is an app, and discovery does not
 * descend into an app found higher up. Without a path, only roots count: a
 * kustomization referenced by another one, or a folder of manifests that a
 * kustomization reads, is part of that app and not an app of its own.
 */
export function discoverApps(env: EnvironmentSpec, view: TreeView): AppSpec[] {
  if (env.apps?.length) {
    return env.apps.map((a) => ({ ...a, renderer: a.renderer ?? detectRenderer(a.path, view) }));
  }
  const root = env.path ?? '';
  const folders = foldersOf(view);
  const dirs = [...folders.keys()].filter((d) => within(d, root)).sort();
  const apps: AppSpec[] = [];
  /** Kustomization and chart folders found so far: their subfolders belong to them. */
  const owners = new Set<string>();
  // Looking up each ancestor keeps this linear in the number of folders (times depth);
  // scanning every app found so far made a 5,000-app monorepo cost seconds.
  const owned = (dir: string) => {
    if (owners.has('')) return dir !== '';
    for (let i = dir.lastIndexOf('/'); i > 0; i = dir.lastIndexOf('/', i - 1)) if (owners.has(dir.slice(0, i))) return true;
    return false;
  };

  for (const dir of dirs) {
    const info = folders.get(dir)!;
    // A chart's or kustomization's subfolders (templates/, charts/, bases) belong to it.
    if (owned(dir)) continue;
    if (info.kustomization) {
      apps.push({ name: appName(dir, root), path: dir, renderer: 'kustomize' });
      owners.add(dir);
    } else if (info.chart) {
      apps.push({ name: appName(dir, root), path: dir, renderer: 'helm' });
      owners.add(dir);
    } else if (info.yamlFiles.some((f) => looksLikeManifest(view.read(f)))) {
      apps.push({ name: appName(dir, root), path: dir, renderer: 'plain' });
    }
  }
  if (env.path !== undefined) return apps;

  // No environment path: drop what another kustomization already includes.
  const included = new Set<string>();
  const includedFiles = new Set<string>();
  for (const app of apps) {
    if (app.renderer !== 'kustomize') continue;
    const inputs = collectKustomizeInputs(app.path, view.has, view.isDir, view.read, emptyInputs(), view.resolveLink);
    for (const k of inputs.kustomizations) if (k !== app.path) included.add(k);
    for (const f of inputs.files) includedFiles.add(f);
  }
  return apps.filter((a) => {
    if (included.has(a.path)) return false;
    if (a.renderer === 'plain') {
      const own = folders.get(a.path)!.yamlFiles;
      return !own.every((f) => includedFiles.has(f) || !looksLikeManifest(view.read(f)));
    }
    return true;
  });
}
