// Custom resources are validated against their CRD schema pruned to the fields the object
// has (small validators instead of the whole schema's). The findings must be exactly the
// whole schema's: here both are compared on many objects, right and wrong, against a CRD
// that uses every construct pruning touches, and on real CRDs when their mirrors are present.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import jsyaml from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { pruneSchema, useShapeValidators } from '../../src/validate/crd.js';
import { crdSchemasFromResources, validateResources } from '../../src/validate/index.js';
import type { Finding } from '../../src/types.js';
import { OPTS, REPO_ROOT, res } from './helpers.js';

type Obj = Record<string, unknown>;

const SPEC: Obj = {
  type: 'object',
  required: ['mode'],
  properties: {
    mode: { type: 'string', enum: ['fast', 'slow'] },
    replicas: { type: 'integer', minimum: 0, maximum: 10 },
    port: { 'x-kubernetes-int-or-string': true, pattern: '^[a-z0-9-]+$' },
    host: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$', maxLength: 63 },
    every: { type: 'string', format: 'duration' },
    note: { type: 'string', nullable: true },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    targets: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['url'],
        properties: { url: { type: 'string', minLength: 1 }, weight: { type: 'integer' }, tls: { type: 'object', properties: { insecure: { type: 'boolean' } } } },
      },
    },
    rules: {
      type: 'array',
      maxItems: 5,
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string' },
          match: { type: 'object', properties: { path: { type: 'string', pattern: '^/' }, method: { type: 'string', enum: ['GET', 'POST'] } } },
          backends: { type: 'array', items: { type: 'object', properties: { ref: { type: 'string' }, port: { type: 'integer' } }, required: ['ref'] } },
        },
      },
    },
    source: {
      type: 'object',
      oneOf: [{ required: ['git'] }, { required: ['oci'] }],
      properties: {
        git: { type: 'object', properties: { url: { type: 'string' }, ref: { type: 'string' } }, required: ['url'] },
        oci: { type: 'object', properties: { image: { type: 'string' } } },
      },
    },
    window: {
      type: 'object',
      anyOf: [{ properties: { start: { type: 'string' } }, required: ['start'] }, { properties: { cron: { type: 'string' } }, required: ['cron'] }],
      allOf: [{ properties: { zone: { type: 'string', enum: ['UTC', 'Local'] } } }],
      not: { required: ['forbidden'] },
      properties: { start: {}, cron: {}, zone: {}, forbidden: {} },
    },
    template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } },
    extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'string' } } },
    byPattern: { type: 'object', patternProperties: { '^x-': { type: 'integer' } }, additionalProperties: { type: 'string' } },
  },
};

