// src/validate/field-shapes.ts is a generated copy of @kubernetes/client-node's field lists,
// so that the CLI need not load client-node's ~760 model modules. Here: the committed copy is
// what the generator makes from the installed client-node, and the shapes strict.ts compiles
// from it are exactly those it compiled from client-node's classes directly.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as models from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { FIELD_SHAPES_FILE, generateFieldShapes } from '../../scripts/gen-field-shapes.js';
import { NEWER_APIS } from '../../src/validate/newer-apis.js';
import { builtinModelsDir } from '../../src/validate/schemas.js';
import { builtinShape, metadataShape } from '../../src/validate/strict.js';

interface Attribute {
  baseName: string;
  type: string;
}
interface ModelClass {
  getAttributeTypeMap(): Attribute[];
}

// The shape graph strict.ts built from client-node's classes before field-shapes.ts existed
// (its code then, kept as the reference).
interface RefObject {
  fields: Map<string, RefShape>;
}
type RefShape = RefObject | { item: RefShape } | { value: RefShape } | null;

function referenceShapes() {
  const classes = models as unknown as Record<string, ModelClass | undefined>;
  const shapes = new Map<string, RefObject | null>();
  const modelClass = (name: string): ModelClass | null => {
    const c = classes[name];
    return c && typeof c.getAttributeTypeMap === 'function' ? c : null;
  };
  const objectShape = (name: string): RefObject | null => {
    const cached = shapes.get(name);
    if (cached !== undefined) return cached;
    const cls = modelClass(name);
    if (!cls) {
      shapes.set(name, null);
      return null;
    }
    const shape: RefObject = { fields: new Map() };
    shapes.set(name, shape);
    for (const a of cls.getAttributeTypeMap()) shape.fields.set(a.baseName, parseType(a.type));
    return shape;
  };
  const parseType = (type: string): RefShape => {
    const t = type.trim();
    if (t.startsWith('Array<') && t.endsWith('>')) {
      const item = parseType(t.slice(6, -1));
      return item === null ? null : { item };
    }
    const map = /^\{\s*\[key: string\]:\s*(.+?);?\s*\}$/.exec(t);
    if (map) {
      const value = parseType(map[1]!);
      return value === null ? null : { value };
    }
    return /^[A-Z]/.test(t) && t !== 'Date' && t !== 'IntOrString' ? objectShape(t) : null;
  };
  const versionPrefix = (version: string) => 'V' + version.slice(1);
  const builtin = (apiVersion: string, kind: string): RefObject | null => {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const groupWord = group === '' ? 'Core' : group.split('.')[0]!;
    const prefixed = groupWord.charAt(0).toUpperCase() + groupWord.slice(1) + versionPrefix(version) + kind;
    for (const name of [prefixed, versionPrefix(version) + kind]) {
      const cls = modelClass(name);
      const keys = cls ? new Set(cls.getAttributeTypeMap().map((a) => a.baseName)) : null;
      if (keys?.has('apiVersion') && keys.has('kind')) return objectShape(name);
    }
    return null;
  };
  return { builtin, metadata: () => objectShape('V1ObjectMeta') };
}

/**
 * A shape graph as plain data, objects numbered in the order first met: equal for two graphs
 * exactly when they have the same fields in the same order, the same leaves, and share (and
 * recurse through) the same objects.
 */
function describeGraph(root: unknown): unknown {
  const ids = new Map<object, number>();
  const describe = (s: unknown): unknown => {
    if (s === null) return null;
    const o = s as { fields?: Map<string, unknown>; item?: unknown; value?: unknown };
    if (o.fields) {
      const seen = ids.get(o);
      if (seen !== undefined) return { ref: seen };
      const id = ids.size;
      ids.set(o, id);
      return { id, fields: [...o.fields].map(([k, v]) => [k, describe(v)]) };
    }
    if ('item' in o) return { array: describe(o.item) };
    if ('value' in o) return { map: describe(o.value) };
    throw new Error(`not a shape: ${JSON.stringify(s)}`);
  };
  return describe(root);
}

/** Every apiVersion/kind Ferry takes as built in (as src/validate/catalog.ts lists them). */
function builtinKinds(): Array<[string, string]> {
  const dir = builtinModelsDir();
  const exports = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports;
  const out: Array<[string, string]> = [];
  for (const key of Object.keys(exports)) {
    const apiVersion = /^\.\/((?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\/)?v\d+(?:(?:alpha|beta)\d+)?)$/.exec(key)?.[1];
    if (!apiVersion) continue;
    const files = new Set(readdirSync(path.join(dir, apiVersion)));
    for (const f of files) {
      if (!f.endsWith('.js') || f === 'index.js') continue;
      out.push([apiVersion, f.slice(0, -'.js'.length)]);
    }
  }
  for (const row of NEWER_APIS) for (const kind of row.kinds) out.push([row.apiVersion, kind]);
  return out;
}

describe('field shapes of built-in kinds', () => {
  it('the committed src/validate/field-shapes.ts is what scripts/gen-field-shapes.ts makes now', async () => {
    // On failure after upgrading @kubernetes/client-node: npx tsx scripts/gen-field-shapes.ts
    expect(readFileSync(FIELD_SHAPES_FILE, 'utf8')).toBe(await generateFieldShapes());
  });

  it('compiles the same shapes as client-node classes gave, for every built-in kind and ObjectMeta', () => {
    const ref = referenceShapes();
    const kinds = builtinKinds();
    expect(kinds.length).toBeGreaterThan(500);
    let found = 0;
    for (const [apiVersion, kind] of [...kinds, ['example.com/v1', 'Deployment'], ['v1', 'NoSuchKind']] as const) {
      const expected = ref.builtin(apiVersion, kind);
      if (expected) found++;
      expect(describeGraph(builtinShape(apiVersion, kind)), `${apiVersion} ${kind}`).toEqual(describeGraph(expected));
    }
    // 179 with client-node 2.0.1: the pairs also name sub-types, which have no shape.
    expect(found).toBeGreaterThan(150);
    expect(describeGraph(metadataShape())).toEqual(describeGraph(ref.metadata()));
  });

  it('keeps recursive types recursive (JSONSchemaProps) and group-prefixed classes apart (Event)', () => {
    const crd = builtinShape('apiextensions.k8s.io/v1', 'CustomResourceDefinition')!;
    const step = (s: unknown, key: string) => (s as { fields: Map<string, unknown> }).fields.get(key);
    const versions = (step(step(crd, 'spec'), 'versions') as { item: unknown }).item;
    const schema = step(step(versions, 'schema'), 'openAPIV3Schema');
    const nested = (step(schema, 'properties') as { value: unknown }).value;
    expect(nested).toBe(schema);
    expect(builtinShape('v1', 'Event')!.fields.has('involvedObject')).toBe(true);
    expect(builtinShape('events.k8s.io/v1', 'Event')!.fields.has('involvedObject')).toBe(false);
  });
});
