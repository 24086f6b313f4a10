import { mayDefineHelmSource, mayHoldHelmRelease } from './helm-mark.js';
import path from 'node:path';
import { KUSTOMIZATION_FILES, parsedRefs, treeReader, type KustomizationRefs } from '../render/kustomization.js';
import { decodeManifest, looksLikeManifest, parseSourceManifests } from '../render/manifests.js';
import type { TreeFiles } from '../render/render.js';
import type { Finding, Resource } from '../types.js';
import { ReadLimitError } from '../workspace/limits.js';
import { escapeMessage, resolveInTree, SYMLINK_MODE } from '../workspace/links.js';
import type { Tree } from '../workspace/workspace.js';
import type { TreeView } from './discover.js';
import { noteCrdMention } from './crds.js';
import { deployRefs, type DeployRefs } from './gitops.js';
import { shallowReads } from './reach.js';
import { applicationSetReads } from './applicationset.js';

/** Paths with `.`, `..` or empty components, or a leading or trailing slash: resolved step by step. */
const ABNORMAL_PATH_RE = /(?:^|\/)\.{1,2}(?:\/|$)|\/\/|^\/|\/$/;

/** One side of a plan (base or head): the commit's tree seen by discovery and by renderers. */
export interface Side {
  tree: Tree;
  view: TreeView;
  files: TreeFiles;
  /** Files discovery could not read because of a size limit (plan-level findings). */
  limited: Finding[];
}

function escapeFinding(file: string, target: string): Finding {
  return {
    severity: 'error', rule: 'path-escape', file, line: null, resource: null,
    message: escapeMessage(target),
  };
}

function limitFinding(err: ReadLimitError): Finding {
  return { severity: 'error', rule: 'file-too-large', file: err.path, line: null, resource: null, message: err.message };
}

/** Source text kept parsed per side for tracing (least recently used goes first). */
const SOURCE_CACHE_BYTES = 8 * 2 ** 20;