function crdFor(spec: Obj, group = 'example.com') {
  return crdSchemasFromResources([
    res({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `things.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { kind: 'Thing', plural: 'things' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec } } } }],
      },
    }),
  ]);
}

const GOOD: Obj = {
  mode: 'fast',
  replicas: 3,
  port: 'http',
  host: 'api.example.com',
  every: '5m',
  note: null,
  labels: { team: 'a', tier: 'web' },
  targets: { a: { url: 'https://a', weight: 1 }, b: { url: 'https://b', tls: { insecure: false } } },
  rules: [
    { name: 'r1', match: { path: '/x', method: 'GET' }, backends: [{ ref: 'svc', port: 80 }] },
    { name: 'r2', backends: [{ ref: 'other' }] },
  ],
  source: { git: { url: 'https://git', ref: 'main' } },
  window: { start: '01:00', zone: 'UTC' },
  template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, spec: { size: 1 } },
  extra: { known: 'k', anything: { goes: true } },
  byPattern: { 'x-one': 1, other: 'two' },
};

/** A seeded PRNG (mulberry32): the same variants on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES: unknown[] = ['', 'BAD VALUE', -1, 99, 1.5, true, null, [], {}, ['a'], { url: '' }, 'PT5M', '/ok', 'x'.repeat(70), { forbidden: 1 }];

/** `base` with a few random changes: fields dropped, added (known names and typos), retyped. */
function variant(base: Obj, rnd: () => number): Obj {
  const copy = structuredClone(base);
  const nodes: Array<{ parent: Obj | unknown[]; key: string | number }> = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach((x, i) => (nodes.push({ parent: v, key: i }), walk(x)));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) nodes.push({ parent: v as Obj, key: k }), walk(x);
  };
  walk(copy);
  const changes = 1 + Math.floor(rnd() * 3);
  for (let c = 0; c < changes && nodes.length; c++) {
    const n = nodes[Math.floor(rnd() * nodes.length)]!;
    const what = rnd();
    const parent = n.parent as Record<string | number, unknown>;
    if (what < 0.3 && !Array.isArray(n.parent)) delete parent[n.key];
    else if (what < 0.6) parent[n.key] = structuredClone(ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)]);
    else if (!Array.isArray(n.parent)) {
      const names = ['modee', 'replica', 'url', 'cron', 'size', 'insecure', 'ref', 'zone', 'weight', 'x-two', 'forbidden', 'name'];
      parent[names[Math.floor(rnd() * names.length)]!] = structuredClone(ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)]);
    } else (n.parent as unknown[]).push(structuredClone((n.parent as unknown[])[0]));
  }
  return copy;
}

function thing(spec: unknown, i: number): Obj {
  return { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: `t${i}`, namespace: 'n' }, spec };
}

function findingsOf(spec: Obj, objects: Obj[], shapes: boolean, strict = true): string[] {
  useShapeValidators(shapes);
  // A fresh CRD per mode: validators are remembered per CRD version.
  const crds = crdFor(spec);
  return objects.map((o) => JSON.stringify(validateResources([res(o)], { ...OPTS, strict, crds }).map((f: Finding) => [f.rule, f.message, f.severity])));
}

afterEach(() => useShapeValidators(true));

describe('CRD validators for the object\'s shape give the whole schema\'s findings', () => {
  const rnd = prng(9);
  const objects = [thing(GOOD, 0), ...Array.from({ length: 400 }, (_, i) => thing(variant(GOOD, rnd), i + 1))];

  it('on 400 variants of an object, strict and not', () => {
    for (const strict of [true, false]) {
      const whole = findingsOf(SPEC, objects, false, strict);
      const shaped = findingsOf(SPEC, objects, true, strict);
      expect(shaped).toEqual(whole);
      // The variants are wrong in many ways, so this compares more than empty lists.
      expect(new Set(whole).size).toBeGreaterThan(100);
      if (strict) expect(whole.filter((w) => w.includes('unknown-field')).length).toBeGreaterThan(20);
    }
  });

  it('when RE2 refuses one pattern (all patterns are dropped, as for the whole schema)', () => {
    const spec = structuredClone(SPEC);
    (spec.properties as Obj).lookahead = { type: 'string', pattern: '^(?!x)' };
    const some = objects.slice(0, 120);
    expect(findingsOf(spec, some, true)).toEqual(findingsOf(spec, some, false));
  });

  it('when the schema has a $ref (compiled whole)', () => {
    const spec = structuredClone(SPEC);
    (spec.properties as Obj).refd = { $ref: '#/properties/spec/properties/labels' };
    const some = objects.slice(0, 60);
    expect(findingsOf(spec, some, true)).toEqual(findingsOf(spec, some, false));
  });

  it('prunes what the object does not have, and keeps the names of properties', () => {
    const pruned = pruneSchema(SPEC, [{ mode: 'fast', rules: [{ name: 'a' }] }]) as Obj;
    const props = pruned.properties as Obj;
    expect(Object.keys(props)).toEqual(Object.keys(SPEC.properties as Obj));
    expect(props.targets).toBe(true);
    expect(props.mode).toEqual((SPEC.properties as Obj).mode);
    const rule = ((props.rules as Obj).items as Obj).properties as Obj;
    expect(rule.match).toBe(true);
    expect(rule.name).toEqual({ type: 'string' });
  });
});

/** Real CRDs and the custom resources their projects ship, from git mirrors when present. */
const MIRRORS = process.env.FERRY_BENCH_MIRRORS ?? path.resolve(REPO_ROOT, '..', '.mirror');
const REAL: Array<{ repo: string; paths: string[] }> = [
  { repo: 'prometheus-operator+kube-prometheus', paths: ['manifests'] },
  { repo: 'kubernetes-sigs+gateway-api', paths: ['config/crd/standard', 'examples/standard'] },
];

describe.skipIf(!REAL.some((r) => existsSync(path.join(MIRRORS, r.repo, 'repo'))))('on real CRDs (git mirrors)', () => {
  it('gives the same findings for every custom resource, and for variants of them', () => {
    let compared = 0;
    for (const { repo, paths } of REAL) {
      const git = path.join(MIRRORS, repo, 'repo');
      if (!existsSync(git)) continue;
      const files = execFileSync('git', ['--git-dir', git, 'ls-tree', '-r', '--name-only', 'HEAD', '--', ...paths], { encoding: 'utf8' }).split('\n').filter((f) => /\.ya?ml$/.test(f));
      const docs: Obj[] = [];
      for (const f of files) {
        const text = execFileSync('git', ['--git-dir', git, 'show', `HEAD:${f}`], { encoding: 'utf8', maxBuffer: 1 << 28 });
        try {
          for (const d of jsyaml.loadAll(text)) if (d && typeof d === 'object' && !Array.isArray(d)) docs.push(d as Obj);
        } catch {
          // Templates and test data that are not YAML are not what this compares.
        }
      }
      const crdDocs = docs.filter((d) => d.kind === 'CustomResourceDefinition');
      const kinds = new Set(crdDocs.map((d) => ((d.spec as Obj)?.names as Obj)?.kind));
      const rnd = prng(4);
      const crs = docs.filter((d) => kinds.has(d.kind as string));
      const objects = [...crs, ...crs.map((c) => ({ ...c, spec: variant((c.spec ?? {}) as Obj, rnd) }))];
      const run = (shapes: boolean) => {
        useShapeValidators(shapes);
        const crds = crdSchemasFromResources(crdDocs.map((d) => res(d)));
        return objects.map((o) => JSON.stringify(validateResources([res(o)], { ...OPTS, crds }).map((f) => [f.rule, f.message])));
      };
      expect(run(true)).toEqual(run(false));
      compared += objects.length;
    }
    expect(compared).toBeGreaterThan(100);
  }, 600_000);
});
