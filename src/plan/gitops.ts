import { parseAllDocuments } from 'yaml';
import { resolveRepoPath } from '../render/kustomization.js';
import { GO_YAML } from '../render/yaml-numbers.js';

/**
 * Folders of this repository that a GitOps controller deploys, as its own manifests in
 * the repository say: a Flux Kustomization's `spec.path`, an Argo CD Application's
 * `spec.source.path` / `spec.sources[].path`, an ApplicationSet's git directory
 * generator globs. Which repository a source names is not checked: a path that is not a
 * folder here is simply not an app.
 */
export interface DeployRefs {
  /** Repository-relative folders ('' is the root) a Flux Kustomization deploys. */
  paths: string[];
  /** Likewise, an Argo CD Application or ApplicationSet template (used when Argo CD objects are not rendered as apps). */
  argoPaths?: string[];
  /** Git directory generator globs (`apps/*`), and the ones marked `exclude: true`. */
  dirGlobs: string[];
  excludeGlobs: string[];
  /** Flux Kustomizations and ArtifactGenerators in the file, as written (rendered by plan/flux.ts). */
  flux?: FluxObject[];
  /** Argo CD Applications and ApplicationSets in the file, as written (rendered by plan/argo.ts). */
  argo?: ArgoObject[];
}

/** An Argo CD Application or ApplicationSet: its identity and its spec as plain JSON. */
export interface ArgoObject {
  kind: 'Application' | 'ApplicationSet';
  name: string;
  namespace: string;
  spec: Record<string, unknown>;
}

/** A Flux object that says what Flux applies: its identity and its spec as plain JSON. */
export interface FluxObject {
  kind: 'Kustomization' | 'ArtifactGenerator';
  name: string;
  namespace: string;
  spec: Record<string, unknown>;
}

/**
 * Cheap tests before parsing: most YAML in a repository is neither Flux nor Argo CD, and
 * an install bundle that only mentions them (CRDs) has no top-level kind of theirs.
 */