export function sideOf(tree: Tree): Side {
  const limited: Finding[] = [];
  // Discovery and input collection read kustomizations and loose YAML: one over a limit
  // reads as empty, and the plan says so once.
  const text = (p: string) => {
    try {
      return tree.read(p).toString('utf8');
    } catch (err) {
      if (!(err instanceof ReadLimitError)) throw err;
      if (!limited.some((f) => f.file === p)) limited.push(limitFinding(err));
      return '';
    }
  };
  const reader = treeReader(tree.index, text);
  // Parsed source files, for tracing rendered resources to lines. Bounded: overlays that
  // share a base reuse its parse, but a plan over thousands of apps must not keep every
  // file it ever traced (parsed values keep their file's text alive).
  const sources = new Map<string, { resources: Resource[]; bytes: number }>();
  let sourceBytes = 0;
  const links = [...tree.index].filter(([, e]) => e.mode === SYMLINK_MODE).map(([p]) => p);
  const resolveLink = (p: string): { kind: 'file' | 'dir'; path: string } | null => {
    try {
      const r = resolveInTree(tree.index, reader.isDir, (l) => tree.read(l).toString('utf8'), p);
      return r.kind === 'file' || r.kind === 'dir' ? r : null;
    } catch {
      return null;
    }
  };
  const facts = (p: string) => {
    const oid = tree.index.get(p)?.oid;
    return oid === undefined ? undefined : factsByOid.get(oid);
  };
  // Kustomizations are kept, not scanned: whether one may hold a HelmRelease is learnt
  // when it is first read, and remembered by blob id (a re-plan does not read it again).
  const kustomizationMark = (p: string): boolean | undefined => {
    const oid = tree.index.get(p)?.oid;
    if (oid === undefined || !KUSTOMIZATION_FILES.includes(path.posix.basename(p))) return undefined;
    let mark = marksByOid.get(oid);
    if (mark === undefined) {
      const t = view.peek!(p);
      if (t === null) return undefined;
      if (marksByOid.size >= MAX_REFS) marksByOid.clear();
      marksByOid.set(oid, (mark = mayHoldHelmRelease(t)));
    }
    return mark;
  };
  const view: TreeView = {
    links,
    isManifest: (p) => facts(p)?.manifest ?? looksLikeManifest(text(p)),
    mayHoldHelmRelease: (p) => facts(p)?.helmRelease ?? kustomizationMark(p),
    mayDefineHelmSource: (p) => facts(p)?.helmSource,
    deployRefs: (p) => {
      const f = facts(p);
      if (f) return f.refs;
      // Scanned, not rendered: a file over a read limit is simply not a GitOps manifest.
      const t = view.peek!(p);
      return t === null ? null : deployRefs(t);
    },
    resolveLink,
    kustomizationRefs: (p) => {
      const oid = tree.index.get(p)?.oid;
      const known = oid === undefined ? undefined : refsByOid.get(oid);
      if (known !== undefined) return known;
      const before = limited.length;
      const refs = parsedRefs(text(p));
      // Over a read limit it read as empty: said on this plan, not remembered.
      if (oid !== undefined && limited.length === before) {
        if (refsByOid.size >= MAX_REFS) refsByOid.clear();
        refsByOid.set(oid, refs);
      }
      return refs;
    },
    // A fresh iterator per use: discovery and input collection each walk the listing.
    get files() {
      return tree.index.keys();
    },
    has: reader.has,
    isDir: reader.isDir,
    read: text,
    peek: (p) => {
      try {
        return tree.read(p).toString('utf8');
      } catch (err) {
        if (err instanceof ReadLimitError) return null;
        throw err;
      }
    },
  };
  const readFile = (file: string): { data: Buffer } | { finding: Finding } => {
    try {
      // A regular file listed under its own, normal path resolves to itself: a git tree
      // cannot hold a file below a symlink, so no component of its path is one.
      const entry = tree.index.get(file);
      if (entry && entry.mode !== SYMLINK_MODE && !ABNORMAL_PATH_RE.test(file)) return { data: tree.read(file) };
      const r = resolveInTree(tree.index, reader.isDir, (l) => tree.read(l).toString('utf8'), file);
      if (r.kind === 'file') return { data: tree.read(r.path) };
      if (r.kind === 'escape') return { finding: escapeFinding(file, r.target) };
    } catch (err) {
      if (err instanceof ReadLimitError) return { finding: limitFinding(err) };
      throw err;
    }
    return {
      finding: { severity: 'error', rule: 'yaml-error', file, line: null, resource: null, message: 'cannot read file (dangling or looping symlink)' },
    };
  };
  const files: TreeFiles = {
    root: tree.dir,
    has: reader.has,
    readFile,
    source(file) {
      const hit = sources.get(file);
      if (hit) {
        sources.delete(file);
        sources.set(file, hit);
        return hit.resources;
      }
      const read = readFile(file);
      const decoded = 'data' in read ? decodeManifest(read.data, file) : null;
      const resources = decoded && 'text' in decoded ? parseSourceManifests(decoded.text, file).resources : [];
      const bytes = decoded && 'text' in decoded ? decoded.text.length : 0;
      sources.set(file, { resources, bytes });
      sourceBytes += bytes;
      for (const [f, e] of sources) {
        if (sourceBytes <= SOURCE_CACHE_BYTES || f === file) break;
        sources.delete(f);
        sourceBytes -= e.bytes;
      }
      return resources;
    },
  };
  return { tree, view, files, limited };
}


/** What discovery needs to know of a manifest file, from one look at its content. */
interface FileFacts {
  manifest: boolean;
  refs: DeployRefs | null;
  /** The text may hold a Flux HelmRelease (helm-mark.ts). */
  helmRelease: boolean;
  /** The text may define a HelmRelease's values or chart source (helm-mark.ts). */
  helmSource: boolean;
}

/**
 * Whether discovery learnt the same of a file at two commits (both scanned): is it a
 * manifest, what does it deploy.
 */
export function sameDiscoveryFacts(a: Tree, b: Tree, p: string): boolean {
  const ea = a.index.get(p);
  const eb = b.index.get(p);
  if (!ea || !eb) return false;
  const fa = factsByOid.get(ea.oid);
  const fb = factsByOid.get(eb.oid);
  return !!fa && !!fb && fa.manifest === fb.manifest && JSON.stringify(fa.refs) === JSON.stringify(fb.refs);
}

/**
 * Whether discovery at base would find what it found at head, so base need not run it:
 * every changed file is an edit (same path, same mode, on both sides: the listing is the
 * same), none is a kustomization or Chart.yaml, none was read by head's discovery (a
 * transformer configuration a kustomization names), and each YAML file among them is
 * the same to discovery (a manifest or not, deploying the same folders). Symlinks on
 * either side: no.
 */
