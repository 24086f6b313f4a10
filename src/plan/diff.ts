import { createTwoFilesPatch } from 'diff';
import jsyaml from 'js-yaml';
import type { Resource, ResourceChange, ResourceId } from '../types.js';
import { maskPair } from './mask.js';

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
  return jsyaml.dump(obj, { noRefs: true, lineWidth: -1, sortKeys: false });
}

function label(id: ResourceId): string {
  return id.namespace ? `${id.kind}/${id.namespace}/${id.name}` : `${id.kind}/${id.name}`;
}

export function unifiedDiff(beforeId: ResourceId, afterId: ResourceId, before: string, after: string): string | null {
  const patch = createTwoFilesPatch(`a/${label(beforeId)}`, `b/${label(afterId)}`, before, after, '', '', {
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
): ResourceChange | null {
  const [mb, ma] = maskPair(before, after);
  const b = mb ? toYaml(mb) : '';
  const a = ma ? toYaml(ma) : '';
  if (action === 'changed' && a === b) return null;
  const diff = unifiedDiff(beforeId, id, b, a);
  const out: ResourceChange = {
    action,
    apiVersion: id.apiVersion,
    kind: id.kind,
    namespace: id.namespace,
    name: id.name,
    diff,
  };
  if (diff === null) out.diffTooLarge = true;
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
 * Pairs base and head resources by identity and classifies each pair. An identity
 * defined more than once in one app (a duplicate-resource finding) pairs by order — 1st
 * with 1st, 2nd with 2nd — so a change to any one of them still shows, with a note
 * saying which. A generated ConfigMap/Secret whose hash suffix changed pairs with its
 * predecessor, so a config edit reads as a change. Output order is stable: kind,
 * namespace, name.
 */
export function diffResources(base: Resource[], head: Resource[]): ResourceChange[] {
  const baseByKey = byKey(base);
  const headByKey = byKey(head);

  const changes: ResourceChange[] = [];
  const unmatchedBase = new Map<string, Resource[]>();
  const unmatchedHead: Resource[] = [];
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
    } else push(change('removed', b.id, b.object, undefined), b);
  };

  for (const [key, hs] of headByKey) {
    const bs = baseByKey.get(key) ?? [];
    const n = Math.max(hs.length, bs.length);
    for (let i = 0; i < n; i++) {
      const h = hs[i];
      const b = bs[i];
      if (n > 1) notes.set((h ?? b)!, occurrence(i, n));
      if (h && b) push(change('changed', h.id, b.object, h.object), h);
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
    push(prev ? change('changed', h.id, prev.object, h.object, prev.id) : change('added', h.id, undefined, h.object), h);
  }
  for (const rest of unmatchedBase.values()) {
    for (const b of rest) push(change('removed', b.id, b.object, undefined), b);
  }
  return changes.sort((x, y) => (sortKey(x) < sortKey(y) ? -1 : sortKey(x) > sortKey(y) ? 1 : 0));
}
