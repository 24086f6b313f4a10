// Which Kustomize patch wrote a value of a rendered resource, and on which line. A
// finding about a value an overlay patched belongs at the patch, where it must be fixed;
// the origin annotation only names the file the resource was first defined in.
//
// Everything here runs only when a finding asks (see `patchTracer`), and claims a patch
// only when it can tell: an unreadable selector, a list without a merge key, or a value
// that differs from the rendered one leave the finding at the base line.
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, type Node, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Resource } from '../types.js';
import { isRemoteRef, kustomizationFileIn, resolveRepoPath } from './kustomization.js';
import { decodeManifest, MAX_GUARDED_DOC_BYTES } from './manifests.js';
import { mergeKeyOf } from './merge-keys.js';
import { targetMatches, type PatchTarget, type TargetSubject } from './patch-target.js';
import type { TreeFiles } from './render.js';
import { GO_YAML } from './yaml-numbers.js';

export interface PatchSite {
  file: string;
  line: number | null;
}

interface Patch {
  /** Where the patch text is written: its own file, or the kustomization for an inline patch. */
  file: string;
  /** A mapping (strategic merge) or a sequence of JSON6902 operations. */
  root: Node;
  line: (n: Node) => number | null;
  /** An explicit `target`, or, for an untargeted strategic-merge patch, its own identity. */
  target: PatchTarget | null;
  self: { group: string; kind: string; name: string; namespace: string | null } | null;
}

