// Custom resources, validated against the openAPIV3Schema of CRDs found in the repository.
//
// CRD schemas follow Kubernetes' structural-schema rules, not plain JSON Schema: objects
// without `additionalProperties` or `x-kubernetes-preserve-unknown-fields` have their
// unknown fields pruned by the API server. Under `strict`, those objects are compiled as
// closed so such fields surface as `unknown-field` instead of silently disappearing.
import { Ajv, type ValidateFunction } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import { RE2 } from 're2-wasm';
import * as ajvFormats from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import type { Resource } from '../types.js';
import { defaulted } from './defaults.js';
import { describeSchemaErrors, type Problem } from './errors.js';
import { isBase64, isDuration } from './formats.js';
import { validateMetadata } from './schemas.js';
import { findUnknownFields, metadataShape } from './strict.js';

export interface CrdVersion {
  group: string;
  version: string;
  kind: string;
  /** The CRD's metadata.name (`widgets.example.com`), for messages. */
  crd: string;
  scope: 'Namespaced' | 'Cluster';
  served: boolean;
  deprecated: boolean;
  deprecationWarning: string | null;
  /** The version's openAPIV3Schema as written; null when the CRD declares none. */
  schema: Record<string, unknown> | null;
  /** apiextensions.k8s.io/v1beta1 CRDs keep unknown fields unless told otherwise. */
  preserveUnknownFields: boolean;
}

/** Custom-resource schemas, keyed by `group/version kind`. Plain data; compiled lazily. */
export interface CrdSchemas {
  readonly versions: ReadonlyMap<string, CrdVersion>;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function crdKey(apiVersion: string, kind: string): string {
  return `${apiVersion} ${kind}`;
}

function versionsOf(obj: Json): CrdVersion[] {
  if (obj.kind !== 'CustomResourceDefinition') return [];
  const v1beta1 = obj.apiVersion === 'apiextensions.k8s.io/v1beta1';
  if (!v1beta1 && obj.apiVersion !== 'apiextensions.k8s.io/v1') return [];
  const spec = obj.spec;
  if (!isObject(spec) || typeof spec.group !== 'string' || !isObject(spec.names) || typeof spec.names.kind !== 'string') return [];
  const metadata = isObject(obj.metadata) ? obj.metadata : {};
  const base = {
    group: spec.group,
    kind: spec.names.kind,
    crd: typeof metadata.name === 'string' ? metadata.name : `${String(spec.names.plural ?? spec.names.kind)}.${spec.group}`,
    scope: spec.scope === 'Cluster' ? ('Cluster' as const) : ('Namespaced' as const),
    preserveUnknownFields: v1beta1 && spec.preserveUnknownFields !== false,
  };
  const schemaOf = (v: unknown): Json | null => (isObject(v) && isObject(v.openAPIV3Schema) ? v.openAPIV3Schema : null);
  const shared = v1beta1 ? schemaOf(spec.validation) : null;
  const list: unknown[] = Array.isArray(spec.versions) ? spec.versions : v1beta1 && typeof spec.version === 'string' ? [{ name: spec.version }] : [];
  const out: CrdVersion[] = [];
  for (const v of list) {
    if (!isObject(v) || typeof v.name !== 'string') continue;
    out.push({
      ...base,
      version: v.name,
      served: v.served !== false,
      deprecated: v.deprecated === true,
      deprecationWarning: typeof v.deprecationWarning === 'string' ? v.deprecationWarning : null,
      schema: schemaOf(v.schema) ?? shared,
    });
  }
  return out;
}

/** CRD versions declared by CustomResourceDefinition objects among `objects`. */
export function crdSchemasFromObjects(objects: Iterable<unknown>): CrdSchemas {
  const versions = new Map<string, CrdVersion>();
  for (const o of objects) {
    if (!isObject(o)) continue;
    for (const v of versionsOf(o)) versions.set(crdKey(`${v.group}/${v.version}`, v.kind), v);
  }
  return { versions };
}

export function crdSchemasFromResources(resources: Resource[]): CrdSchemas {
  return crdSchemasFromObjects(resources.map((r) => r.object));
}

export function mergeCrdSchemas(a: CrdSchemas | undefined, b: CrdSchemas): CrdSchemas {
  if (!a || a.versions.size === 0) return b;
  if (b.versions.size === 0) return a;
  return { versions: new Map([...a.versions, ...b.versions]) };
}

/** Versions the CRD of `group`/`kind` does define, when `apiVersion` names another one. */
export function otherVersions(crds: CrdSchemas, apiVersion: string, kind: string): CrdVersion[] {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const found: CrdVersion[] = [];
  for (const v of crds.versions.values()) if (v.group === group && v.kind === kind) found.push(v);
  return found;
}

// ---- schema preparation ----

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';

function prepare(node: unknown, closed: boolean): unknown {
  if (!isObject(node)) return node;
  const out: Json = { ...node };
  if (out['x-kubernetes-int-or-string'] === true && out.type === undefined && !out.anyOf && !out.oneOf) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (out.nullable !== undefined && out.type === undefined) {
    // ajv only understands `nullable` next to `type`.
    if (out.nullable === true && Array.isArray(out.anyOf)) out.anyOf = [...(out.anyOf as unknown[]), { type: 'null' }];
    delete out.nullable;
  }
  if (isObject(out.properties)) {
    const props: Json = {};
    for (const [k, v] of Object.entries(out.properties)) props[k] = prepare(v, closed);
    out.properties = props;
  }
  if (Array.isArray(out.items)) out.items = out.items.map((i) => prepare(i, closed));
  else if (isObject(out.items)) out.items = prepare(out.items, closed);
  if (isObject(out.additionalProperties)) out.additionalProperties = prepare(out.additionalProperties, closed);
  // Combinators are left open: closing a branch would reject fields its siblings declare.
  if (closed && out[PRESERVE] !== true && out.additionalProperties === undefined && (out.type === 'object' || isObject(out.properties))) {
    if (out['x-kubernetes-embedded-resource'] === true) {
      out.properties = { apiVersion: {}, kind: {}, metadata: {}, ...(isObject(out.properties) ? out.properties : {}) };
    }
    out.additionalProperties = false;
  }
  return out;
}

function prepareRoot(schema: Json, closed: boolean): Json {
  const root = prepare(schema, closed) as Json;
  // Identifiers and meta-schema references would make ajv register or fetch schemas.
  delete root.$schema;
  delete root.$id;
  delete root.id;
  // apiVersion, kind and metadata are the API server's business, and status is not ours to judge.
  const props = isObject(root.properties) ? root.properties : {};
  root.properties = { ...props, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, status: {} };
  if (Array.isArray(root.required)) root.required = root.required.filter((r) => r !== 'status');
  return root;
}

function stripPatterns(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripPatterns);
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) if (k !== 'pattern') out[k] = k === 'enum' || k === 'default' || k === 'example' ? v : stripPatterns(v);
  return out;
}

