import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdsInTree } from '../../src/plan/crds.js';
import { crdSchemasFromResources, validateResources, type CrdSchemas } from '../../src/validate/index.js';
import { Workspace } from '../../src/workspace/workspace.js';
import { TestRepo } from '../helpers/gitrepo.js';
import { OPTS, only, res, rules } from './helpers.js';

const WIDGET_CRD_YAML = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: { kind: Widget, plural: widgets, singular: widget }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: { type: integer, minimum: 1 }
                color: { type: string, enum: [red, blue] }
                code: { type: string, pattern: "(?i)^[a-z]+$" }
                port:
                  x-kubernetes-int-or-string: true
                  anyOf: [{ type: integer }, { type: string }]
                values: { type: object, x-kubernetes-preserve-unknown-fields: true }
                labels: { type: object, additionalProperties: { type: string } }
                note: { type: string, nullable: true }
                parts:
                  type: array
                  items:
                    type: object
                    properties:
                      name: { type: string }
            status:
              type: object
              properties:
                ready: { type: boolean }
    - name: v1beta1
      served: true
      storage: false
      deprecated: true
      deprecationWarning: example.com/v1beta1 Widget is deprecated; use example.com/v1
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`;

function widget(spec: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'n' }, spec, ...extra };
}

let dir: string;
let crds: CrdSchemas;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ferry-crd-'));
  const w = (rel: string, text: string | Buffer) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  // A CRD among other documents, in a .yml file deep in the tree.
  w('infra/crds/widgets.yml', `apiVersion: v1\nkind: Namespace\nmetadata: { name: n }\n---\n${WIDGET_CRD_YAML}`);
  // Broken and templated YAML that mentions CRDs must be skipped quietly.
  w('charts/x/templates/crd.yaml', 'kind: CustomResourceDefinition\nspec: {{ .Values.spec | toYaml }}\n  : bad');
  w('broken.yaml', 'kind: CustomResourceDefinition\n  - [unclosed');
  // An alias bomb mentioning CRDs.
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill('*' + String.fromCharCode(97 + i)).join(', ')}]`);
  w('bomb.yaml', `kind: CustomResourceDefinition\n${bomb.join('\n')}\n`);
  // CRDs where the walk must not look.
  const gadget = WIDGET_CRD_YAML.replace(/Widget/g, 'Gadget').replace(/widgets/g, 'gadgets').replace(/widget\b/g, 'gadget');
  w('node_modules/pkg/crd.yaml', gadget);
  w('.github/crd.yaml', gadget);
  w('notes.txt', gadget);
  w('big/huge.yaml', gadget + '#' + 'x'.repeat(5 * 1024 * 1024) + '\n');
  crds = await crdsAt(dir);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Commits a folder to a throwaway git repository and reads its CRDs as the engine does. */
