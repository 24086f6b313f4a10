// Which apiVersion/kind pairs Kubernetes itself serves, to tell a mistyped built-in API
// (`apps/v1beta3`, `v1 Deployment`, `Deploymnet`) from a custom resource Ferry has no CRD for.
//
// kubernetes-models lists every apiVersion in its package exports and keeps one file per
// model, so the top-level kinds are the files that have a `<Kind>List` sibling: no module is
// loaded to build this. NEWER_APIS dates them and adds the kinds it lacks.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { deprecationOf, minorOf } from './deprecations.js';
import type { Problem } from './errors.js';
import { NEWER_APIS } from './newer-apis.js';
import { suggest } from './paths.js';
import { builtinModelsDir } from './schemas.js';

export interface BuiltinApi {
  apiVersion: string;
  group: string;
  kind: string;
  /** Minor version it is served from; null when older than anything Ferry tracks. */
  since: number | null;
  removedIn: number | null;
  /** Whether kubernetes-models has its schema. */
  hasSchema: boolean;
}

interface Catalog {
  byKey: Map<string, BuiltinApi>;
  byGroup: Map<string, BuiltinApi[]>;
  byKind: Map<string, BuiltinApi[]>;
}

const API_VERSION_EXPORT = /^\.\/((?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\/)?v\d+(?:(?:alpha|beta)\d+)?)$/;

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function modelKinds(): Array<{ apiVersion: string; kind: string }> {
  const out: Array<{ apiVersion: string; kind: string }> = [];
  let dir: string;
  let exports: Record<string, unknown>;
  try {
    dir = builtinModelsDir();
    exports = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> }).exports ?? {};
  } catch {
    return out;
  }
  for (const key of Object.keys(exports)) {
    const apiVersion = API_VERSION_EXPORT.exec(key)?.[1];
    if (!apiVersion) continue;
    let files: Set<string>;
    try {
      files = new Set(readdirSync(path.join(dir, apiVersion)));
    } catch {
      continue;
    }
    for (const f of files) {
      if (f.endsWith('List.js') && files.has(f.slice(0, -'List.js'.length) + '.js')) out.push({ apiVersion, kind: f.slice(0, -'List.js'.length) });
    }
  }
  return out;
}

let catalog: Catalog | null = null;

function getCatalog(): Catalog {
  if (catalog) return catalog;
  const c: Catalog = { byKey: new Map(), byGroup: new Map(), byKind: new Map() };
  const add = (api: BuiltinApi) => {
    const key = `${api.apiVersion} ${api.kind}`;
    if (c.byKey.has(key)) return;
    c.byKey.set(key, api);
    for (const [map, k] of [[c.byGroup, api.group], [c.byKind, api.kind]] as const) {
      const list = map.get(k);
      if (list) list.push(api);
      else map.set(k, [api]);
    }
  };
  const dated = new Map<string, { since: number; removedIn: number | null }>();
  for (const row of NEWER_APIS) for (const kind of row.kinds) dated.set(`${row.apiVersion} ${kind}`, { since: row.since, removedIn: row.removedIn ?? null });
  for (const { apiVersion, kind } of modelKinds()) {
    const row = dated.get(`${apiVersion} ${kind}`);
    const removed = deprecationOf(apiVersion, kind)?.removedIn;
    const removedIn = removed ? minorOf(removed) : (row?.removedIn ?? null);
    add({ apiVersion, group: groupOf(apiVersion), kind, since: row?.since ?? null, removedIn, hasSchema: true });
  }
  for (const row of NEWER_APIS) {
    for (const kind of row.kinds) {
      add({ apiVersion: row.apiVersion, group: groupOf(row.apiVersion), kind, since: row.since, removedIn: row.removedIn ?? null, hasSchema: false });
    }
  }
  return (catalog = c);
}

export function builtinApi(apiVersion: string, kind: string): BuiltinApi | null {
  return getCatalog().byKey.get(`${apiVersion} ${kind}`) ?? null;
}

export function isBuiltinGroup(group: string): boolean {
  return group === '' || getCatalog().byGroup.has(group);
}

function servedAt(api: BuiltinApi, target: number | null): boolean {
  if (target === null) return api.removedIn === null;
  return (api.since === null || api.since <= target) && (api.removedIn === null || target < api.removedIn);
}

