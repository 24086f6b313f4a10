// Turns ajv errors (from kubernetes-models' precompiled validators and from CRD schemas) into
// one short message per offending value. ajv reports a failed int-or-string as three errors
// (two types and a oneOf); people want one line that says what was expected.
import type { ErrorObject } from 'ajv';
import { displayPath, escapeSegment, showValue, typeName, unknownFieldMessage, valueAt } from './paths.js';

export interface Problem {
  rule: string;
  /** JSON pointer to the offending value (or to the object missing a field). */
  pointer: string;
  message: string;
}

/** Structural subset of ajv's ErrorObject, so kubernetes-models' own errors fit too. */
export type SchemaError = Pick<ErrorObject, 'instancePath' | 'keyword' | 'params'> & {
  message?: string;
  parentSchema?: unknown;
};

function isStatus(pointer: string): boolean {
  return pointer === '/status' || pointer.startsWith('/status/');
}

function where(pointer: string): string {
  return pointer === '' ? '' : `${displayPath(pointer)}: `;
}

function limitMessage(e: SchemaError, value: unknown): string | null {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(p.comparison)} ${String(p.limit)} (got ${showValue(value)})`;
    case 'minLength':
      return `must be at least ${String(p.limit)} characters long`;
    case 'maxLength':
      return `must be at most ${String(p.limit)} characters long`;
    case 'minItems':
      return `must have at least ${String(p.limit)} items`;
    case 'maxItems':
      return `must have at most ${String(p.limit)} items`;
    case 'minProperties':
      return `must have at least ${String(p.limit)} fields`;
    case 'maxProperties':
      return `must have at most ${String(p.limit)} fields`;
    case 'multipleOf':
      return `must be a multiple of ${String(p.multipleOf)}`;
    case 'uniqueItems':
      return `must not contain duplicates (items ${String(p.j)} and ${String(p.i)} are equal)`;
    default:
      return null;
  }
}

// Flux's postBuild substitution: `${VAR}`, `${VAR:=default}`, `${VAR:-default}`, anywhere
// in a string. Only short values are searched: `[^}]*` rescans from every `${`.
const FLUX_VAR = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[=-][^}]*)?\}/;

function isFluxPlaceholder(value: unknown): boolean {
  return typeof value === 'string' && value.length <= 1000 && FLUX_VAR.test(value);
}

function describeGroup(pointer: string, errs: SchemaError[], root: unknown, out: Problem[]): void {
  const value = valueAt(root, pointer);
  const rest: SchemaError[] = [];
  for (const e of errs) {
    if (e.keyword === 'required') {
      const missing = String((e.params as { missingProperty?: unknown }).missingProperty);
      out.push({ rule: 'schema', pointer, message: `${where(pointer)}missing required field ${JSON.stringify(missing)}` });
    } else if (e.keyword === 'additionalProperties') {
      const key = String((e.params as { additionalProperty?: unknown }).additionalProperty);
      const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
      const at = `${pointer}/${escapeSegment(key)}`;
      out.push({ rule: 'unknown-field', pointer: at, message: unknownFieldMessage(at, Object.keys(props)) });
    } else {
      rest.push(e);
    }
  }
  if (rest.length === 0) return;
  if (isFluxPlaceholder(value)) {
    out.push({
      rule: 'flux-unsubstituted',
      pointer,
      message: `${where(pointer)}${showValue(value)} is an unsubstituted Flux variable; the field is checked only once it is substituted`,
    });
    return;
  }

  const format = rest.find((e) => e.keyword === 'format');
  const types = rest.filter((e) => e.keyword === 'type').map((e) => String((e.params as { type?: unknown }).type));
  const enumErr = rest.find((e) => e.keyword === 'enum' || e.keyword === 'const');
  const pattern = rest.find((e) => e.keyword === 'pattern');
  let message: string;
  // `1.5` for an int32 is a wrong type first; a format message would hide that.
  if (format && !(types.length > 0 && typeof value === 'number')) {
    message = `${showValue(value)} is not a valid ${String((format.params as { format?: unknown }).format)}`;
  } else if (types.length > 0) {
    const expected = [...new Set(types.flatMap((t) => t.split(',')))].join(' or ');
    message = `expected ${expected}, got ${typeName(value)}`;
  } else if (enumErr) {
    const p = enumErr.params as { allowedValues?: unknown[]; allowedValue?: unknown };
    const allowed = p.allowedValues ?? [p.allowedValue];
    message = `${showValue(value)} is not one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
  } else if (pattern) {
    message = `${showValue(value)} does not match the pattern ${String((pattern.params as { pattern?: unknown }).pattern)}`;
  } else {
    const limit = rest.map((e) => limitMessage(e, value)).find((m) => m !== null);
    const plain = rest.find((e) => !['oneOf', 'anyOf', 'allOf', 'not', 'if'].includes(e.keyword));
    message = limit ?? (plain ? plain.message ?? `fails "${plain.keyword}"` : `${showValue(value)} does not match any allowed form`);
  }
  out.push({ rule: 'schema', pointer, message: where(pointer) + message });
}

/** Appends one Problem per offending value; problems under `status` are dropped. */
export function describeSchemaErrors(errors: ReadonlyArray<SchemaError>, root: unknown, out: Problem[]): void {
  const groups = new Map<string, SchemaError[]>();
  for (const e of errors) {
    if (isStatus(e.instancePath)) continue;
    const g = groups.get(e.instancePath);
    if (g) g.push(e);
    else groups.set(e.instancePath, [e]);
  }
  for (const [pointer, errs] of groups) describeGroup(pointer, errs, root, out);
}