export function sameDiscovery(base: Side, head: Side, changed: readonly string[]): boolean {
  if (base.view.links?.length || head.view.links?.length) return false;
  const read = shallowReads(head.view);
  // A config file an ApplicationSet's git files generator reads makes its Applications.
  const generated = applicationSetReads(head.view);
  for (const p of changed) {
    if (generated.has(p)) return false;
    const a = base.tree.index.get(p);
    const b = head.tree.index.get(p);
    if (!a || !b || a.mode !== b.mode || a.mode === SYMLINK_MODE) return false;
    const name = path.posix.basename(p);
    if (KUSTOMIZATION_FILES.includes(name) || name === 'Chart.yaml' || read.has(p)) return false;
    if (/\.(ya?ml|json)$/i.test(name) && !sameDiscoveryFacts(base.tree, head.tree, p)) return false;
  }
  return true;
}

/**
 * Kustomization blob id → its references: a re-plan reads no kustomization it has seen
 * (most of a monorepo's are the same at base, head and the next push).
 */
const refsByOid = new Map<string, KustomizationRefs | string>();
/** Kustomization blob id → whether it may hold a HelmRelease. */
const marksByOid = new Map<string, boolean>();
const MAX_REFS = 200_000;

/** Blob id → its facts; blobs never change, so a re-plan reads only blobs it has not seen. */
const factsByOid = new Map<string, FileFacts>();
const MAX_FACTS = 500_000;

/**
 * Reads what discovery needs from a tree without holding the commit: kustomizations
 * and symlinks are kept (input collection reads them again and again), every other
 * manifest file is read once, looked at (is it a manifest, does it name folders a
 * GitOps controller deploys, does it define CRDs) and dropped.
 */
export async function scanForDiscovery(tree: Tree, keep: readonly string[] = []): Promise<void> {
  // `keep`: files the plan reads whole later (its config): read in this batch, not one git process each.
  const kept: string[] = keep.filter((p) => tree.index.has(p));
  const kustomizations: string[] = [];
  const scanned: string[] = [];
  for (const p of discoveryReads(tree.index)) {
    const oid = tree.index.get(p)!.oid;
    // Kustomizations are kept for the walks, unless their references are known by blob id.
    if (KUSTOMIZATION_FILES.includes(path.posix.basename(p))) {
      if (!refsByOid.has(oid) || !marksByOid.has(oid)) {
        kept.push(p);
        kustomizations.push(p);
      }
    } else if (!factsByOid.has(oid)) scanned.push(p);
  }
  for (const [p, e] of tree.index) if (e.mode === SYMLINK_MODE) kept.push(p);
  await tree.preload(kept);
  // Their HelmRelease marks now, while they are held: a re-plan keeps none whose references it knows.
  if (marksByOid.size + kustomizations.length > MAX_REFS) marksByOid.clear();
  for (const p of kustomizations) {
    const oid = tree.index.get(p)!.oid;
    if (marksByOid.has(oid)) continue;
    try {
      marksByOid.set(oid, mayHoldHelmRelease(tree.read(p).toString('utf8')));
    } catch (err) {
      if (!(err instanceof ReadLimitError)) throw err;
    }
  }
  if (factsByOid.size + scanned.length > MAX_FACTS) factsByOid.clear();
  await tree.scan(scanned, (p, data) => {
    const oid = tree.index.get(p)!.oid;
    if (factsByOid.has(oid)) return;
    const text = data.toString('utf8');
    factsByOid.set(oid, { manifest: looksLikeManifest(text), refs: deployRefs(text), helmRelease: mayHoldHelmRelease(text), helmSource: mayDefineHelmSource(text) });
    noteCrdMention(oid, data);
  });
}

/**
 * Blobs discovery and input collection read: kustomizations, and every YAML file outside
 * Helm charts (loose manifests, and Flux or Argo CD manifests naming the folders they
 * deploy, which may sit beside a kustomization).
 */
export function discoveryReads(index: Map<string, unknown>): string[] {
  const charts = new Set<string>();
  for (const p of index.keys()) if (path.posix.basename(p) === 'Chart.yaml') charts.add(path.posix.dirname(p));
  const inChart = (p: string) => {
    for (let d = path.posix.dirname(p); ; d = path.posix.dirname(d)) {
      if (charts.has(d)) return true;
      if (d === '.' || d === '/') return false;
    }
  };
  const out: string[] = [];
  for (const p of index.keys()) {
    if (KUSTOMIZATION_FILES.includes(path.posix.basename(p))) out.push(p);
    else if (/\.(ya?ml|json)$/i.test(p) && !(charts.size && inChart(p))) out.push(p);
  }
  return out;
}