// ---- compilation, cached by content so repeated plans reuse compiled validators ----

// A CommonJS module seen from ESM: the plugin is the namespace's default, or that default's default.
const formatsModule = ajvFormats.default as unknown as FormatsPlugin | { default: FormatsPlugin };
const addFormats: FormatsPlugin = typeof formatsModule === 'function' ? formatsModule : formatsModule.default;
let ajv: Ajv | null = null;
const MAX_COMPILED = 500;
const compiled = new Map<string, { fn: ValidateFunction | null; schema: Json | null }>();

/**
 * Patterns are the repository's and so are the values they test: on a backtracking engine
 * `^(a+)+$` against "aaaa…!" never ends, and no abort reaches a synchronous match. RE2
 * runs in linear time, and its syntax is the one the API server (Go) reads patterns in.
 */
const re2: RegExpEngine = Object.assign(re2For, { code: 'new RE2' });

/**
 * One RE2 per pattern: building one costs milliseconds (RE2 compiles its automaton, in
 * wasm), and CRDs repeat patterns across versions and fields. Validators only call
 * `test` on them, with neither `g` nor `y`, which keeps no state between calls.
 */
const patterns = new Map<string, RememberingRE2>();
const MAX_PATTERNS = 2000;

/**
 * An RE2 that remembers its answers for short strings: each `test` copies the string
 * into wasm memory, and manifests repeat their values (durations, hostnames, paths).
 */
class RememberingRE2 {
  private readonly answers = new Map<string, boolean>();
  constructor(private readonly rx: RE2) {}
  /** ajv tells patterns apart by this: every pattern of a schema would share the first's otherwise. */
  toString(): string {
    return this.rx.toString();
  }
  test(s: string): boolean {
    if (typeof s !== 'string' || s.length > MAX_REMEMBERED_LENGTH) return this.rx.test(s);
    let ok = this.answers.get(s);
    if (ok === undefined) {
      ok = this.rx.test(s);
      if (this.answers.size >= MAX_ANSWERS) this.answers.clear();
      this.answers.set(s, ok);
    }
    return ok;
  }
}
const MAX_REMEMBERED_LENGTH = 256;
const MAX_ANSWERS = 1000;

function re2For(pattern: string, u: string): RememberingRE2 {
  const flags = u.includes('u') ? u : `${u}u`;
  const key = `${flags}/${pattern}`;
  let rx = patterns.get(key);
  if (!rx) {
    rx = new RememberingRE2(new RE2(pattern, flags));
    if (patterns.size >= MAX_PATTERNS) patterns.clear();
    patterns.set(key, rx);
  }
  return rx;
}

