// Custom resources whose CRDs are not in the repository, validated with the schemas of the
// `@kubernetes-models/*` packages (Flux, Argo CD, cert-manager, Gateway API, ...); kinds none
// of them carries have a schema of Ferry's own (own-schemas.ts), consulted after these.
//
// Each package keeps one module per model at `<group>/<version>/<Kind>.js`, and a top-level
// kind's module sets its `apiVersion` and `kind`, so whether a kind is bundled is a file
// lookup and a read of that small module: nothing is loaded until a resource of that kind
// is validated. The packages are ESM-only, so their
// validators are loaded with import() ahead of validation (loadBundledSchemas), which stays
// synchronous.
//
// Their validators do not close objects: a misspelt field passes. The fields a compiled
// validator reads are the fields its schema declares, so under `strict` the object is
// validated through a proxy that records the keys read at each object the validator
// visits; any other key there is unknown. An object whose keys the validator enumerated
// (a map, or a schema that judges its own extra keys) or never looked into (free-form
// values such as a HelmRelease's `values`) is not judged.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SchemaError } from './errors.js';
import { describeSchemaErrors, type Problem } from './errors.js';
import { packageDir } from './package-dir.js';
import { escapeSegment, unknownFieldMessage } from './paths.js';
import { toValidator, type BuiltinValidator, type ModelClass } from './schemas.js';
import { isRecord } from '../util/is-record.js';

/** The packages whose schemas are bundled, in the order a group found in two is looked up. */
export const BUNDLED_PACKAGES: readonly string[] = [
  '@kubernetes-models/flux-cd',
  '@kubernetes-models/argo-cd',
  '@kubernetes-models/argo-rollouts',
  '@kubernetes-models/cert-manager',
  '@kubernetes-models/gateway-api',
  '@kubernetes-models/prometheus-operator',
  '@kubernetes-models/external-secrets',
  '@kubernetes-models/sealed-secrets',
  '@kubernetes-models/keda',
  '@kubernetes-models/istio',
  '@kubernetes-models/traefik',
  '@kubernetes-models/knative',
];

const API_VERSION = /^([a-z0-9-]+(?:\.[a-z0-9-]+)+)\/(v\d+(?:(?:alpha|beta)\d+)?)$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

export interface BundledKind {
  apiVersion: string;
  kind: string;
  /** The npm package that carries it, for messages and docs. */
  pkg: string;
  file: string;
}

let groups: Map<string, Array<{ pkg: string; dir: string }>> | null = null;

/** API group → package folders that have it; read once, from the folders' names. */
function groupDirs(): Map<string, Array<{ pkg: string; dir: string }>> {
  if (groups) return groups;
  groups = new Map();
  for (const pkg of BUNDLED_PACKAGES) {
    let dir: string;
    try {
      // The packages export no package.json; the folder is found from one of their exports.
      dir = packageDir(pkg);
    } catch {
      continue;
    }
    for (const name of readdirSync(dir)) {
      // API groups are DNS names; `github.com` holds shared Go types, not kinds.
      if (!name.includes('.') || name === 'github.com' || name.endsWith('.d.ts') || name.endsWith('.js')) continue;
      const list = groups.get(name);
      if (list) list.push({ pkg, dir });
      else groups.set(name, [{ pkg, dir }]);
    }
  }
  return groups;
}

const kinds = new Map<string, BundledKind | null>();
const KINDS_REMEMBERED = 10_000;

/** A kind's own module names its apiVersion and kind; a nested type's (`HelmReleaseSpec`) does not. */
function isTopLevel(file: string, apiVersion: string, kind: string): boolean {
  try {
    const text = readFileSync(file, 'utf8');
    return text.includes(`this.apiVersion=${JSON.stringify(apiVersion)}`) && text.includes(`this.kind=${JSON.stringify(kind)}`);
  } catch {
    return false;
  }
}

/** The bundled schema's module for an apiVersion/kind, or null when no package has it. */
export function bundledKind(apiVersion: string, kind: string): BundledKind | null {
  const key = `${apiVersion} ${kind}`;
  const cached = kinds.get(key);
  if (cached !== undefined) return cached;
  let found: BundledKind | null = null;
  const m = API_VERSION.exec(apiVersion);
  if (m && KIND.test(kind)) {
    for (const { pkg, dir } of groupDirs().get(m[1]!) ?? []) {
      const file = path.join(dir, m[1]!, m[2]!, `${kind}.js`);
      if (existsSync(file) && isTopLevel(file, apiVersion, kind)) {
        found = { apiVersion, kind, pkg, file };
        break;
      }
    }
  }
  // Kinds come from PR content: a long-running server must not remember every made-up one.
  if (kinds.size >= KINDS_REMEMBERED) kinds.clear();
  kinds.set(key, found);
  return found;
}

const loaded = new Map<string, BuiltinValidator | null>();

/**
 * Loads the bundled validators of the kinds among `ids` that have one. Call before
 * validateResources; a kind already loaded costs a map lookup.
 */
