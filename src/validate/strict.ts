// Unknown-field detection for built-in kinds. kubernetes-models' schemas accept any extra
// field, so the field sets come from @kubernetes/client-node's generated models, whose
// `getAttributeTypeMap()` lists every JSON key of every type. Loading those models costs
// ~195 ms at every start, so scripts/gen-field-shapes.ts copies the part read here into
// field-shapes.ts (its format is described there). Shapes are compiled once per type into
// Maps and shared, so a warm walk allocates nothing unless it finds something.
import type { Problem } from './errors.js';
import { FIELD_SHAPES_JSON } from './field-shapes.js';
import { pointerOf, unknownFieldMessage } from './paths.js';
import { isRecord } from '../util/is-record.js';

/** Flat [field, type, field, type, ...]; a type is 0 (leaf), a type name, or `[`/`{` + type. */
type FieldList = ReadonlyArray<string | 0>;

/** null: a leaf (or a type whose fields are free-form), nothing to walk. */
type Shape = Walkable | null;
type Walkable = ObjectShape | ArrayShape | MapShape;

class ObjectShape {
  readonly fields = new Map<string, Shape>();
}
class ArrayShape {
  constructor(readonly item: Walkable) {}
}
class MapShape {
  constructor(readonly value: Walkable) {}
}

let table: Record<string, FieldList | undefined> | null = null;
const shapes = new Map<string, ObjectShape | null>();

/** The fields of a type, or null when the generated table has none (it keeps the kinds, ObjectMeta and what they reach). */
function fieldList(name: string): FieldList | null {
  table ??= JSON.parse(FIELD_SHAPES_JSON) as Record<string, FieldList | undefined>;
  // Own keys only: a name like `constructor` must not reach Object.prototype.
  return Object.hasOwn(table, name) ? (table[name] ?? null) : null;
}

function objectShape(name: string): ObjectShape | null {
  const cached = shapes.get(name);
  if (cached !== undefined) return cached;
  const fields = fieldList(name);
  if (!fields) {
    shapes.set(name, null);
    return null;
  }
  const shape = new ObjectShape();
  // Registered before its fields are resolved: types are recursive (JSONSchemaProps).
  shapes.set(name, shape);
  for (let i = 0; i + 1 < fields.length; i += 2) shape.fields.set(String(fields[i]), fieldShape(fields[i + 1]!));
  return shape;
}

function fieldShape(type: string | 0): Shape {
  if (type === 0) return null;
  if (type.startsWith('[')) {
    const item = fieldShape(type.slice(1));
    return item === null ? null : new ArrayShape(item);
  }
  if (type.startsWith('{')) {
    const value = fieldShape(type.slice(1));
    return value === null ? null : new MapShape(value);
  }
  return objectShape(type);
}

function versionPrefix(version: string): string {
  return 'V' + version.slice(1);
}

const topShapes = new Map<string, ObjectShape | null>();

/**
 * The field shape for a built-in apiVersion/kind. Callers must already know the pair is
 * built in (kubernetes-models has a validator for it): client-node names classes without
 * the group unless two groups clash (`V1Deployment`, but `CoreV1Event` / `EventsV1Event`),
 * so the name alone cannot tell `apps/v1 Deployment` from a CRD's `example.com/v1 Deployment`.
 */
export function builtinShape(apiVersion: string, kind: string): ObjectShape | null {
  const key = `${apiVersion} ${kind}`;
  let shape = topShapes.get(key);
  if (shape === undefined) {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const groupWord = group === '' ? 'Core' : group.split('.')[0]!;
    const prefixed = groupWord.charAt(0).toUpperCase() + groupWord.slice(1) + versionPrefix(version) + kind;
    shape = null;
    for (const name of [prefixed, versionPrefix(version) + kind]) {
      const found = objectShape(name);
      if (found?.fields.has('apiVersion') && found.fields.has('kind')) {
        shape = found;
        break;
      }
    }
    topShapes.set(key, shape);
  }
  return shape;
}

/** Field shape of ObjectMeta, for checking custom resources' metadata. */
export function metadataShape(): ObjectShape | null {
  return objectShape('V1ObjectMeta');
}

function walkObject(
  obj: Record<string, unknown>,
  shape: ObjectShape,
  path: Array<string | number>,
  out: Problem[],
  skip?: string,
): void {
  for (const key in obj) {
    if (key === skip) continue;
    const field = shape.fields.get(key);
    if (field === undefined) {
      path.push(key);
      const pointer = pointerOf(path);
      out.push({ rule: 'unknown-field', pointer, message: unknownFieldMessage(pointer, shape.fields.keys()) });
      path.pop();
    } else if (field !== null) {
      const child = obj[key];
      if (child !== null && typeof child === 'object') {
        path.push(key);
        walk(child, field, path, out);
        path.pop();
      }
    }
  }
}

function walk(value: object, shape: Walkable, path: Array<string | number>, out: Problem[]): void {
  if (shape instanceof ObjectShape) {
    if (!Array.isArray(value)) walkObject(value as Record<string, unknown>, shape, path, out);
  } else if (shape instanceof ArrayShape) {
    if (!Array.isArray(value)) return;
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i];
      if (child !== null && typeof child === 'object') {
        path.push(i);
        walk(child, shape.item, path, out);
        path.pop();
      }
    }
  } else if (!Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const key in obj) {
      const child = obj[key];
      if (child !== null && typeof child === 'object') {
        path.push(key);
        walk(child, shape.value, path, out);
        path.pop();
      }
    }
  }
}

/**
 * Appends an unknown-field Problem for every key the shape does not know. `base` is the
 * pointer of `value` inside the resource; `skip` names a top-level key not to check.
 */
export function findUnknownFields(
  value: unknown,
  shape: ObjectShape,
  out: Problem[],
  base: Array<string | number> = [],
  skip?: string,
): void {
  if (isRecord(value)) walkObject(value, shape, [...base], out, skip);
}

export type { ObjectShape };