interface Kust {
  /** Folders or files, repository paths. */
  resources: string[];
  components: string[];
  kfile: string;
  /** In the order Kustomize applies them: patchesStrategicMerge, patches, patchesJson6902. */
  patches: Patch[];
  /** More patches than MAX_PATCHES: not traced. */
  overflow: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

const MAX_DEPTH = 64;
const IDENTITY = new Set(['/apiVersion', '/kind', '/metadata/name', '/metadata/namespace']);
/**
 * Patches one chain may hold. Past it (a base reached twice multiplies its patches) the
 * chain is not traced at all: dropping some could credit a value to an earlier patch.
 */
const MAX_PATCHES = 5000;

/** Appends within the cap; false when the cap was reached. */
function appendCapped<T>(into: T[], items: T[]): boolean {
  if (into.length + items.length > MAX_PATCHES) return false;
  for (const item of items) into.push(item);
  return true;
}

function scalarValue(map: YAMLMap, key: string): unknown {
  const n = map.get(key, true) as Node | undefined;
  return isScalar(n) ? n.value : undefined;
}

function pairOf(map: YAMLMap, key: string) {
  return map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
}

function segmentsOf(pointer: string): string[] {
  return pointer === '' ? [] : pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');
const versionOf = (apiVersion: string) => apiVersion.slice(apiVersion.indexOf('/') + 1);

function sameScalar(patch: unknown, rendered: unknown): boolean {
  if (rendered !== null && typeof rendered === 'object') return false;
  return String(patch) === String(rendered);
}

/** Parses the documents of a patch text; each document is one patch (its target is set by the caller). */
function parsePatches(text: string, file: string, line: (textLine: number) => number | null): Patch[] {
  const lc = new LineCounter();
  const out: Patch[] = [];
  let docs;
  try {
    docs = parseAllDocuments(text, { ...GO_YAML, lineCounter: lc, uniqueKeys: false, logLevel: 'silent' });
  } catch {
    return out;
  }
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const root = doc.contents as Node | null;
    if (doc.errors.length || !root || !(isMap(root) || isSeq(root))) continue;
    let self: Patch['self'] = null;
    if (isMap(root)) {
      const meta = root.get('metadata', true);
      const kind = scalarValue(root, 'kind');
      const name = isMap(meta) ? scalarValue(meta, 'name') : undefined;
      const apiVersion = scalarValue(root, 'apiVersion');
      const ns = isMap(meta) ? scalarValue(meta, 'namespace') : undefined;
      if (typeof kind === 'string' && typeof name === 'string') {
        self = { group: typeof apiVersion === 'string' ? groupOf(apiVersion) : '', kind, name, namespace: typeof ns === 'string' && ns ? ns : null };
      }
    }
    out.push({
      file, root, target: null, self,
      line: (n) => (n.range ? line(lc.linePos(n.range[0]).line) : null),
    });
  }
  return out;
}

function targetOf(node: unknown): PatchTarget | null {
  if (!isMap(node)) return null;
  const t: PatchTarget = {};
  for (const k of ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'] as const) {
    const v = scalarValue(node, k);
    if (v !== undefined && v !== null) t[k] = String(v);
  }
  return t;
}

/**
 * Lines of an inline patch inside its kustomization: a literal block scalar (`patch: |`)
 * keeps its lines, one for one, from the line after its indicator. Any other style folds
 * or escapes lines, so the `patch:` key's line is the best answer.
 */
function inlineLines(scalar: Scalar, keyLine: number | null, lc: LineCounter): (textLine: number) => number | null {
  if (scalar.type === 'BLOCK_LITERAL' && scalar.range) {
    const indicator = lc.linePos(scalar.range[0]).line;
    return (l) => indicator + l;
  }
  return () => keyLine;
}

/**
 * Builds the tracer of one render. Kustomizations and patch files are read and parsed
 * on first use, once each; nothing is read for a render without findings.
 */
export function patchTracer(tree: TreeFiles) {
  const kusts = new Map<string, Kust | null>();
  const patchFiles = new Map<string, Patch[]>();
  const chains = new Map<string, Patch[]>();

  const readText = (file: string): string | null => {
    const read = tree.readFile(file);
    if ('finding' in read) return null;
    // Traced with the position-tracking parser: within its bound, or not traced (the
    // finding keeps the base line).
    if (read.data.length > MAX_GUARDED_DOC_BYTES) return null;
    const decoded = decodeManifest(read.data, file);
    return 'text' in decoded ? decoded.text : null;
  };

  const patchFile = (file: string): Patch[] => {
    let p = patchFiles.get(file);
    if (!p) {
      const text = readText(file);
      p = text === null ? [] : parsePatches(text, file, (l) => l);
      patchFiles.set(file, p);
    }
    return p;
  };

  const loadKust = (dir: string): Kust | null => {
    if (kusts.has(dir)) return kusts.get(dir)!;
    kusts.set(dir, null);
    const kfile = kustomizationFileIn(dir, tree.has);
    const text = kfile ? readText(kfile) : null;
    if (!kfile || text === null) return null;
    const lc = new LineCounter();
    const doc = parseDocument(text, { ...GO_YAML, lineCounter: lc, uniqueKeys: false, logLevel: 'silent' });
    const root = doc.contents;
    if (doc.errors.length || !isMap(root)) return null;
    const list = (key: string): Node[] => {
      const n = root.get(key, true);
      return isSeq(n) ? (n.items as Node[]) : [];
    };
    const refs = (key: string) =>
      list(key).flatMap((n) => {
        if (!isScalar(n) || typeof n.value !== 'string' || isRemoteRef(n.value)) return [];
        const p = resolveRepoPath(dir, n.value);
        return p === null ? [] : [p];
      });
    const lineOf = (n: Node | null | undefined) => (n?.range ? lc.linePos(n.range[0]).line : null);
    const patches: Patch[] = [];
    let overflow = false;
    const fromEntry = (value: Node | null | undefined, keyNode: Node | null | undefined, target: PatchTarget | null, isPath: boolean) => {
      if (overflow || !isScalar(value) || typeof value.value !== 'string') return;
      let docs: Patch[] = [];
      if (!isPath) docs = parsePatches(value.value, kfile, inlineLines(value, lineOf(keyNode), lc));
      else if (!isRemoteRef(value.value)) {
        const p = resolveRepoPath(dir, value.value);
        if (p !== null) docs = patchFile(p);
      }
      // Without a target, a patch names its resource itself (a JSON6902 list cannot).
      for (const d of docs) if (target || d.self) patches.push({ ...d, target });
      if (patches.length > MAX_PATCHES) overflow = true;
    };
    for (const n of list('patchesStrategicMerge')) {
      // A string with a newline is an inline patch; anything else names a file.
      if (isScalar(n) && typeof n.value === 'string') fromEntry(n, n, null, !n.value.includes('\n'));
    }
    for (const key of ['patches', 'patchesJson6902']) {
      for (const n of list(key)) {
        if (!isMap(n)) continue;
        const target = targetOf(n.get('target', true));
        if (key === 'patchesJson6902' && !target) continue;
        const path = pairOf(n, 'path');
        const inline = pairOf(n, 'patch');
        if (path) fromEntry(path.value as Node, path.key as Node, target, true);
        else if (inline) fromEntry(inline.value as Node, inline.key as Node, target, false);
      }
    }
    const k: Kust = { resources: [...refs('resources'), ...refs('bases')], components: refs('components'), kfile, patches, overflow };
    kusts.set(dir, k);
    return k;
  };

  /**
   * The patches that reach resources first written in `origin`, in the order Kustomize
   * applies them: a base's before its overlay's, a component's before its parent's own
   * (a component applies to everything its parent has accumulated).
   */
  const chainFor = (appDir: string, origin: string): Patch[] => {
    const memoKey = `${appDir}\0${origin}`;
    const cached = chains.get(memoKey);
    if (cached) return cached;
    const memo = new Map<string, { reached: boolean; patches: Patch[] }>();
    let overflow = false;
    const walk = (dir: string, inherited: boolean, depth: number): { reached: boolean; patches: Patch[] } => {
      const key = `${inherited ? 1 : 0}${dir}`;
      const seen = memo.get(key);
      if (seen) return seen;
      const none = { reached: false, patches: [] };
      memo.set(key, none); // a cycle reaches nothing
      const k = depth > MAX_DEPTH ? null : loadKust(dir);
      if (!k) return none;
      let reached = inherited || k.kfile === origin;
      const patches: Patch[] = [];
      for (const r of k.resources) {
        if (r === origin) reached = true;
        else if (kustomizationFileIn(r, tree.has)) {
          const sub = walk(r, false, depth + 1);
          if (sub.reached) {
            reached = true;
            if (!appendCapped(patches, sub.patches)) overflow = true;
          }
        }
      }
      for (const c of k.components) {
        const sub = walk(c, reached, depth + 1);
        if (sub.reached) {
          reached = true;
          if (!appendCapped(patches, sub.patches)) overflow = true;
        }
      }
      if (reached && (k.overflow || !appendCapped(patches, k.patches))) overflow = true;
      const result = { reached, patches };
      memo.set(key, result);
      return result;
    };
    const walked = walk(appDir, false, 0).patches;
    const chain = overflow ? [] : walked;
    chains.set(memoKey, chain);
    return chain;
  };

  /**
   * A resource's `patchedAt`: for a JSON pointer, the patch that last set the value
   * there, or null when none did (the value is the base's, or cannot be told).
   */
  return (appDir: string, res: Resource, origin: string, base: Obj | null) => {
    let applied: Patch[] | null = null;
    return (pointer: string): PatchSite | null => {
      if (!applied) {
        const subject = subjectOf(res, base);
        applied = chainFor(appDir, origin).filter((p) => applies(p, subject));
      }
      const segs = segmentsOf(pointer);
      for (let i = applied.length - 1; i >= 0; i--) {
        const p = applied[i]!;
        // A strategic-merge patch names its resource with these fields; it does not write them.
        if (!isSeq(p.root) && IDENTITY.has(pointer)) continue;
        const at = isSeq(p.root) ? jsonPatchSite(p.root, res.object, segs) : mergePatchSite(p.root as YAMLMap, res.object, base, segs);
        if (at === 'stop') return null;
        if (at) return { file: p.file, line: p.line(at) };
      }
      return null;
    };
  };
}

function labelsOf(obj: Obj, field: 'labels' | 'annotations'): Record<string, string> {
  const v = isObj(obj.metadata) ? obj.metadata[field] : undefined;
  return isObj(v) ? (v as Record<string, string>) : {};
}

function subjectOf(res: Resource, base: Obj | null): TargetSubject {
  const baseMeta = isObj(base?.metadata) ? (base!.metadata as Obj) : {};
  const names = [res.id.name, ...(typeof baseMeta.name === 'string' ? [baseMeta.name] : [])];
  const namespaces = [res.id.namespace ?? '', ...(typeof baseMeta.namespace === 'string' ? [baseMeta.namespace] : [])];
  return {
    group: groupOf(res.id.apiVersion),
    version: versionOf(res.id.apiVersion),
    kind: res.id.kind,
    names,
    namespaces,
    labels: [labelsOf(res.object, 'labels'), ...(base ? [labelsOf(base, 'labels')] : [])],
    annotations: [labelsOf(res.object, 'annotations'), ...(base ? [labelsOf(base, 'annotations')] : [])],
  };
}

function applies(p: Patch, s: TargetSubject): boolean {
  if (p.target) return targetMatches(p.target, s) === true;
  const self = p.self!;
  return self.kind === s.kind && self.group === s.group && s.names.includes(self.name) && (self.namespace === null || s.namespaces.includes(self.namespace));
}

/**
 * Walks a strategic-merge patch along the pointer, beside the rendered object (for the
 * merge keys of list items) and the base (to tell whether the patch added a whole object).
 * Returns the node to point at, null when the patch does not set the value, or 'stop'
 * when it set it but the rendered value differs (something later rewrote it).
 */
function mergePatchSite(root: YAMLMap, rendered: unknown, base: unknown, segs: string[]): Node | null | 'stop' {
  let node: unknown = root;
  let at: Node = root;
  let r = rendered;
  let b = base;
  let list = '';
  let replaced = false;
  for (const seg of segs) {
    if (isMap(node)) {
      if (scalarValue(node, '$patch') === 'replace') replaced = true;
      const pair = pairOf(node, seg);
      if (!pair) return null;
      at = pair.key as Node;
      node = pair.value;
      r = isObj(r) ? r[seg] : undefined;
      b = isObj(b) ? b[seg] : undefined;
      list = seg;
    } else if (isSeq(node)) {
      if (!Array.isArray(r) || !/^\d+$/.test(seg)) return null;
      const item: unknown = r[Number(seg)];
      const key = mergeKeyOf(list, item);
      if (!key) return null;
      const want = String((item as Obj)[key]);
      const found = node.items.find((i): i is YAMLMap => isMap(i) && sameScalar(scalarValue(i, key), want));
      if (!found) return null;
      at = found;
      node = found;
      r = item;
      b = Array.isArray(b) ? b.find((x) => isObj(x) && String(x[key]) === want) : undefined;
    } else return null;
  }
  if (isScalar(node)) return sameScalar(node.value, r) ? at : 'stop';
  if (!isMap(node) && !isSeq(node)) return null;
  // A whole object the base lacks, or one the patch replaces, came from the patch.
  return (base !== null && b === undefined) || replaced ? at : null;
}

/**
 * The last operation of a JSON6902 patch whose path is the pointer or one of its
 * ancestors (`-`, an append, stands for the rendered list's last item). Its `value` is
 * where the rendered value was written.
 */
function jsonPatchSite(ops: YAMLSeq, rendered: unknown, segs: string[]): Node | null | 'stop' {
  for (let i = ops.items.length - 1; i >= 0; i--) {
    const op = ops.items[i];
    if (!isMap(op)) continue;
    const path = scalarValue(op, 'path');
    const kind = scalarValue(op, 'op');
    if (typeof path !== 'string' || !path.startsWith('/')) continue;
    const q = segmentsOf(path);
    if (q.length > segs.length || !isPrefix(q, segs, rendered)) continue;
    if (kind === 'move' || kind === 'copy') return 'stop';
    if (kind !== 'add' && kind !== 'replace') continue;
    const value = pairOf(op, 'value');
    if (!value) continue;
    let node = value.value as unknown;
    let at = value.key as Node;
    for (const seg of segs.slice(q.length)) {
      if (isMap(node)) {
        const pair = pairOf(node, seg);
        if (!pair) return 'stop';
        at = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && /^\d+$/.test(seg) && node.items[Number(seg)] !== undefined) {
        node = node.items[Number(seg)];
        at = node as Node;
      } else return 'stop';
    }
    if (isScalar(node)) return sameScalar(node.value, valueAt(rendered, segs)) ? at : 'stop';
    return isMap(node) || isSeq(node) ? at : 'stop';
  }
  return null;
}

function valueAt(root: unknown, segs: string[]): unknown {
  let v = root;
  for (const s of segs) {
    if (Array.isArray(v)) v = /^\d+$/.test(s) ? v[Number(s)] : undefined;
    else if (isObj(v)) v = v[s];
    else return undefined;
  }
  return v;
}

function isPrefix(q: string[], segs: string[], rendered: unknown): boolean {
  for (let i = 0; i < q.length; i++) {
    if (q[i] === segs[i]) continue;
    if (q[i] !== '-') return false;
    const list = valueAt(rendered, segs.slice(0, i));
    if (!Array.isArray(list) || Number(segs[i]) !== list.length - 1) return false;
  }
  return true;
}
