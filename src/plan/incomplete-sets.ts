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

function finding(app: AppSpec, message: string): Finding {
  return { severity: 'warning', rule: 'argo-applicationset', file: app.argo!.file, line: null, resource: null, message };
}

function sourceFolders(app: AppSpec): string[] {
  return app.argo!.sources.filter((s) => !(s.type === 'helm' && s.remote)).map((s) => s.path);
}

/**
 * Marks the one-sided Applications of sets incomplete on their missing side: one at base
 * only is unknown (not planned as removed), one at head only is planned as added with a
 * caveat. Folder apps that exist only because the set did not claim their folder on that
 * side are dropped. Mutates `candidates`.
 */
export function settleIncompleteSets(candidates: Map<string, SideCandidate>, incomplete: { base: ReadonlySet<string>; head: ReadonlySet<string> }): void {
  if (incomplete.base.size === 0 && incomplete.head.size === 0) return;
  const claimedAtBase = new Set<string>();
  const claimedAtHead = new Set<string>();
  for (const c of candidates.values()) {
    if (c.atBase && !c.atHead) {
      const set = setOf(c.baseApp!);
      if (!set || !incomplete.head.has(set.key)) continue;
      c.unknown = finding(c.baseApp!, `not planned: ApplicationSet ${set.label} could not be fully expanded at head (see the plan's findings), so whether it still makes this Application is unknown; it is not shown as removed`);
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
}
