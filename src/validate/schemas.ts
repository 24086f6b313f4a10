// Built-in kinds, validated offline by kubernetes-models' precompiled ajv validators.
//
// Model modules are loaded with require() on first use of each apiVersion/kind: the package
// has ~1,700 schema modules and an app touches a handful, so loading everything up front
// would dominate a cold run. Each model's path in the package *is* its apiVersion and kind
// (`kubernetes-models/apps/v1/Deployment`, core is `kubernetes-models/v1/Pod`), which gives
// the lookup for free without a hand-written list of kinds.
//
// It is installed as `kubernetes-models-4` (an npm alias of kubernetes-models 4.5): the
// custom-resource packages (bundled.ts) need kubernetes-models 5 under its own name, and
// 5 is ESM-only, which `require` on Node 20.18 cannot load.
import { createRequire } from 'node:module';
import type { SchemaError } from './errors.js';
import { isBase64 } from './formats.js';
import { valueAt } from './paths.js';

const require = createRequire(import.meta.url);

/** The package built-in kinds are validated with (see above). */
export const BUILTIN_MODELS = 'kubernetes-models-4';

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

function loadModule(spec: string): Record<string, unknown> | null {
  try {
    return require(spec) as Record<string, unknown>;
  } catch {
    return null;
  }
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

/** The validator for a built-in apiVersion/kind, or null when kubernetes-models has none. */
export function builtinValidator(apiVersion: string, kind: string): BuiltinValidator | null {
  const key = `${apiVersion} ${kind}`;
  const cached = validators.get(key);
  if (cached !== undefined) return cached;
  let found: BuiltinValidator | null = null;
  if (API_VERSION.test(apiVersion) && KIND.test(kind)) {
    const mod = loadModule(`${BUILTIN_MODELS}/${apiVersion}/${kind}`);
    const model = mod?.[kind];
    if (isModel(model, apiVersion, kind)) found = toValidator(model);
  }
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
