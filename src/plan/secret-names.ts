/**
 * Kustomize names a generated Secret `<name>-<hash>`, the hash taken over the Secret's
 * content. Shown on a pull request, the hash lets anyone brute-force a short value
 * offline, so the suffix of every generated Secret's name is masked wherever the plan
 * shows it: the change's name, every diff (the Secret's own `metadata.name` and each
 * reference to it — `secretKeyRef`, `envFrom`, volumes), and findings. The masked name
 * still says which Secret it is; pairing already ignores the suffix (see diff.ts).
 * ConfigMaps keep theirs: their content is in the diff anyway.
 */
import type { Finding, Resource, ResourceChange } from '../types.js';
import { HASH_SUFFIX } from './diff.js';

export const MASKED_SUFFIX = '-*****';

/** Hashed Secret name → the same name with its suffix masked. */
export function hashedSecretNames(...sides: Iterable<Resource>[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const side of sides) {
    for (const r of side) {
      if (r.id.kind === 'Secret' && HASH_SUFFIX.test(r.id.name)) out.set(r.id.name, r.id.name.replace(HASH_SUFFIX, MASKED_SUFFIX));
    }
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Masks the names in an app's changes and findings (both arrays are the caller's own). */
export function maskSecretNames(changes: ResourceChange[], findings: Finding[], names: Map<string, string>): void {
  if (names.size === 0) return;
  // Longest first, and not inside a longer name: `db-x-<hash>` must not eat `a-db-x-<hash>2`.
  const alternation = [...names.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
  const re = new RegExp(`(?<![A-Za-z0-9.-])(?:${alternation})(?![A-Za-z0-9.-])`, 'g');
  const mask = (s: string) => s.replace(re, (m) => names.get(m) ?? m);
  for (const c of changes) {
    c.name = mask(c.name);
    if (c.diff) c.diff = mask(c.diff);
  }
  // Findings may be shared with cached inputs: replace them, do not edit them.
  findings.forEach((f, i) => {
    findings[i] = { ...f, message: mask(f.message), resource: f.resource === null ? null : mask(f.resource) };
  });
}
