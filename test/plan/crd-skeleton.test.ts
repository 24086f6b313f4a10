import jsyaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { crdsInTree } from '../../src/plan/crds.js';
import { parseSourceManifests } from '../../src/render/manifests.js';
import { elideSchemas } from '../../src/plan/crd-skeleton.js';
import { crdSchemasFromObjects } from '../../src/validate/index.js';
import { Workspace } from '../../src/workspace/workspace.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

const V1 = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
  scope: Namespaced
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        description: |
          A widget.
          schema:
            not: a key
        type: object
        properties:
          spec:
            type: object

            properties:
              size: {type: integer, minimum: 1}
    served: true
    storage: true
  - schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: string}}}
    name: v2
    served: false
    deprecated: true
`;

const V1BETA1 = `apiVersion: apiextensions.k8s.io/v1beta1\r
kind: CustomResourceDefinition\r
metadata:\r
  name: gadgets.example.com\r
spec:\r
  group: example.com\r
  names: {kind: Gadget, plural: gadgets}\r
  version: v1alpha1\r
  validation:\r
    openAPIV3Schema:\r
      properties:\r
        spec:\r
          required: [color]\r
          properties:\r
            color: {type: string}\r
  # a comment at the key's indent ends nothing it should not\r
  preserveUnknownFields: false\r
`;

/** Flow style and tabs are left whole: the skeleton is then the text itself. */
const FLOW = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gizmos.example.com}
spec:
  group: example.com
  names: {kind: Gizmo, plural: gizmos}
  scope: Cluster
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object}}}}
`;

describe('CRD skeletons', () => {
  it('cuts block schemas out, and only them', () => {
    const s = elideSchemas(V1);
    expect(s.blocks).toHaveLength(2);
    const skeleton = jsyaml.load(s.text) as { spec: { versions: Array<Record<string, unknown>> } };
    expect(skeleton.spec.versions.map((v) => [v.name, v.schema, v.served])).toEqual([
      ['v1', 'ferry-elided-0', true],
      ['v2', 'ferry-elided-1', false],
    ]);
    // Each block parses on its own to the same value the whole document has there.
    const whole = jsyaml.load(V1) as { spec: { versions: Array<Record<string, unknown>> } };
    expect((jsyaml.load(s.blocks[0]!) as Record<string, unknown>).schema).toEqual(whole.spec.versions[0]!.schema);
    expect((jsyaml.load(s.blocks[1]!) as Record<string, unknown>).schema).toEqual(whole.spec.versions[1]!.schema);
    expect(elideSchemas(FLOW)).toEqual({ text: FLOW, blocks: [] });
    // A tab in a block's indentation: that block stays whole.
    expect(elideSchemas(V1.replace('        type: object\n', '       \ttype: object\n')).blocks).toHaveLength(1);
  });

  it('crdsInTree gives what parsing every CRD whole gives, schemas included', async () => {
    const install = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n---\n${V1}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: schema\ndata:\n  schema: |\n    x\n`;
    // A key repeated inside a schema: the last value counts, as in the whole document's parse.
    const dup = V1.replace('widgets', 'dups').replace('kind: Widget', 'kind: Dup').replace('        type: object\n        properties:\n          spec:', '        type: object\n        type: string\n        properties:\n          spec:');
    const r = new TestRepo().write({ 'crds/install.yaml': install, 'crds/old.yaml': V1BETA1, 'crds/flow.yaml': FLOW, 'crds/dup.yaml': dup });
    repos.push(r);
    r.commit('crds');
    const ws = await Workspace.open(r.dir, { cacheDir: tempDir() });
    const tree = await ws.openTree(await ws.resolve('HEAD'));
    try {
      const got = await crdsInTree(tree);
      const whole = parseSourceManifests(dup, 'dup.yaml').resources.map((x) => x.object);
      const want = crdSchemasFromObjects([...jsyaml.loadAll(install), jsyaml.load(V1BETA1), jsyaml.load(FLOW), ...whole].filter(Boolean));
      expect(got.versions.get('example.com/v1 Dup')!.schema).toMatchObject({ type: 'string' });
      expect([...got.versions.keys()].sort()).toEqual([...want.versions.keys()].sort());
      for (const [k, v] of want.versions) expect(JSON.parse(JSON.stringify(got.versions.get(k))), k).toEqual(JSON.parse(JSON.stringify(v)));
      expect(got.versions.get('example.com/v1alpha1 Gadget')!.schema).toMatchObject({ properties: { spec: { required: ['color'] } } });
    } finally {
      await tree.dispose();
    }
  });
});
