import type { Finding, Resource, ResourceChange } from '../types.js';
import type { DiffIgnoreRule } from '../config/types.js';
import { diffResources, type DiffOptions } from './diff.js';
import { asUpgraded } from './helm-crds.js';
import { withoutIgnored } from './ignore.js';
import type { RenderedApp } from './render-app.js';

/** Whether a render's resources can be diffed: whole, or whole outside its broken files. */
export function usable(r: RenderedApp): boolean {
  return r.status === 'rendered' || r.brokenFiles !== undefined;
}

function sideWord(atBase: boolean, atHead: boolean): string {
  if (atBase && atHead) return 'on either side';
  return atBase ? 'at the base commit' : 'at head';
}

/**
 * The changes between an app's base and head renders (null: the app is not on that side).
 * A file that cannot be read or parsed on one side has unknown content there, not none:
 * its resources are left out on both sides, so a broken file never reads as everything
 * in it removed (or added), and a finding says what the diff does not cover.
 */
export function diffApp(
  b: RenderedApp | null,
  h: RenderedApp | null,
  opts: DiffOptions & { ignore?: DiffIgnoreRule[] } = {},
): { changes: ResourceChange[]; findings: Finding[] } {
  const ignore = opts.ignore ?? [];
  // A HelmRelease whose chart did not render on one side: what it makes is unknown there, not gone.
  const producers = new Set([...(b?.unknownProducers ?? []), ...(h?.unknownProducers ?? [])]);
  const known = (rs: Resource[]) => (producers.size ? rs.filter((r) => !r.producer || !producers.has(r.producer)) : rs);
  const upgraded: Finding[] = [];
  const diff = (base: Resource[], head: Resource[]) => {
    const b = known(base);
    const h = asUpgraded(b, known(head));
    upgraded.push(...h.findings);
    return diffResources(withoutIgnored(b, ignore), withoutIgnored(h.head, ignore), opts);
  };
  if (h && !usable(h)) return { changes: [], findings: [] };
  // The base never rendered: everything at head reads as added.
  if (b && !usable(b)) return { changes: h ? diff([], knownFiles(h.resources, new Set(h.brokenFiles))) : [], findings: [] };
  const atBase = new Set(b?.brokenFiles ?? []);
  const atHead = new Set(h?.brokenFiles ?? []);
  const unknown = new Set([...atBase, ...atHead]);
  const changes = diff(knownFiles(b?.resources ?? [], unknown), knownFiles(h?.resources ?? [], unknown));
  const findings = [...upgraded, ...[...unknown].sort().map((file): Finding => ({
    severity: 'info',
    rule: 'diff-incomplete',
    file,
    line: null,
    resource: null,
    message: `${file} is left out of the diff: it cannot be read or parsed ${sideWord(atBase.has(file), atHead.has(file))}, so its resources there are unknown`,
  }))];
  return { changes, findings };
}

function knownFiles(resources: Resource[], unknown: Set<string>): Resource[] {
  return unknown.size ? resources.filter((r) => !unknown.has(r.source?.file ?? '')) : resources;
}