function getAjv(): Ajv {
  if (!ajv) {
    // No optimisation passes over the generated code: they halve the cost of compiling a
    // large CRD schema (hundreds of ms each) and the code's behaviour is the same.
    ajv = new Ajv({ strict: false, allErrors: true, verbose: true, logger: false, validateSchema: false, code: { regExp: re2, optimize: false } });
    addFormats(ajv);
    // JSON Schema's readings of these formats are not the API server's.
    ajv.addFormat('duration', { type: 'string', validate: isDuration });
    ajv.addFormat('byte', { type: 'string', validate: isBase64 });
  }
  return ajv;
}

/**
 * The compiled validator for `key` (content-keyed, LRU-bounded; evicted schemas leave
 * ajv too). `build` gives the schema to compile, fresh: the cache must not keep a parsed
 * CRD file (whose text its strings are slices of) alive.
 */
function compileKeyed(key: string, build: () => Json): ValidateFunction | null {
  const hit = compiled.get(key);
  if (hit) {
    // Refresh its place in the LRU order.
    compiled.delete(key);
    compiled.set(key, hit);
    return hit.fn;
  }
  const a = getAjv();
  let prepared: Json | null = build();
  let fn: ValidateFunction | null = null;
  try {
    fn = a.compile(prepared);
  } catch {
    // A pattern RE2 refuses (a JavaScript-only lookaround): validate the rest without patterns.
    try {
      prepared = stripPatterns(prepared) as Json;
      fn = a.compile(prepared);
    } catch {
      prepared = null;
    }
  }
  compiled.set(key, { fn, schema: prepared });
  if (compiled.size > MAX_COMPILED) {
    const [oldKey, old] = compiled.entries().next().value!;
    compiled.delete(oldKey);
    if (old.schema) a.removeSchema(old.schema);
  }
  return fn;
}

function compile(schema: Json, closed: boolean): ValidateFunction | null {
  const key = (closed ? 's' : 'l') + JSON.stringify(schema);
  return compileKeyed(key, () => prepareRoot(JSON.parse(key.slice(1)) as Json, closed));
}

// ---- validators for the shape of an object ----
//
// ajv compiles the whole schema into one function: for a large CRD (Prometheus,
// Alertmanager: 2 MB of generated code) that is seconds of compiling and of V8 parsing
// the code on its first call, while a resource uses a few dozen of its fields. A
// validator compiled from the schema *pruned to the fields the object has* gives the
// same errors: a subschema for an absent property never runs, so it is replaced by
// `true` (its name stays, for `additionalProperties: false` and its "did you mean").
// Objects of one kind mostly share a shape, so a handful of small compiles serve a
// repository; past MAX_SHAPES shapes of one CRD version, the full validator is used.

const MAX_SHAPES = 48;

/** Keywords that reach subschemas by reference or condition: a schema with one is compiled whole. */
const UNPRUNABLE = /"(\$ref|\$dynamicRef|\$recursiveRef|\$defs|definitions|dependencies|dependentSchemas|if|then|else|unevaluatedProperties|unevaluatedItems|contains|prefixItems)":/;

interface ShapeSlot {
  /** The prepared schema, patterns already stripped when RE2 refuses any; null: not prunable. */
  prepared: Json | null;
  /** Distinct pruned schemas compiled for this version. */
  shapes: number;
  /** Validator by the shape of the objects seen (`shapeOf`), so most objects skip pruning. */
  byShape: Map<string, ValidateFunction | null>;
  full: ValidateFunction | null | undefined;
}

const MAX_SHAPE_KEYS = 512;

/**
 * The keys of `v` at every depth (scalars elided, runs of array entries of one shape
 * once): objects with the same shape prune a schema the same way.
 */
function shapeOf(v: unknown): string {
  if (Array.isArray(v)) {
    let s = '[';
    let prev = '';
    for (const x of v) {
      const e = shapeOf(x);
      if (e !== prev) s += `${e},`;
      prev = e;
    }
    return `${s}]`;
  }
  if (v === null || typeof v !== 'object') return '';
  let s = '{';
  for (const k of Object.keys(v)) s += `${k.length}:${k}${shapeOf((v as Json)[k])},`;
  return `${s}}`;
}

/** True when RE2 takes every regular expression ajv would compile from `node`. */
function patternsCompile(node: unknown): boolean {
  if (Array.isArray(node)) return node.every(patternsCompile);
  if (!isObject(node)) return true;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'enum' || k === 'default' || k === 'example') continue;
    try {
      if (k === 'pattern' && typeof v === 'string') re2For(v, '');
      if (k === 'patternProperties' && isObject(v)) for (const p of Object.keys(v)) re2For(p, '');
    } catch {
      return false;
    }
    if (!patternsCompile(v)) return false;
  }
  return true;
}