export async function loadBundledSchemas(ids: Iterable<{ apiVersion: string; kind: string }>): Promise<void> {
  const wanted = new Map<string, BundledKind>();
  for (const { apiVersion, kind } of ids) {
    const key = `${apiVersion} ${kind}`;
    if (loaded.has(key) || wanted.has(key)) continue;
    const b = bundledKind(apiVersion, kind);
    if (b) wanted.set(key, b);
  }
  await Promise.all(
    [...wanted].map(async ([key, b]) => {
      let fn: BuiltinValidator | null = null;
      try {
        const mod = (await import(pathToFileURL(b.file).href)) as Record<string, unknown>;
        const model = mod[b.kind];
        const m = model as ModelClass;
        if (typeof model === 'function' && m.apiVersion === b.apiVersion && typeof m.prototype.validate === 'function') fn = toValidator(m);
      } catch {
        // A package that fails to load validates nothing: the kind stays unvalidated.
      }
      loaded.set(key, fn);
    }),
  );
}

/** The loaded validator of a bundled kind; throws when it exists but was not loaded first. */
function validatorOf(b: BundledKind): BuiltinValidator | null {
  const fn = loaded.get(`${b.apiVersion} ${b.kind}`);
  if (fn === undefined) throw new Error(`${b.apiVersion} ${b.kind}: call loadBundledSchemas before validating`);
  return fn;
}

/** Whether the kind has a bundled schema that loaded (false when its package would not load). */
export function hasBundledValidator(b: BundledKind): boolean {
  return validatorOf(b) !== null;
}

// ---- unknown fields, from what the validator reads ----

interface Reads {
  keys: Set<string>;
  enumerated: boolean;
}

function tracked(root: object, reads: WeakMap<object, Reads>): object {
  const proxies = new WeakMap<object, object>();
  const readsOf = (t: object) => {
    let r = reads.get(t);
    if (!r) reads.set(t, (r = { keys: new Set(), enumerated: false }));
    return r;
  };
  const wrap = (t: object): object => {
    let p = proxies.get(t);
    if (p) return p;
    p = new Proxy(t, {
      get(target, key, receiver) {
        if (typeof key === 'string') readsOf(target).keys.add(key);
        const v: unknown = Reflect.get(target, key, receiver);
        return v !== null && typeof v === 'object' ? wrap(v) : v;
      },
      has(target, key) {
        if (typeof key === 'string') readsOf(target).keys.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        readsOf(target).enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(t, p);
    return p;
  };
  return wrap(root);
}

function findUnread(value: unknown, reads: WeakMap<object, Reads>, pointer: string, out: Problem[], top: boolean): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) findUnread(value[i], reads, `${pointer}/${i}`, out, false);
    return;
  }
  if (!isRecord(value)) return;
  const r = reads.get(value);
  if (!r) return;
  for (const key of Object.keys(value)) {
    // The API server's fields: metadata is checked on its own, status is not ours to judge.
    if (top && (key === 'apiVersion' || key === 'kind' || key === 'metadata' || key === 'status')) continue;
    const at = `${pointer}/${escapeSegment(key)}`;
    if (!r.enumerated && !r.keys.has(key)) out.push({ rule: 'unknown-field', pointer: at, message: unknownFieldMessage(at, r.keys) });
    else findUnread(value[key], reads, at, out, false);
  }
}

function isMetadata(e: SchemaError): boolean {
  return e.instancePath === '/metadata' || e.instancePath.startsWith('/metadata/');
}

/**
 * Where a package's schema is stricter than the API server. Knative's pod template reuses
 * the core Container type, whose `name` is required, but Knative names containers itself.
 */
const LOOSER: ReadonlyArray<{ group: string; path: RegExp; missing: string }> = [
  { group: 'serving.knative.dev', path: /^\/spec\/template\/spec\/(?:init)?[cC]ontainers\/\d+$/, missing: 'name' },
];

function stricterThanServer(e: SchemaError, group: string): boolean {
  if (e.keyword !== 'required') return false;
  const missing = (e.params as { missingProperty?: unknown }).missingProperty;
  return LOOSER.some((l) => l.group === group && l.missing === missing && l.path.test(e.instancePath));
}

/**
 * Appends the schema problems (and, under strict, unknown fields) of a custom resource of
 * a bundled kind. Metadata is left to the caller, as for CRDs.
 */
export function validateBundled(obj: Record<string, unknown>, b: BundledKind, strict: boolean, out: Problem[]): void {
  const validate = validatorOf(b);
  if (!validate) return;
  const reads = new WeakMap<object, Reads>();
  const group = b.apiVersion.slice(0, b.apiVersion.indexOf('/'));
  const errors = validate(strict ? tracked(obj, reads) : obj)?.filter((e) => !isMetadata(e) && !stricterThanServer(e, group));
  if (errors?.length) describeSchemaErrors(errors, obj, out);
  if (strict) findUnread(obj, reads, '', out, true);
}
