/**
 * Strings parsed out of a document are slices that keep the whole document's text alive
 * (V8 sliced strings). A finding or a change kept for the plan's whole life must not pin
 * every file it mentions: these copy such strings out. Short strings are copied by V8
 * anyway; a copy costs the string's length, once.
 */
import type { Finding, ResourceChange } from '../types.js';

export function detach(s: string): string;
export function detach(s: string | null): string | null;
export function detach(s: string | null): string | null {
  // Concatenating flattens into a new string; slicing that leaves the old parent behind.
  return s === null || s.length < 13 ? s : (' ' + s).slice(1);
}

export function detachFinding(f: Finding): Finding {
  return { ...f, message: detach(f.message), file: detach(f.file), resource: detach(f.resource) };
}

export function detachChange(c: ResourceChange): ResourceChange {
  return { ...c, apiVersion: detach(c.apiVersion), kind: detach(c.kind), namespace: detach(c.namespace), name: detach(c.name), diff: detach(c.diff) };
}
