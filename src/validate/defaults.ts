// What the API server does to a custom resource before it validates it: fill in schema
// `default`s, and drop `null`s of fields that are not `nullable` (structural-schema
// defaulting and null pruning). Validating the object as written would report a oneOf or a
// required field that a default satisfies, and a null the server simply drops.
//
// Copy-on-write: the caller's object is also diffed, so it is never changed; parts that need
// nothing are shared with the result, and an object that needs nothing is returned as is.

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Top-level fields the API server owns; a CRD schema does not default them. */
const SERVER_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

function hasDefault(s: Json): boolean {
  return s.default !== undefined;
}

function nonNullableNull(v: unknown, s: Json): boolean {
  return v === null && s.nullable !== true;
}

function childSchema(s: Json, key: string): Json | null {
  const props = s.properties;
  if (isObject(props) && Object.hasOwn(props, key)) return isObject(props[key]) ? props[key] : null;
  return isObject(s.additionalProperties) ? s.additionalProperties : null;
}

// A schema's properties with a default, found once per schema node: a CRD's schema can
// list hundreds of properties per level, and every resource of the kind walks it.
const defaultsOf = new WeakMap<Json, Array<[string, Json]>>();
const rootDefaultsOf = new WeakMap<Json, Array<[string, Json]>>();

function defaultedProperties(s: Json, root: boolean): Array<[string, Json]> {
  const cache = root ? rootDefaultsOf : defaultsOf;
  let list = cache.get(s);
  if (!list) {
    list = [];
    const props = isObject(s.properties) ? s.properties : {};
    for (const [k, p] of Object.entries(props)) {
      if (root && SERVER_FIELDS.has(k)) continue;
      if (isObject(p) && hasDefault(p)) list.push([k, p]);
    }
    cache.set(s, list);
  }
  return list;
}

function normalise(value: unknown, s: Json, root: boolean): unknown {
  if (Array.isArray(value)) {
    const items = isObject(s.items) ? s.items : null;
    if (!items) return value;
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const next = nonNullableNull(v, items) && hasDefault(items) ? structuredClone(items.default) : normalise(v, items, false);
      if (next !== v) (out ??= value.slice())[i] = next;
    }
    return out ?? value;
  }
  if (!isObject(value)) return value;

  let out: Json | null = null;
  for (const [k, p] of defaultedProperties(s, root)) {
    if (!Object.hasOwn(value, k) || nonNullableNull(value[k], p)) (out ??= { ...value })[k] = structuredClone(p.default);
  }
  // Keys, not entries: no pair array per field of every custom resource. Reading each
  // value as it comes is the same as entries' snapshot: only the current key is written.
  const from = out ?? value;
  for (const k of Object.keys(from)) {
    const v = from[k];
    if (root && SERVER_FIELDS.has(k)) continue;
    const p = childSchema(s, k);
    if (!p) continue;
    if (nonNullableNull(v, p)) {
      // Left only when no default applied: the server drops it.
      out ??= { ...value };
      delete out[k];
      continue;
    }
    const next = normalise(v, p, false);
    if (next !== v) (out ??= { ...value })[k] = next;
  }
  return out ?? value;
}

/** `obj` as the API server would validate it against `schema`: defaulted, nulls pruned. */
export function defaulted(obj: Json, schema: Json): Json {
  return normalise(obj, schema, true) as Json;
}