function shapeSlot(entry: CrdVersion, closed: boolean): ShapeSlot {
  const text = JSON.stringify(entry.schema);
  if (UNPRUNABLE.test(text)) return { prepared: null, shapes: 0, byShape: new Map(), full: undefined };
  let prepared = prepareRoot(JSON.parse(text) as Json, closed);
  // As the whole schema's compile would: one pattern RE2 refuses drops them all.
  if (!patternsCompile(prepared)) prepared = stripPatterns(prepared) as Json;
  return { prepared, shapes: 0, byShape: new Map(), full: undefined };
}

/** `schema` with every subschema no value in `samples` reaches replaced by `true`. */
export function pruneSchema(schema: unknown, samples: unknown[]): unknown {
  if (!isObject(schema)) return schema;
  let out: Json | null = null;
  const set = (k: string, v: unknown) => {
    out ??= { ...schema };
    out[k] = v;
  };
  const objects = samples.filter(isObject);
  if (isObject(schema.properties)) {
    const props: Json = {};
    for (const [k, sub] of Object.entries(schema.properties)) {
      const values: unknown[] = [];
      for (const o of objects) if (Object.hasOwn(o, k)) values.push(o[k]);
      props[k] = values.length ? pruneSchema(sub, values) : true;
    }
    set('properties', props);
  }
  if (isObject(schema.additionalProperties) && schema.patternProperties === undefined) {
    const named = isObject(schema.properties) ? schema.properties : {};
    const values: unknown[] = [];
    for (const o of objects) for (const k of Object.keys(o)) if (!Object.hasOwn(named, k)) values.push(o[k]);
    set('additionalProperties', values.length ? pruneSchema(schema.additionalProperties, values) : true);
  }
  if (isObject(schema.items)) {
    const values: unknown[] = [];
    for (const a of samples) if (Array.isArray(a)) for (const v of a) values.push(v);
    set('items', values.length ? pruneSchema(schema.items, values) : true);
  }
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    const branches = schema[k];
    if (Array.isArray(branches)) set(k, branches.map((b) => pruneSchema(b, samples)));
  }
  if (isObject(schema.not)) set('not', pruneSchema(schema.not, samples));
  return out ?? schema;
}

const byShape = new WeakMap<CrdVersion, { strict?: ShapeSlot; lax?: ShapeSlot }>();
let shapesEnabled = true;

/** For tests: validate against whole-schema validators only (the reference behaviour). */
export function useShapeValidators(on: boolean): void {
  shapesEnabled = on;
}

function validatorFor(entry: CrdVersion, strict: boolean, target: Json): ValidateFunction | null {
  if (!entry.schema) return null;
  const closed = strict && !entry.preserveUnknownFields;
  let slots = byShape.get(entry);
  if (!slots) byShape.set(entry, (slots = {}));
  const which = closed ? 'strict' : 'lax';
  const slot = (slots[which] ??= shapesEnabled ? shapeSlot(entry, closed) : { prepared: null, shapes: 0, byShape: new Map(), full: undefined });
  if (slot.prepared && slot.shapes < MAX_SHAPES) {
    const shape = shapeOf(target);
    const known = slot.byShape.get(shape);
    if (known !== undefined) return known;
    const pruned = pruneSchema(slot.prepared, [target]) as Json;
    const key = (closed ? 'S' : 'L') + JSON.stringify(pruned);
    if (!compiled.has(key)) slot.shapes++;
    const fn = compileKeyed(key, () => JSON.parse(key.slice(1)) as Json);
    if (slot.byShape.size < MAX_SHAPE_KEYS) slot.byShape.set(shape, fn);
    return fn;
  }
  if (slot.full === undefined) slot.full = compile(entry.schema, closed);
  return slot.full;
}

/** Appends schema and (under strict) unknown-field problems of one custom resource. */
export function validateCustomResource(obj: Json, entry: CrdVersion, strict: boolean, out: Problem[]): void {
  if (entry.schema) {
    const target = defaulted(obj, entry.schema);
    const fn = validatorFor(entry, strict, target);
    if (fn && !fn(target) && fn.errors) describeSchemaErrors(fn.errors, target, out);
  }
  checkMetadata(obj, strict, out);
}

/** Appends the problems of `metadata` alone, for kinds whose other fields Ferry cannot check. */
export function checkMetadata(obj: Json, strict: boolean, out: Problem[]): void {
  const metaErrors = validateMetadata(obj.metadata);
  if (metaErrors) describeSchemaErrors(metaErrors, obj, out);
  if (strict) {
    const shape = metadataShape();
    if (shape) findUnknownFields(obj.metadata, shape, out, ['metadata']);
  }
}
