import { createTwoFilesPatch } from 'diff';
import jsyaml from 'js-yaml';
import { DUMP_SCHEMA } from '../render/yaml-numbers.js';
import type { Resource, ResourceChange, ResourceId } from '../types.js';
import { maskPair } from './mask.js';
import { append } from '../util/append.js';

/** Past this many edit operations a diff is abandoned: it would not be read anyway. */
export const MAX_EDIT_LENGTH = 2000;
const DIFF_TIMEOUT_MS = 2000;

/** Group of an apiVersion: `apps/v1` → `apps`, `v1` → ``; versions of one group pair. */
function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** Kustomize's generated names end in a 10-character content hash. */
export const HASH_SUFFIX = /-[bcdfghkmt2-9]{10}$/;
const HASHED_KINDS = new Set(['ConfigMap', 'Secret']);

export function pairingKey(id: ResourceId): string {
  return `${groupOf(id.apiVersion)}|${id.kind}|${id.namespace ?? ''}|${id.name}`;
}

function unhashedKey(id: ResourceId): string | null {
  if (!HASHED_KINDS.has(id.kind) || !HASH_SUFFIX.test(id.name)) return null;
  return `${groupOf(id.apiVersion)}|${id.kind}|${id.namespace ?? ''}|${id.name.replace(HASH_SUFFIX, '')}`;
}

export function toYaml(obj: Record<string, unknown>): string {
  return jsyaml.dump(obj, { noRefs: true, lineWidth: -1, sortKeys: false, schema: DUMP_SCHEMA });
}

function label(id: ResourceId): string {
  return id.namespace ? `${id.kind}/${id.namespace}/${id.name}` : `${id.kind}/${id.name}`;
}

/**
 * An added resource's diff comes from /dev/null and a removed one's goes to it, as `git
 * diff` writes a new or deleted file: a reader (and `patch`) sees at once which it is.
 */
export function unifiedDiff(beforeId: ResourceId | null, afterId: ResourceId | null, before: string, after: string): string | null {
  const from = beforeId ? `a/${label(beforeId)}` : '/dev/null';
  const to = afterId ? `b/${label(afterId)}` : '/dev/null';
  const patch = createTwoFilesPatch(from, to, before, after, '', '', {
    context: 3,
    maxEditLength: MAX_EDIT_LENGTH,
    timeout: DIFF_TIMEOUT_MS,
  });
  if (patch === undefined) return null;
  // jsdiff's `=====` separator and the tab after each file name carry nothing for a reader.
  return patch.replace(/^(Index: .*\n)?=+\n/, '').replace(/^(---|\+\+\+) (.*)\t$/gm, '$1 $2');
}

function change(
  action: ResourceChange['action'],
  id: ResourceId,
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
  beforeId: ResourceId = id,
  producer?: string,
): ResourceChange | null {
  const [mb, ma] = maskPair(before, after);
  const b = mb ? toYaml(mb) : '';
  const a = ma ? toYaml(ma) : '';
  if (action === 'changed' && a === b) return null;
  const diff = unifiedDiff(action === 'added' ? null : beforeId, action === 'removed' ? null : id, b, a);
  const out: ResourceChange = {
    action,
    apiVersion: id.apiVersion,
    kind: id.kind,
    namespace: id.namespace,
    name: id.name,
    diff,
  };
  if (diff === null) out.diffTooLarge = true;
  if (producer) out.producer = producer;
  return out;
}

function sortKey(c: ResourceChange): string {
  return `${c.kind}\0${c.namespace ?? ''}\0${c.name}\0${c.action}`;
}

function occurrence(i: number, n: number): string {
  return `definition ${i + 1} of ${n} with this identity in the app (paired by order)`;
}

function byKey(resources: Resource[]): Map<string, Resource[]> {
  const m = new Map<string, Resource[]>();
  for (const r of resources) {
    const k = pairingKey(r.id);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/**
 * Key of a name that ends in a random-looking suffix, as Helm's `randAlphaNum 5 | lower`
 * makes (`shop-test-x7k2q`): same kind, namespace, prefix and suffix length, rendered
 * from the same template file (Helm's `# Source:`), as a regenerated name is.
 */
function randomSuffixKey(r: Resource, generates: (file: string) => boolean): string | null {
  const { id } = r;
  const i = id.name.lastIndexOf('-');
  const suffix = id.name.slice(i + 1);
  if (i < 0 || !RANDOM_SUFFIX.test(suffix)) return null;
  // Only a template that calls a random function makes a new name on every render
  // (asked last: it may read the chart's templates).
  if (!r.source?.file || !generates(r.source.file)) return null;
  return `${groupOf(id.apiVersion)}|${id.kind}|${id.namespace ?? ''}|${id.name.slice(0, i + 1)}|${suffix.length}|${r.source.file}`;
}
const RANDOM_SUFFIX = /^[a-z0-9]{5,}$/;

/** Every string in `v` with `from` replaced by `to`: the name-bearing fields of a renamed object. */
function renamed(v: unknown, from: string, to: string): unknown {
  if (typeof v === 'string') return v.split(from).join(to);
  if (Array.isArray(v)) return v.map((x) => renamed(x, from, to));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renamed(x, from, to)]));
  return v;
}

