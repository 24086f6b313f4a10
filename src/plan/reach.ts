import { collectKustomizeInputs, emptyInputs, kustomizationFileIn, resolveRepoPath, type AppInputs } from '../render/kustomization.js';
import type { AppSpec } from '../types.js';
import type { TreeView } from './discover.js';
import { substitutionSources } from './flux.js';

/** Files next to a kustomization that no kustomize reference reads: documentation (as touches() has it). */
const DOC_RE = /^(README|LICENSE|OWNERS|CODEOWNERS|CHANGELOG)([.-].*)?$|\.(md|markdown|adoc|rst)$/i;

const shallowMemo = new WeakMap<TreeView, Map<string, AppInputs>>();
const readsMemo = new WeakMap<TreeView, Set<string>>();

/**
 * What one kustomization folder reads itself (the folders it references are recorded,
 * not walked), once per view: discovery and the reach index ask for the same folders.
 * Shared: callers must not change what they get.
 */
export function shallowInputs(view: TreeView, dir: string): AppInputs {
  let memo = shallowMemo.get(view);
  if (!memo) shallowMemo.set(view, (memo = new Map()));
  let inputs = memo.get(dir);
  if (!inputs) {
    let reads = readsMemo.get(view);
    if (!reads) readsMemo.set(view, (reads = new Set()));
    const read = (p: string) => (reads!.add(p), view.read(p));
    memo.set(dir, (inputs = collectKustomizeInputs(dir, view.has, view.isDir, read, emptyInputs(), view.links?.length ? view.resolveLink : undefined, true, view.kustomizationRefs)));
  }
  return inputs;
}

/** Every file the shallow walks of this view have read so far (kustomizations, and the configurations they name). */
export function shallowReads(view: TreeView): ReadonlySet<string> {
  return readsMemo.get(view) ?? new Set();
}

function dirOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i < 0 ? '' : file.slice(0, i);
}

function push(m: Map<string, string[]>, key: string, dir: string): void {
  const list = m.get(key);
  if (list) list.push(dir);
  else m.set(key, [dir]);
}

/**
 * Which Kustomize apps a set of changed files can reach, without walking every app.
 *
 * An app's full walk (collectKustomizeInputs) visits its folder and every folder it
 * references, transitively, doing at each the same thing a shallow walk of that folder
 * does; so its inputs are the union of the shallow inputs of the folders it reaches, and
 * touches() of the union is true exactly when touches() of one of them is. The index
 * keeps each reached folder's shallow inputs once, maps every file and folder they name
 * back to the folders naming them, and answers "which apps reach a folder a changed file
 * touches" by walking the references backwards from those folders.
 *
 * Symlinks are not modelled (a walk through a link reads what it points at, which the
 * shallow inputs do not say): callers walk every app when the tree has links.
 */
export class ReachIndex {
  /** Folder → the folders whose kustomization references it. */
  private readonly referrers = new Map<string, string[]>();
  /** A file named by a folder's inputs → those folders; likewise kustomization folders and folders read whole. */
  private readonly byFile = new Map<string, string[]>();
  private readonly byKustomization = new Map<string, string[]>();
  private readonly byDir = new Map<string, string[]>();

  /** `apps`: the Kustomize app folders whose walks the index stands for. */
  constructor(view: TreeView, apps: Iterable<string>) {
    const seen = new Set<string>();
    const queue: string[] = [];
    for (const a of apps) {
      if (!seen.has(a)) {
        seen.add(a);
        queue.push(a);
      }
    }
    for (let i = 0; i < queue.length; i++) {
      const dir = queue[i]!;
      const inputs = shallowInputs(view, dir);
      for (const f of inputs.files) push(this.byFile, f, dir);
      for (const d of inputs.dirs) push(this.byDir, d, dir);
      for (const k of inputs.kustomizations) {
        push(this.byKustomization, k, dir);
        if (k === dir) continue;
        push(this.referrers, k, dir);
        if (!seen.has(k)) {
          seen.add(k);
          queue.push(k);
        }
      }
    }
  }

  /** Folders whose own inputs name `file`: as touches() reads them, or (`owning`) as Ownership.owns() does. */
  private namers(file: string, owning: boolean, out: (dir: string) => void): void {
    for (const d of this.byFile.get(file) ?? []) out(d);
    const dir = dirOf(file);
    if (owning || !DOC_RE.test(file.slice(file.lastIndexOf('/') + 1))) for (const d of this.byKustomization.get(dir) ?? []) out(d);
    for (let a = file; ; a = dirOf(a)) {
      if (a !== file) for (const d of this.byDir.get(a) ?? []) out(d);
      if (a === '') break;
    }
  }

  /** Folders (apps among them) whose full walk touches a changed file: the folders naming one, and everything referencing those. */
  reached(changed: Iterable<string>): Set<string> {
    const out = new Set<string>();
    const queue: string[] = [];
    const add = (d: string) => {
      if (!out.has(d)) {
        out.add(d);
        queue.push(d);
      }
    };
    for (const c of changed) this.namers(c, false, add);
    for (let i = 0; i < queue.length; i++) for (const r of this.referrers.get(queue[i]!) ?? []) add(r);
    return out;
  }

  /** The folders some walk reads whole (kustomize chart homes, for `helmCharts`). */
  wholeDirs(): string[] {
    return [...this.byDir.keys()];
  }

  /** The files among `files` that some app of the index reads (Ownership.owns() over every app's walk). */
  owned(files: Iterable<string>): string[] {
    const out: string[] = [];
    for (const f of files) {
      let hit = false;
      this.namers(f, true, () => (hit = true));
      if (hit) out.push(f);
    }
    return out;
  }
}

/** The kustomization folders a Flux app's render walks from: they join the index's apps. */
export function fluxRoots(app: AppSpec, view: TreeView): string[] {
  const flux = app.flux!;
  const roots = flux.generated ? flux.generated.listed.filter((r) => kustomizationFileIn(r, view.has) !== null) : [app.path];
  for (const c of Array.isArray(flux.spec.components) ? flux.spec.components : []) {
    const p = typeof c === 'string' ? resolveRepoPath(app.path, c) : null;
    if (p !== null) roots.push(p);
  }
  return roots;
}

/**
 * Whether changed files reach a Flux app: through a folder its render walks (`reached`,
 * from an index built with fluxRoots among its apps), or a file it reads itself: the
 * Kustomization's own file, a substituted ConfigMap or Secret, a manifest listed in the
 * kustomization Flux would generate, or any file below a folder without one.
 */
export function fluxReached(app: AppSpec, view: TreeView, reached: ReadonlySet<string>, changed: readonly string[]): boolean {
  const flux = app.flux!;
  if (fluxRoots(app, view).some((r) => reached.has(r))) return true;
  const direct = new Set([flux.file, ...substitutionSources(app, view).files]);
  const prefix = app.path === '' ? '' : app.path + '/';
  return changed.some((c) => direct.has(c) || (!!flux.generated && c.startsWith(prefix)));
}