async function crdsAt(folder: string): Promise<CrdSchemas> {
  const repo = new TestRepo();
  try {
    if (existsSync(folder)) cpSync(folder, repo.dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.git${path.sep}`) && !src.endsWith(`${path.sep}.git`) });
    const sha = repo.commit('crds');
    const tree = await (await Workspace.open(repo.dir, { cacheDir: tmpdir() })).openTree(sha);
    try {
      return await crdsInTree(tree);
    } finally {
      await tree.dispose();
    }
  } finally {
    repo.cleanup();
  }
}

const strict = () => ({ ...OPTS, crds });

describe('crdsInTree', () => {
  it('finds CRD versions in committed YAML files and skips hidden folders, node_modules, other files and files over 5 MB', () => {
    expect([...crds.versions.keys()].sort()).toEqual(['example.com/v1 Widget', 'example.com/v1beta1 Widget']);
    expect(crds.versions.get('example.com/v1 Widget')).toMatchObject({ scope: 'Namespaced', crd: 'widgets.example.com', served: true, deprecated: false });
  });

  it('returns nothing for a tree without CRDs or a missing folder', async () => {
    expect((await crdsAt(path.join(dir, 'charts'))).versions.size).toBe(0);
    expect((await crdsAt(path.join(dir, 'does-not-exist'))).versions.size).toBe(0);
  });
});

describe('custom resources with a CRD', () => {
  it('accepts a valid custom resource', () => {
    const w = widget({ size: 2, color: 'red', code: 'ABC', port: 'http', values: { any: { thing: 1 } }, labels: { a: 'b' }, note: null, parts: [{ name: 'p' }] }, { status: { ready: 'maybe', extra: 1 } });
    expect(validateResources([res(w)], strict())).toEqual([]);
    expect(validateResources([res(widget({ size: 1, port: 8080 }))], strict())).toEqual([]);
  });

  it('reports schema errors under the schema rule', () => {
    const f = validateResources([res(widget({ size: 'big', color: 'green', port: true }))], strict());
    expect(f.every((x) => x.rule === 'schema' && x.severity === 'error')).toBe(true);
    expect(f.map((x) => x.message).sort()).toEqual([
      'spec.color: "green" is not one of "red", "blue"',
      'spec.port: expected integer or string, got boolean',
      'spec.size: expected integer, got string',
    ]);
    expect(validateResources([res(widget({ size: 0 }))], strict()).map((x) => x.message)).toEqual(['spec.size: must be >= 1 (got 0)']);
    expect(validateResources([res(widget({}))], strict()).map((x) => x.message)).toEqual(['spec: missing required field "size"']);
  });

  it('reports unknown fields under strict, with suggestions and pointers', () => {
    const located: string[] = [];
    const w = widget({ size: 1, colour: 'red', parts: [{ nme: 'x' }] }, { extra: true });
    (w.metadata as Record<string, unknown>).labelz = {};
    const f = validateResources([res(w, { file: 'w.yaml', line: 1, locate: (p) => (located.push(p), 3) })], strict());
    expect(f.map((x) => [x.rule, x.message]).sort()).toEqual([
      ['unknown-field', 'extra: unknown field'],
      ['unknown-field', 'metadata.labelz: unknown field (did you mean "labels"?)'],
      ['unknown-field', 'spec.colour: unknown field (did you mean "color"?)'],
      ['unknown-field', 'spec.parts[0].nme: unknown field (did you mean "name"?)'],
    ]);
    expect(located.sort()).toEqual(['/extra', '/metadata/labelz', '/spec/colour', '/spec/parts/0/nme']);
  });

  it('leaves unknown fields alone when strict is off', () => {
    const w = widget({ size: 1, colour: 'red' });
    expect(validateResources([res(w)], { ...strict(), strict: false })).toEqual([]);
    expect(rules(validateResources([res(widget({ size: 'x', colour: 'red' }))], { ...strict(), strict: false }))).toEqual(['schema']);
  });

  it('validates metadata like the API server would', () => {
    const w = widget({ size: 1 });
    (w.metadata as Record<string, unknown>).labels = { a: 1 };
    expect(only(validateResources([res(w)], strict()), 'schema').map((x) => x.message)).toEqual(['metadata.labels.a: expected string, got integer']);
  });

  it('reports a CRD-deprecated version with the CRD’s own warning', () => {
    const old = { apiVersion: 'example.com/v1beta1', kind: 'Widget', metadata: { name: 'w' }, spec: { anything: true } };
    const f = validateResources([res(old)], strict());
    expect(f.map((x) => [x.rule, x.severity, x.message])).toEqual([['deprecated-api', 'warning', 'example.com/v1beta1 Widget is deprecated; use example.com/v1']]);
  });

  it('says which versions exist when the apiVersion names another one', () => {
    const f = validateResources([res({ apiVersion: 'example.com/v2', kind: 'Widget', metadata: { name: 'w' } })], strict());
    expect(f.map((x) => [x.rule, x.message])).toEqual([
      ['unknown-kind', 'example.com/v2 Widget: CRD widgets.example.com does not define this version (it has example.com/v1, example.com/v1beta1)'],
    ]);
  });

  it('uses CRDs shipped in the app itself', async () => {
    const { parse } = await import('yaml');
    const crd = res(parse(WIDGET_CRD_YAML) as Record<string, unknown>);
    const bad = res(widget({ size: 1, colour: 'red' }));
    expect(rules(validateResources([bad], OPTS))).toEqual(['unknown-kind']);
    expect(rules(validateResources([crd, bad], OPTS))).toEqual(['unknown-field']);
    expect(crdSchemasFromResources([crd]).versions.has('example.com/v1 Widget')).toBe(true);
  });

  it('treats apiextensions v1beta1 CRDs as open unless preserveUnknownFields is false', () => {
    const legacy = (preserve?: boolean) => ({
      apiVersion: 'apiextensions.k8s.io/v1beta1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gizmos.example.com' },
      spec: {
        group: 'example.com',
        version: 'v1alpha1',
        names: { kind: 'Gizmo', plural: 'gizmos' },
        scope: 'Cluster',
        ...(preserve === undefined ? {} : { preserveUnknownFields: preserve }),
        validation: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
      },
    });
    const gizmo = { apiVersion: 'example.com/v1alpha1', kind: 'Gizmo', metadata: { name: 'g' }, spec: { size: 'x', sise: 1 } };
    const open = crdSchemasFromResources([res(legacy())]);
    expect(open.versions.get('example.com/v1alpha1 Gizmo')?.scope).toBe('Cluster');
    expect(rules(validateResources([res(gizmo)], { ...OPTS, crds: open }))).toEqual(['schema']);
    const closed = crdSchemasFromResources([res(legacy(false))]);
    expect(rules(validateResources([res(gizmo)], { ...OPTS, crds: closed })).sort()).toEqual(['schema', 'unknown-field']);
  });
});