const MARK_RE = /kustomize\.toolkit\.fluxcd\.io|source\.extensions\.fluxcd\.io|argoproj\.io/;
const KIND_RE = /^kind:[ \t]*["']?(Kustomization|Application|ApplicationSet|ArtifactGenerator)["']?[ \t]*(#.*)?$/m;
/** Larger files are not read for deploy references: these manifests are a few lines each. */
export const MAX_DEPLOY_MANIFEST_BYTES = 1024 * 1024;
/** Texts remembered across plans, keyed by content; big ones are parsed again instead of kept. */
const MEMO_MAX_TEXT = 64 * 1024;
const MAX_GENERATOR_DEPTH = 3;

const memo = new Map<string, DeployRefs | null>();

/** The deploy references in one file's text, or null when it holds none. */
export function deployRefs(text: string): DeployRefs | null {
  if (text.length > MAX_DEPLOY_MANIFEST_BYTES || !MARK_RE.test(text) || !KIND_RE.test(text)) return null;
  let r = memo.get(text);
  if (r === undefined) {
    r = parseRefs(text);
    if (text.length <= MEMO_MAX_TEXT) {
      if (memo.size > 20_000) memo.clear();
      memo.set(text, r);
    }
  }
  return r;
}

function parseRefs(text: string): DeployRefs | null {
  const out: DeployRefs = { paths: [], dirGlobs: [], excludeGlobs: [] };
  let docs: unknown[];
  try {
    docs = parseAllDocuments(text, GO_YAML).map((d) => (d.errors.length ? null : (d.toJS({ maxAliasCount: 100 }) as unknown)));
  } catch {
    return null;
  }
  for (const d of docs) {
    const doc = obj(d);
    if (!doc || typeof doc.apiVersion !== 'string') continue;
    const spec = obj(doc.spec);
    if (!spec) continue;
    if (doc.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/') && doc.kind === 'Kustomization') {
      // Flux reads spec.path from the source's root; without one it deploys the whole
      // repository, which is not an app of its own.
      addPath(out.paths, spec.path);
      fluxObject(out, 'Kustomization', doc, spec);
    } else if (doc.apiVersion.startsWith('source.extensions.fluxcd.io/') && doc.kind === 'ArtifactGenerator') {
      fluxObject(out, 'ArtifactGenerator', doc, spec);
    } else if (doc.apiVersion.startsWith('argoproj.io/') && doc.kind === 'Application') {
      sourcePaths(spec, (out.argoPaths ??= []));
      argoObject(out, 'Application', doc, spec);
    } else if (doc.apiVersion.startsWith('argoproj.io/') && doc.kind === 'ApplicationSet') {
      const tspec = obj(obj(spec.template)?.spec);
      if (tspec) sourcePaths(tspec, (out.argoPaths ??= []));
      generatorGlobs(spec.generators, out, 0);
      argoObject(out, 'ApplicationSet', doc, spec);
    }
  }
  if (out.argoPaths?.length === 0) delete out.argoPaths;
  return out.paths.length || out.argoPaths?.length || out.dirGlobs.length || out.flux?.length || out.argo?.length ? out : null;
}

function fluxObject(out: DeployRefs, kind: FluxObject['kind'], doc: Record<string, unknown>, spec: Record<string, unknown>): void {
  const meta = obj(doc.metadata);
  if (!meta || typeof meta.name !== 'string' || !meta.name) return;
  // Applied without a namespace, the object lands in `default`.
  const namespace = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'default';
  (out.flux ??= []).push({ kind, name: meta.name, namespace, spec });
}

function argoObject(out: DeployRefs, kind: ArgoObject['kind'], doc: Record<string, unknown>, spec: Record<string, unknown>): void {
  const meta = obj(doc.metadata);
  if (!meta || typeof meta.name !== 'string' || !meta.name) return;
  // Argo CD watches its own namespace unless told otherwise.
  const namespace = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'argocd';
  (out.argo ??= []).push({ kind, name: meta.name, namespace, spec });
}

function obj(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** A literal repository path; templated ones (`{{path}}`, `${VAR}`) are left to generators. */
function addPath(into: string[], v: unknown): void {
  if (typeof v !== 'string' || v.trim() === '' || v.includes('{{') || v.includes('${')) return;
  const p = resolveRepoPath('', v.trim());
  if (p !== null) into.push(p);
}

function sourcePaths(spec: Record<string, unknown>, into: string[]): void {
  const sources = [obj(spec.source), ...(Array.isArray(spec.sources) ? spec.sources.map(obj) : [])];
  for (const s of sources) {
    // A source with `chart` is a Helm repository chart; its path is not read.
    if (s && s.chart === undefined) addPath(into, s.path);
  }
}

function generatorGlobs(v: unknown, out: DeployRefs, depth: number): void {
  if (!Array.isArray(v) || depth > MAX_GENERATOR_DEPTH) return;
  for (const g of v.map(obj)) {
    if (!g) continue;
    const dirs = obj(g.git)?.directories;
    if (Array.isArray(dirs)) {
      for (const d of dirs.map(obj)) {
        if (!d || typeof d.path !== 'string') continue;
        const glob = d.path.trim().replace(/^\.\//, '').replace(/\/+$/, '');
        if (glob && glob.length <= 256 && !glob.startsWith('/')) (d.exclude === true ? out.excludeGlobs : out.dirGlobs).push(glob);
      }
    }
    // matrix and merge generators nest their own generators.
    for (const key of ['matrix', 'merge']) generatorGlobs(obj(g[key])?.generators, out, depth + 1);
  }
}

/**
 * Whether a folder matches a git directory generator glob: `*` and `?` within one folder
 * name, `[…]` a character, `**` any number of folders. Segments are matched with a table
 * (globs × path segments), so no input backtracks.
 */
export function matchDirGlob(glob: string, dir: string): boolean {
  const g = glob.split('/');
  const d = dir === '' ? [] : dir.split('/');
  // ok[j]: the glob's first i segments match the path's first j segments.
  let ok = new Array<boolean>(d.length + 1).fill(false);
  ok[0] = true;
  for (const seg of g) {
    const next = new Array<boolean>(d.length + 1).fill(false);
    if (seg === '**') {
      let any = false;
      for (let j = 0; j <= d.length; j++) {
        any ||= ok[j]!;
        next[j] = any;
      }
    } else {
      for (let j = 1; j <= d.length; j++) next[j] = ok[j - 1]! && matchSegment(seg, d[j - 1]!);
    }
    ok = next;
  }
  return ok[d.length]!;
}

/** One folder name against one glob segment: the classic two-pointer wildcard match (linear). */
export function matchSegment(p: string, s: string): boolean {
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    const c = p[pi];
    if (c === '[') {
      const end = p.indexOf(']', pi + 2);
      if (end > 0 && classMatches(p.slice(pi + 1, end), s[si]!)) {
        pi = end + 1;
        si++;
        continue;
      }
    } else if (pi < p.length && (c === '?' || c === s[si])) {
      pi++;
      si++;
      continue;
    }
    if (pi < p.length && c === '*') {
      star = pi++;
      mark = si;
    } else if (star >= 0) {
      pi = star + 1;
      si = ++mark;
    } else return false;
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}

function classMatches(cls: string, ch: string): boolean {
  const negate = cls[0] === '^' || cls[0] === '!';
  let hit = false;
  for (let i = negate ? 1 : 0; i < cls.length; i++) {
    if (cls[i + 1] === '-' && i + 2 < cls.length) {
      if (ch >= cls[i]! && ch <= cls[i + 2]!) hit = true;
      i += 2;
    } else if (cls[i] === ch) hit = true;
  }
  return hit !== negate;
}