/** v1 > v1beta2 > v1beta1 > v1alpha1; a higher major first within a stability level. */
function rank(apiVersion: string): number {
  const m = /v(\d+)(?:(alpha|beta)(\d+))?$/.exec(apiVersion);
  if (!m) return 0;
  const level = m[2] === 'alpha' ? 1 : m[2] === 'beta' ? 2 : 3;
  return level * 1e6 + Number(m[1]) * 1e3 + Number(m[3] ?? 0);
}

/** The apiVersion to use for a kind: the most stable one served at the target, else any. */
function bestOf(apis: BuiltinApi[], target: number | null): BuiltinApi | null {
  const served = apis.filter((a) => servedAt(a, target));
  const pool = served.length > 0 ? served : apis;
  let best: BuiltinApi | null = null;
  for (const a of pool) if (!best || rank(a.apiVersion) > rank(best.apiVersion)) best = a;
  return best;
}

/** Where a kind of a built-in group is served, e.g. `apps/v1` for Deployment. */
export function bestApiVersion(kind: string, target: number | null, group?: string): string | null {
  const apis = (getCatalog().byKind.get(kind) ?? []).filter((a) => group === undefined || a.group === group);
  return bestOf(apis, target)?.apiVersion ?? null;
}

/**
 * For an apiVersion/kind of a built-in group that Kubernetes does not serve: a problem that
 * names what was probably meant. Null when the group is not built in (a custom resource).
 */
export function builtinApiProblem(apiVersion: string, kind: string, kubernetesVersion: string): Problem | null {
  const group = groupOf(apiVersion);
  if (!isBuiltinGroup(group)) return null;
  const target = minorOf(kubernetesVersion);
  const c = getCatalog();
  const rule = 'unknown-api-version';
  const inGroup = (c.byKind.get(kind) ?? []).filter((a) => a.group === group);
  if (inGroup.length > 0) {
    const best = bestOf(inGroup, target)!;
    const exists = (c.byGroup.get(group) ?? []).some((a) => a.apiVersion === apiVersion);
    const why = exists ? `${apiVersion} has no ${kind}` : `${apiVersion} is not a Kubernetes API version`;
    return { rule, pointer: '/apiVersion', message: `${apiVersion} ${kind}: ${why} (did you mean ${best.apiVersion}?)` };
  }
  const elsewhere = bestOf(c.byKind.get(kind) ?? [], target);
  if (elsewhere) {
    const where = group === '' ? 'the core API group' : `the ${group} API group`;
    return { rule, pointer: '/apiVersion', message: `${apiVersion} ${kind}: ${kind} is not in ${where} (did you mean ${elsewhere.apiVersion}?)` };
  }
  const kinds = new Set((c.byGroup.get(group) ?? []).map((a) => a.kind));
  const hint = suggest(kind, kinds);
  if (hint) {
    const at = bestOf((c.byKind.get(hint) ?? []).filter((a) => a.group === group), target)!;
    const also = at.apiVersion === apiVersion ? '' : ` in ${at.apiVersion}`;
    return { rule, pointer: '/kind', message: `${apiVersion} ${kind}: unknown kind (did you mean ${JSON.stringify(hint)}${also}?)` };
  }
  const where = group === '' ? 'the core API group' : `the built-in API group ${group}`;
  return { rule, pointer: '/kind', message: `${apiVersion} ${kind}: ${where} has no kind ${kind}` };
}

/** A built-in API judged against the target version: removed there, or not yet served. */
export function newerApiProblem(api: BuiltinApi, kubernetesVersion: string): Problem | null {
  const target = minorOf(kubernetesVersion);
  if (target === null) return null;
  const label = `${api.apiVersion} ${api.kind}`;
  if (api.removedIn !== null && target >= api.removedIn) {
    const use = bestApiVersion(api.kind, target, api.group);
    const instead = use && use !== api.apiVersion ? `; use ${use}` : '';
    return { rule: 'removed-api', pointer: '/apiVersion', message: `${label} was removed in Kubernetes 1.${api.removedIn}${instead}` };
  }
  if (api.since !== null && target < api.since) {
    return { rule: 'unknown-api-version', pointer: '/apiVersion', message: `${label} is served from Kubernetes 1.${api.since} on; the target version is ${kubernetesVersion}` };
  }
  return null;
}
