// Built-in kinds, validated offline by kubernetes-models' precompiled ajv validators.
//
// Model modules are loaded on first use of each apiVersion/kind: the package has ~1,700
// schema modules and an app touches a handful, so loading everything up front would
// dominate a cold run. Each model's path in the package *is* its apiVersion and kind
// (`kubernetes-models/apps/v1/Deployment.js`, core is `kubernetes-models/v1/Pod.js`), which
// gives the lookup for free without a hand-written list of kinds.
//
// The package is ESM-only. The engine loads the kinds it is about to validate with import()
// first (loadBuiltinSchemas), so validation stays synchronous; a kind asked for without
// that falls back to require(), which loads ESM on Node >= 20.19 but not under every loader
// (tsx's, for one). A schema that exists but cannot be loaded is an error, never a kind
// silently left unvalidated.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SchemaError } from './errors.js';
import { isBase64 } from './formats.js';
import { packageDir } from './package-dir.js';
import { valueAt } from './paths.js';

const require = createRequire(import.meta.url);

/** The package built-in kinds are validated with (see above). */
export const BUILTIN_MODELS = 'kubernetes-models';

let modelsDir: string | null = null;

/** kubernetes-models' installed folder. */
export function builtinModelsDir(): string {
  return (modelsDir ??= packageDir(BUILTIN_MODELS));
}

export interface ModelClass {
  apiVersion?: unknown;
  kind?: unknown;
  prototype: { validate?: (this: unknown) => void };
}

/** Runs the validator; returns its errors, or null when the object is valid. */
export type BuiltinValidator = (obj: unknown) => SchemaError[] | null;

const API_VERSION = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\/)?v\d+(?:(?:alpha|beta)\d+)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

const validators = new Map<string, BuiltinValidator | null>();
/** Kinds with no model file, remembered apart: they come from PR content, so the set is bounded. */
const missing = new Set<string>();
const MISSING_REMEMBERED = 10_000;

/** The model module of a built-in apiVersion/kind, or null when kubernetes-models has none. */
function modelFile(apiVersion: string, kind: string): string | null {
  if (!API_VERSION.test(apiVersion) || !KIND.test(kind)) return null;
  const file = path.join(builtinModelsDir(), ...apiVersion.split('/'), `${kind}.js`);
  return existsSync(file) ? file : null;
}

function noModel(key: string): null {
  if (missing.size >= MISSING_REMEMBERED) missing.clear();
  missing.add(key);
  return null;
}

/** The kind's validator; null for a module of a nested type (`v1/PodSpec.js`), which is no kind. */
function validatorFrom(mod: Record<string, unknown>, apiVersion: string, kind: string): BuiltinValidator | null {
  const model = mod[kind];
  return isModel(model, apiVersion, kind) ? toValidator(model) : null;
}

function isModel(v: unknown, apiVersion: string, kind?: string): v is ModelClass {
  return (
    typeof v === 'function' &&
    (v as ModelClass).apiVersion === apiVersion &&
    (kind === undefined || (v as ModelClass).kind === kind) &&
    typeof (v as ModelClass).prototype.validate === 'function'
  );
}

/** A kubernetes-models model's validator as a function of a plain object. */
export function toValidator(model: ModelClass): BuiltinValidator {
  // The model's validate() reads `this`, so it runs on the plain object without copying it
  // into a model instance first.
  const validate = model.prototype.validate!;
  return (obj) => {
    try {
      validate.call(obj);
      return null;
    } catch (err) {
      const errors = (err as { errors?: unknown }).errors;
      if (Array.isArray(errors)) {
        const kept = (errors as SchemaError[]).filter((e) => !wrappedBase64(e, obj));
        return kept.length > 0 ? kept : null;
      }
      return [{ instancePath: '', keyword: 'validate', params: {}, message: (err as Error).message }];
    }
  };
}

/** kubernetes-models reads `byte` as unbroken base64; the API server's decoder skips line breaks. */
function wrappedBase64(e: SchemaError, obj: unknown): boolean {
  if (e.keyword !== 'format' || (e.params as { format?: unknown }).format !== 'byte') return false;
  const value = valueAt(obj, e.instancePath);
  return typeof value === 'string' && isBase64(value);
}

/**
 * Loads the validators of the built-in kinds among `ids` (and ConfigMap's, which checks
 * custom resources' metadata) with import(). Call before validating; a kind already loaded
 * costs a map lookup.
 */
export async function loadBuiltinSchemas(ids: Iterable<{ apiVersion: string; kind: string }>): Promise<void> {
  const wanted = new Map<string, { apiVersion: string; kind: string; file: string }>();
  for (const { apiVersion, kind } of [{ apiVersion: 'v1', kind: 'ConfigMap' }, ...ids]) {
    const key = `${apiVersion} ${kind}`;
    if (validators.has(key) || missing.has(key) || wanted.has(key)) continue;
    const file = modelFile(apiVersion, kind);
    if (file) wanted.set(key, { apiVersion, kind, file });
    else noModel(key);
  }
  await Promise.all(
    [...wanted].map(async ([key, { apiVersion, kind, file }]) => {
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const found = validatorFrom(mod, apiVersion, kind);
      if (found) validators.set(key, found);
      else noModel(key);
    }),
  );
}

/** The validator for a built-in apiVersion/kind, or null when kubernetes-models has none. */
export function builtinValidator(apiVersion: string, kind: string): BuiltinValidator | null {
  const key = `${apiVersion} ${kind}`;
  const cached = validators.get(key);
  if (cached !== undefined) return cached;
  if (missing.has(key)) return null;
  const file = modelFile(apiVersion, kind);
  if (!file) return noModel(key);
  let mod: Record<string, unknown>;
  try {
    mod = require(file) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`cannot load the Kubernetes schema of ${apiVersion} ${kind} (${(err as Error).message}); load it with loadBuiltinSchemas first`);
  }
  const found = validatorFrom(mod, apiVersion, kind);
  if (!found) return noModel(key);
  validators.set(key, found);
  return found;
}

const metaValidator = () => builtinValidator('v1', 'ConfigMap');

/**
 * Validates only `metadata`, for custom resources (CRD schemas leave it to the API server).
 * It borrows ConfigMap's validator, which is ObjectMeta plus fields that are all optional.
 */
export function validateMetadata(metadata: unknown): SchemaError[] | null {
  const v = metaValidator();
  return v ? v({ apiVersion: 'v1', kind: 'ConfigMap', metadata }) : null;
}