/** The object with its own name blanked wherever it appears: equal for two renders that differ only in the name. */
function shape(r: Resource): string {
  return toYaml(renamed(r.object, r.id.name, '\0') as Record<string, unknown>);
}

/**
 * Pairs removed and added resources whose names differ only in a generated random suffix:
 * such a name is new on every render, so without this every plan of the app would show
 * the same resources removed and added. Same content apart from the name: one resource,
 * unchanged (`same`). A lone pair with different content: one change.
 */
function pairGeneratedNames(gone: Resource[], fresh: Resource[], generates: (file: string) => boolean): { pairs: Array<{ b: Resource; h: Resource; same: boolean }>; gone: Resource[]; fresh: Resource[] } {
  const groups = new Map<string, { bs: Resource[]; hs: Resource[] }>();
  const groupOfRes = (r: Resource) => {
    const k = randomSuffixKey(r, generates);
    if (!k) return null;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { bs: [], hs: [] }));
    return g;
  };
  for (const b of gone) groupOfRes(b)?.bs.push(b);
  for (const h of fresh) groupOfRes(h)?.hs.push(h);
  const pairs: Array<{ b: Resource; h: Resource; same: boolean }> = [];
  const paired = new Set<Resource>();
  for (const { bs, hs } of groups.values()) {
    if (bs.length === 0 || hs.length === 0) continue;
    // Each object is dumped once; pairs are found by lookup, not by comparing every two.
    const byShape = new Map<string, Resource[]>();
    for (const h of hs) {
      const k = shape(h);
      const list = byShape.get(k);
      if (list) list.push(h);
      else byShape.set(k, [h]);
    }
    for (const b of bs) {
      const h = byShape.get(shape(b))?.shift();
      if (!h) continue;
      pairs.push({ b, h, same: true });
      paired.add(b).add(h);
    }
    if (bs.length === 1 && hs.length === 1 && !paired.has(bs[0]!)) {
      pairs.push({ b: bs[0]!, h: hs[0]!, same: false });
      paired.add(bs[0]!).add(hs[0]!);
    }
  }
  return { pairs, gone: gone.filter((r) => !paired.has(r)), fresh: fresh.filter((r) => !paired.has(r)) };
}

export interface DiffOptions {
  /**
   * Pair names that differ only in a random suffix, for resources rendered from a file
   * this says generates names (a Helm template calling randAlphaNum and the like).
   * Anywhere else a new suffix is a real rename (`pg-primary` → `pg-replica`).
   */
  generatedNames?: (file: string) => boolean;
}

export function diffResources(base: Resource[], head: Resource[], opts: DiffOptions = {}): ResourceChange[] {
  const baseByKey = byKey(base);
  const headByKey = byKey(head);

  const changes: ResourceChange[] = [];
  const unmatchedBase = new Map<string, Resource[]>();
  const unmatchedHead: Resource[] = [];
  const gone: Resource[] = [];
  const fresh: Resource[] = [];
  const notes = new Map<Resource, string>();
  const push = (c: ResourceChange | null, r: Resource) => {
    if (!c) return;
    const note = notes.get(r);
    if (note) c.note = note;
    changes.push(c);
  };
  const removed = (b: Resource) => {
    const uk = unhashedKey(b.id);
    if (uk) {
      const list = unmatchedBase.get(uk) ?? [];
      list.push(b);
      unmatchedBase.set(uk, list);
    } else gone.push(b);
  };

  for (const [key, hs] of headByKey) {
    const bs = baseByKey.get(key) ?? [];
    const n = Math.max(hs.length, bs.length);
    for (let i = 0; i < n; i++) {
      const h = hs[i];
      const b = bs[i];
      if (n > 1) notes.set((h ?? b)!, occurrence(i, n));
      if (h && b) push(change('changed', h.id, b.object, h.object, h.id, h.producer ?? b.producer), h);
      else if (h) unmatchedHead.push(h);
      else removed(b!);
    }
  }
  for (const [key, bs] of baseByKey) {
    if (headByKey.has(key)) continue;
    if (bs.length > 1) bs.forEach((b, i) => notes.set(b, occurrence(i, bs.length)));
    bs.forEach(removed);
  }
  for (const h of unmatchedHead) {
    const uk = unhashedKey(h.id);
    const prev = uk ? unmatchedBase.get(uk)?.shift() : undefined;
    if (prev) push(change('changed', h.id, prev.object, h.object, prev.id, h.producer ?? prev.producer), h);
    else fresh.push(h);
  }
  for (const rest of unmatchedBase.values()) append(gone, rest);

  const generated = opts.generatedNames ? pairGeneratedNames(gone, fresh, opts.generatedNames) : { pairs: [], gone, fresh };
  for (const { b, h, same } of generated.pairs) {
    if (same) continue;
    notes.set(h, `name ends in a generated suffix: paired with ${b.id.name}`);
    push(change('changed', h.id, b.object, h.object, b.id, h.producer ?? b.producer), h);
  }
  for (const b of generated.gone) push(change('removed', b.id, b.object, undefined, b.id, b.producer), b);
  for (const h of generated.fresh) push(change('added', h.id, undefined, h.object, h.id, h.producer), h);
  return changes.sort((x, y) => (sortKey(x) < sortKey(y) ? -1 : sortKey(x) > sortKey(y) ? 1 : 0));
}
