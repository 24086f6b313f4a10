import type { DiffIgnoreRule } from '../config/types.js';
import type { Resource, ResourceId } from '../types.js';

function applies(rule: DiffIgnoreRule, id: ResourceId): boolean {
  if (rule.kind !== undefined && rule.kind !== id.kind) return false;
  if (rule.namespace !== undefined && rule.namespace !== (id.namespace ?? '')) return false;
  if (rule.name !== undefined) {
    const prefix = rule.name.endsWith('*') ? rule.name.slice(0, -1) : null;
    if (prefix !== null ? !id.name.startsWith(prefix) : rule.name !== id.name) return false;
  }
  return true;
}

function segments(pointer: string): string[] {
  return pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Deletes what `segs` points at inside `node` (already a copy); `*` fans out over keys or items. */
function drop(node: unknown, segs: string[]): void {
  if (!node || typeof node !== 'object' || segs.length === 0) return;
  const [seg, ...rest] = segs as [string, ...string[]];
  const container = node as Record<string, unknown>;
  const keys = seg === '*' ? Object.keys(container) : Object.hasOwn(container, seg) ? [seg] : [];
  if (rest.length > 0) {
    for (const k of keys) drop(container[k], rest);
    return;
  }
  if (Array.isArray(node)) {
    // Highest index first, so the ones still to go keep their place.
    for (const k of keys.map(Number).filter(Number.isInteger).sort((a, b) => b - a)) node.splice(k, 1);
  } else for (const k of keys) delete container[k];
}

/**
 * The resources with every field `diff.ignore` names removed, for diffing only: matched
 * objects are copied, so validation and masking still see what was rendered.
 */
export function withoutIgnored(resources: Resource[], rules: DiffIgnoreRule[]): Resource[] {
  if (rules.length === 0) return resources;
  return resources.map((r) => {
    const matching = rules.filter((rule) => applies(rule, r.id));
    if (matching.length === 0) return r;
    const object = structuredClone(r.object);
    for (const rule of matching) for (const p of rule.paths) drop(object, segments(p));
    return { ...r, object };
  });
}
