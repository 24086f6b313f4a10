import path from 'node:path';
import type { AppSpec } from '../types.js';
import { collectKustomizeInputs, emptyInputs, type AppInputs } from '../render/kustomization.js';
import { isManifestIn, type TreeView } from './discover.js';
import { filesByFolder } from './folders.js';
import { fluxInputs } from './flux.js';
import { withHelmReleaseInputs } from './helm-inputs.js';
import { argoInputs } from './argo.js';

const YAML_RE = /\.ya?ml$/i;
/** Files next to a kustomization that no kustomize reference reads: documentation. */
const DOC_RE = /^(README|LICENSE|OWNERS|CODEOWNERS|CHANGELOG)([.-].*)?$|\.(md|markdown|adoc|rst)$/i;

function under(file: string, dir: string): boolean {
  return dir === '' || file.startsWith(dir + '/');
}

/** The repository files an app's render reads, at one commit. */
export function appInputs(app: AppSpec, view: TreeView): AppInputs {
  return withLinkTargets(withHelmReleaseInputs(baseInputs(app, view), view), view);
}

/**
 * Symlinks a render copies (inside a chart folder, beside a kustomization, or named
 * directly) make what they point at an input: a PR that edits only the target changes
 * the render, so it must plan the app.
 */
function withLinkTargets(inputs: AppInputs, view: TreeView): AppInputs {
  if (!view.links?.length || !view.resolveLink) return inputs;
  const copied = (l: string) => {
    if (inputs.files.has(l)) return true;
    const slash = l.lastIndexOf('/');
    if (inputs.kustomizations.has(slash < 0 ? '' : l.slice(0, slash))) return true;
    for (const d of inputs.dirs) if (under(l, d)) return true;
    return false;
  };
  for (const l of view.links) {
    if (!copied(l)) continue;
    const real = view.resolveLink(l);
    if (real?.kind === 'file') inputs.files.add(real.path);
    else if (real?.kind === 'dir') inputs.dirs.add(real.path);
  }
  return inputs;
}

function baseInputs(app: AppSpec, view: TreeView): AppInputs {
  if (app.argo) return argoInputs(app, view, emptyInputs());
  if (app.flux) {
    const walk = (dir: string, into: AppInputs) => {
      collectKustomizeInputs(dir, view.has, view.isDir, view.read, into, view.links?.length ? view.resolveLink : undefined, false, view.kustomizationRefs);
    };
    return fluxInputs(app, view, walk, emptyInputs());
  }
  if (app.renderer === 'kustomize') return collectKustomizeInputs(app.path, view.has, view.isDir, view.read, undefined, view.links?.length ? view.resolveLink : undefined, false, view.kustomizationRefs);
  const inputs = emptyInputs();
  if (app.renderer === 'helm') {
    inputs.dirs.add(app.path);
    for (const v of app.helm?.valuesFiles ?? []) {
      const p = path.posix.normalize(path.posix.join(app.path || '.', v));
      if (!p.startsWith('../')) inputs.files.add(p);
    }
    return inputs;
  }
  for (const f of plainFiles(app, view)) inputs.files.add(f);
  return inputs;
}

/** Manifest files by folder, built once per view: looking one folder up must not walk the tree. */
const filesByDir = new WeakMap<TreeView, Map<string, string[]>>();
const JSON_RE = /\.json$/i;

function manifestFilesIn(view: TreeView, dir: string): string[] {
  let index = filesByDir.get(view);
  if (!index) filesByDir.set(view, (index = filesByFolder(view.files, (f) => YAML_RE.test(f) || JSON_RE.test(f))));
  return index.get(dir) ?? [];
}

/**
 * A plain app is the YAML files directly in its folder (subfolders are apps of their
 * own), and the JSON files there that hold Kubernetes objects: a YAML file that is not a
 * manifest is an error worth reporting, a package.json or a dashboard is not.
 */
export function plainFiles(app: AppSpec, view: TreeView): string[] {
  return manifestFilesIn(view, app.path)
    .filter((f) => YAML_RE.test(f) || isManifestIn(view, f))
    .sort();
}

/**
 * Whether a changed file can change the app's render. Every file directly in a
 * kustomization folder counts, modelled or not: it is written for the render (see
 * renderFileSet), so kustomize may read it through a reference Ferry does not know.
 */
export function touches(inputs: AppInputs, changed: Iterable<string>): boolean {
  for (const c of changed) {
    if (inputs.files.has(c)) return true;
    const slash = c.lastIndexOf('/');
    if (inputs.kustomizations.has(slash < 0 ? '' : c.slice(0, slash)) && !DOC_RE.test(c.slice(slash + 1))) return true;
    for (const d of inputs.dirs) if (under(c, d)) return true;
  }
  return false;
}

/** Content address of the inputs: (path, blob id) of every file read, sorted. */
export function inputFingerprint(inputs: AppInputs, index: Map<string, { oid: string }>): string[] {
  const parts = new Set<string>();
  for (const f of inputs.files) parts.add(`${f}:${index.get(f)?.oid ?? 'missing'}`);
  if (inputs.dirs.size) {
    for (const [f, e] of index) {
      for (const d of inputs.dirs) if (under(f, d)) parts.add(`${f}:${e.oid}`);
    }
  }
  return [...parts].sort();
}
