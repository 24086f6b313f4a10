// An ApplicationSet Ferry could not fully expand on one side of a plan (an unsupported
// template function, a generator that needs a cluster, a cost cap) says nothing about the
// Applications it made on the other side. Taken at face value, its Applications would plan
// as removed (or added), and the folders they render as new (or removed) apps of their own.
import type { AppSpec, Finding } from '../types.js';
import { setKey } from './argo.js';

export interface SideCandidate {
  app: AppSpec;
  baseApp: AppSpec | null;
  atBase: boolean;
  atHead: boolean;
  /** Not rendered: the app's fate is unknown, and this finding says why. */
  unknown?: Finding;
  /** Rendered, with this finding added. */
  caveat?: Finding;
}

function setOf(a: AppSpec): { label: string; key: string } | null {
  return a.argo?.appSet ? { label: a.argo.appSet, key: setKey(a.argo.appSet, a.argo.file) } : null;
}

function finding(app: AppSpec, message: string, severity: Finding['severity'] = 'warning'): Finding {
  return { severity, rule: 'argo-applicationset', file: app.argo!.file, line: null, resource: null, message };
}

/** Applications named in one finding: the rest are counted. */
const MAX_NAMED = 20;

interface SetSides {
  /** ApplicationSets (setKey) not fully expanded on each side. */
  base: ReadonlySet<string>;
  head: ReadonlySet<string>;
  /** Every ApplicationSet expanded at base: one there and not in `base` expanded fully. */
  baseSets?: ReadonlySet<string>;
}

function sourceFolders(app: AppSpec): string[] {
  return app.argo!.sources.filter((s) => !(s.type === 'helm' && s.remote)).map((s) => s.path);
}

/**
 * Marks the one-sided Applications of sets incomplete on their missing side: one at base
 * only is unknown (not planned as removed), one at head only is planned as added with a
 * caveat. Folder apps that exist only because the set did not claim their folder on that
 * side are dropped. Mutates `candidates`.
 *
 * A set that expanded fully at base and no longer does at head is an error (returned)
 * when head no longer lists an Application it made at base: a PR must not hide the
 * removal of an Application by breaking its set in the same change, so those are named
 * there, and each is an error too. When head still lists all of them (a cluster
 * generator joined), nothing can be hidden, and it is a warning.
 */
export function settleIncompleteSets(candidates: Map<string, SideCandidate>, incomplete: SetSides): Finding[] {
  if (incomplete.base.size === 0 && incomplete.head.size === 0) return [];
  const claimedAtBase = new Set<string>();
  const claimedAtHead = new Set<string>();
  const broken = new Map<string, { label: string; file: string; gone: string[] }>();
  for (const c of candidates.values()) {
    if (c.atBase && !c.atHead) {
      const set = setOf(c.baseApp!);
      if (!set || !incomplete.head.has(set.key)) continue;
      if (brokenByHead(set.key, incomplete)) {
        const b = broken.get(set.key) ?? broken.set(set.key, { label: set.label, file: c.baseApp!.argo!.file, gone: [] }).get(set.key)!;
        b.gone.push(c.baseApp!.name);
        c.unknown = finding(c.baseApp!, `may be removed: ApplicationSet ${set.label} made this Application at base, and no longer expands fully at head (see the plan's findings), so Argo CD may delete it; its removal is not planned until the set expands`, 'error');
      } else {
        c.unknown = finding(c.baseApp!, `not planned: ApplicationSet ${set.label} could not be fully expanded at head (see the plan's findings), so whether it still makes this Application is unknown; it is not shown as removed`);
      }
      for (const f of sourceFolders(c.baseApp!)) claimedAtHead.add(f);
    } else if (c.atHead && !c.atBase) {
      const set = setOf(c.app);
      if (!set || !incomplete.base.has(set.key)) continue;
      c.caveat = finding(c.app, `ApplicationSet ${set.label} could not be fully expanded at base: this Application is shown as added, but it may exist already`);
      for (const f of sourceFolders(c.app)) claimedAtBase.add(f);
    }
  }
  for (const [k, c] of candidates) {
    const folderApp = (a: AppSpec) => !a.argo && !a.flux;
    if (c.atHead && !c.atBase && folderApp(c.app) && claimedAtHead.has(c.app.path)) candidates.delete(k);
    else if (c.atBase && !c.atHead && folderApp(c.baseApp!) && claimedAtBase.has(c.baseApp!.path)) candidates.delete(k);
  }
  // Every set broken by head, also one whose Applications are all still listed (or that made none).
  for (const key of incomplete.head) {
    if (!brokenByHead(key, incomplete) || broken.has(key)) continue;
    const [label, file] = key.split('\0') as [string, string];
    broken.set(key, { label, file, gone: [] });
  }
  return [...broken.values()].map((b): Finding => {
    const named = b.gone.sort().slice(0, MAX_NAMED).join(', ') + (b.gone.length > MAX_NAMED ? ` and ${b.gone.length - MAX_NAMED} more` : '');
    return {
      // Nothing it made may go unseen when head still lists all of it: what it adds at head is unknown, a warning.
      severity: b.gone.length ? 'error' : 'warning', rule: 'argo-applicationset', file: b.file, line: null, resource: null,
      message: `ApplicationSet ${b.label} expanded fully at base but not at head (see its other findings), so the plan cannot tell which of its Applications Argo CD would keep; ` + (b.gone.length
        ? `${b.gone.length === 1 ? 'this Application it made at base is' : `these ${b.gone.length} Applications it made at base are`} not listed at head and may be removed: ${named}`
        : 'every Application it made at base is still listed at head'),
    };
  });
}

/** A set that expanded fully at base and does not at head. */
function brokenByHead(key: string, sides: SetSides): boolean {
  return sides.head.has(key) && !sides.base.has(key) && !!sides.baseSets?.has(key);
}
