// A trivial kustomization rendered in process must give exactly what Ferry reads from the
// real `kubectl kustomize` on the same folder: the same objects, keys in the same order,
// resources in the same order. Everything else must be declined (and go to kubectl).
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRenderedObjects } from '../../src/render/manifests.js';
import { goYamlKeyLess, goYamlKeyOrder, renderTrivialKustomization, type TrivialTree } from '../../src/render/trivial-kustomization.js';
import { CORPUS, hasCorpus } from '../helpers/bin.js';
import { tempDir } from '../helpers/gitrepo.js';

const KUSTOMIZATION = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n';

/** A folder on disk read as the in-process render reads a commit: regular files only, recording what it reads. */
function diskTree(root: string, reads: string[] = []): TrivialTree {
  return {
    entry: (p) => {
      try {
        const s = lstatSync(path.join(root, p));
        return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other';
      } catch {
        return null;
      }
    },
    read: (p) => {
      reads.push(p);
      return readFileSync(path.join(root, p));
    },
  };
}

function folder(files: Record<string, string | Buffer>): string {
  const dir = tempDir('ferry-trivial-');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const kustomization = (...files: string[]) => KUSTOMIZATION + files.map((f) => `- ${f}\n`).join('');

function kubectlObjects(dir: string): Record<string, unknown>[] {
  return parseRenderedObjects(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Renders in process (which must accept) and with kubectl; both as Ferry reads them, order and key order included. */
function expectSameAsKubectl(dir: string, sub = ''): void {
  const r = renderTrivialKustomization(sub, diskTree(dir), 64 << 20);
  if (!r.ok) throw new Error(`declined: ${r.declined}`);
  const ours = r.resources.map((x) => x.object);
  const theirs = kubectlObjects(path.join(dir, sub));
  expect(ours.length).toBeGreaterThan(0);
  expect(JSON.stringify(ours)).toBe(JSON.stringify(theirs));
  // JSON hides -0, NaN and undefined: compared value by value as well.
  expect(ours).toStrictEqual(theirs);
}

const SCALARS = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: scalars
  labels:
    app: web
    tier: "1"
  annotations:
    note: "yes"
    z-last: ""
spec:
  yes: yes
  no: no
  on: on
  off: off
  y: y
  n: n
  octal: 0644
  octalo: 0o644
  octalneg: -0644
  hex: 0x1F
  under: 1_000
  tilde: ~
  empty:
  nul: null
  NullWord: Null
  big: 123456789012345678901234567890
  big2: 9223372036854775808
  big3: 18446744073709551616
  neg: -12
  plus: +12
  negzero: -0
  negzerof: -0.0
  exp: 1e3
  expneg: 1e-7
  float: 1.50
  dotfloat: .5
  huge: 1e400
  t: true
  T: True
  f: FALSE
  single: 'single'
  double: "double"
  qnum: "123"
  qfloat: "1.5"
  qbool: "true"
  qnull: "null"
  qtilde: "~"
  qempty: ""
  qhuge: "1e400"
  lit: |
    line1
      indented
    line3
  litkeep: |+
    keep

  litstrip: |-
    strip
  plainmulti: plain
    multi line
  singlemulti: 'single
    multi'
  long: "${'a long sentence with spaces, '.repeat(8)}end"
  spaces: "a  b   c"
  lead: "  leading"
  trail: "trailing  "
  colon: "a: b"
  hash: "a #b"
  dash: "- x"
  at: "@at"
  backtick: "\`x\`"
  percent: "%x"
  cve: see CVE-2021-25740 and v1-2024-01 for more
  unicode: "héllo wörld ✓"
  json: '{"a": 1}'
  escaped: "a\\nb\\tc"
  emptymap: {}
  emptylist: []
  flow: [a, "b", 3]
  list:
  - 1
  - two
  - - nested
  - a: 1
    b: 2
  nested:
    z: 1
    a: 2
    a10: x
    a2: x
    B: x
    _x: x
    a-b: x
    a_b: x
    a.b: x
    x00: x
    x0: x
    z9: x
    z010: x
    z0010: x
    "a b": x
`;

const ORDER = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: v
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
spec:
  replicas: 1
---
apiVersion: v1
kind: Namespace
metadata:
  name: apps
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
  namespace: apps
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  namespace: apps
---
apiVersion: example.com/v1
kind: Foo
metadata:
  name: a
---
apiVersion: v1
kind: Foo
metadata:
  name: b
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: m
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
`;

const FLOWISH = `# a document the block parser declines (a plain scalar continued on a line starting with a quote,
# multi-line flow collections and double-quoted scalars): the lexer-checked js-yaml reading
apiVersion: example.com/v1
kind: Widget
metadata:
  name: flowish
spec:
  description: Duration is the amount to back off, in seconds or as a duration (e.g.
    "2m", "1h")
  flow: {b: 1, a: [x, {d: 2, c: "3"}],
    e: f}
  quoted: "first line
    continued \\
    joined"
`;

/** A CustomResourceDefinition of about 600 KB: long descriptions, deep nesting, many properties. */
function bigCrd(): string {
  const prop = (i: number, depth: number): string => {
    const pad = ' '.repeat(12 + depth * 4);
    const desc = `Field ${i} at depth ${depth} - ${'a long description of what this field does, folded over lines. '.repeat(3)}`;
    let s = `${pad}field${i}:\n${pad}  description: ${desc}\n${pad}  type: ${depth < 2 ? 'object' : 'string'}\n`;
    if (depth < 2) {
      s += `${pad}  properties:\n`;
      for (let j = 0; j < 12; j++) s += prop(j, depth + 1);
    }
    return s;
  };
  let props = '';
  for (let i = 0; i < 30; i++) props += prop(i, 0);
  return `apiVersion: apiextensions.k8s.io/v1
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
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
${props}`;
}

describe('trivial kustomizations in process, against the real kubectl kustomize', () => {
  it('every scalar form, key order and nested structure as kubectl prints them', () => {
    expectSameAsKubectl(folder({ 'kustomization.yaml': kustomization('scalars.yaml'), 'scalars.yaml': SCALARS }));
  });

  it('multi-document files, a file in a subfolder, kustomize\'s resource order, blank and comment-only documents', () => {
    const dir = folder({
      'app/kustomization.yaml': kustomization('order.yaml', './sub/one.yaml', 'empty.yaml'),
      'app/order.yaml': `# header\n---\n${ORDER}---\n# trailing comment\n---\n`,
      'app/sub/one.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: apps\nspec:\n  ports:\n  - port: 80\n',
      'app/empty.yaml': '# nothing here\n',
    });
    expectSameAsKubectl(dir, 'app');
  });

  it('documents outside the block-style subset: flow collections, continuation lines, multi-line quoted scalars', () => {
    expectSameAsKubectl(folder({ 'kustomization.yaml': kustomization('flowish.yaml'), 'flowish.yaml': FLOWISH }));
  });

  it('a CRD-sized file', () => {
    const crd = bigCrd();
    expect(crd.length).toBeGreaterThan(500_000);
    expectSameAsKubectl(folder({ 'kustomization.yaml': kustomization('crd.yaml'), 'crd.yaml': crd }));
  });

  it('the trivial kustomizations of the shared corpus (4 of its 15)', () => {
    if (!hasCorpus()) return;
    const trivial = [
      'flux2-kustomize-helm-example/infrastructure/configs',
      'flux2-kustomize-helm-example/infrastructure/controllers',
      'podinfo/deploy/bases/backend',
      'podinfo/kustomize',
    ];
    for (const d of trivial) expectSameAsKubectl(CORPUS, d);
    // The other eleven are not trivial (patches, generators, namespaces, bases).
    const all = execFileSync('find', [CORPUS, '-name', 'kustomization.yaml'], { encoding: 'utf8' }).trim().split('\n');
    expect(all.length).toBe(15);
    const accepted = all.map((f) => path.relative(CORPUS, path.dirname(f))).filter((d) => renderTrivialKustomization(d, diskTree(CORPUS), 64 << 20).ok);
    expect(accepted.sort()).toEqual(trivial);
  });

  // A development machine's mirror (the search tool's fetch); CI has none, and says so as a skip.
  const ARGO_MIRROR = '/work/.mirror/argoproj+argo-cd/repo';
  it.skipIf(!existsSync(ARGO_MIRROR))('the Argo CD CRDs folder, when the mirror is here', () => {
    const gitDir = ARGO_MIRROR;
    const dir = tempDir('ferry-trivial-argo-');
    execFileSync('sh', ['-c', `git --git-dir "${gitDir}" archive HEAD manifests/crds | tar -x -C "${dir}"`]);
    expectSameAsKubectl(dir, 'manifests/crds');
  });
});

describe('go-yaml v2 key order', () => {
  it('checks maps with digits in their keys within a budget of pair comparisons, then declines', () => {
    const keys = Array.from({ length: 999 }, (_, i) => `a${i}`);
    const budget = { pairs: 900_000 };
    expect(goYamlKeyOrder(keys, budget)?.slice(0, 3)).toEqual(['a0', 'a1', 'a2']);
    // The first map spent about half of it: a second one of the same size is declined.
    expect(goYamlKeyOrder(keys, budget)).toBeNull();
  });

  it('is the order kubectl printed for these keys', () => {
    // As `kubectl kustomize` printed them (checked by the scalar fixture above too).
    const printed = ['', '-1', '_x', '1', '01', '2', 'B', 'a', 'a b', 'a-b', 'a.b', 'a_b', 'a2', 'a10', 'ab', 'x0', 'x00', 'z9', 'z010', 'z0010'];
    const shuffled = [...printed].reverse();
    expect(goYamlKeyOrder(shuffled)).toEqual(printed);
    expect(goYamlKeyLess('a2', 'a10')).toBe(true);
    expect(goYamlKeyLess('a10', 'a2')).toBe(false);
  });
});

describe('declined: anything not known to print unchanged goes to kubectl', () => {
  const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n';
  const cm = (extra: string) => `${CM}${extra}`;
  // Each case: the folder, and the reason the in-process render gives.
  const cases: Array<[string, Record<string, string | Buffer>, RegExp]> = [
    ['no kustomization file', { 'a.yaml': CM }, /no kustomization file/],
    ['two kustomization files', { 'kustomization.yaml': kustomization('a.yaml'), 'kustomization.yml': kustomization('a.yaml'), 'a.yaml': CM }, /more than one/],
    ['another field (namePrefix)', { 'kustomization.yaml': `${kustomization('a.yaml')}namePrefix: x-\n`, 'a.yaml': CM }, /`namePrefix`/],
    ['another field (namespace)', { 'kustomization.yaml': `${kustomization('a.yaml')}namespace: x\n`, 'a.yaml': CM }, /`namespace`/],
    ['another field (patches)', { 'kustomization.yaml': `${kustomization('a.yaml')}patches: []\n`, 'a.yaml': CM }, /`patches`/],
    ['another apiVersion', { 'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Kustomization\nresources:\n- a.yaml\n', 'a.yaml': CM }, /another apiVersion/],
    ['a Component', { 'kustomization.yaml': 'kind: Component\nresources:\n- a.yaml\n', 'a.yaml': CM }, /another kind/],
    ['metadata other than a name', { 'kustomization.yaml': 'metadata:\n  name: k\n  labels:\n    a: b\nresources:\n- a.yaml\n', 'a.yaml': CM }, /metadata other than a name/],
    ['two documents in the kustomization', { 'kustomization.yaml': `${kustomization('a.yaml')}---\nresources: []\n`, 'a.yaml': CM }, /more than one document/],
    ['a kustomization with an anchor', { 'kustomization.yaml': 'resources: &r\n- a.yaml\n', 'a.yaml': CM }, /not a block-style mapping/],
    ['no resources', { 'kustomization.yaml': 'resources: []\n' }, /not a list of files/],
    ['a folder as resource', { 'kustomization.yaml': kustomization('base'), 'base/kustomization.yaml': kustomization('a.yaml'), 'base/a.yaml': CM }, /not a regular file/],
    ['a missing file', { 'kustomization.yaml': kustomization('missing.yaml') }, /not a regular file/],
    ['a parent path', { 'kustomization.yaml': kustomization('../a.yaml') }, /not a plain relative path/],
    ['an absolute path', { 'kustomization.yaml': kustomization('/etc/hostname') }, /not a plain relative path/],
    ['a glob', { 'kustomization.yaml': kustomization('"*.yaml"'), 'a.yaml': CM }, /not a plain relative path/],
    ['a URL', { 'kustomization.yaml': kustomization('https://example.com/a.yaml') }, /not a plain relative path/],
    ['a remote base', { 'kustomization.yaml': kustomization('github.com/org/repo/a.yaml') }, /not a plain relative path/],
    ['a YAML 1.1 word as path', { 'kustomization.yaml': kustomization('yes'), yes: CM }, /not a plain relative path/],
    ['a number as path', { 'kustomization.yaml': kustomization('"0644"'), '0644': CM }, /not a plain relative path/],
    ['a file listed twice', { 'kustomization.yaml': kustomization('a.yaml', './a.yaml'), 'a.yaml': CM }, /listed twice/],
    ['a timestamp', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  d: 2024-01-01\n') }, /timestamp/],
    ['a timestamp in a flow mapping', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data: {"d":2024-01-01}\n') }, /timestamp/],
    ['a timestamp in a sequence', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('spec:\n  d:\n  - 2001-12-14t21:59:43.10-05:00\n') }, /timestamp/],
    ['a timestamp key', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  2024-01-01: d\n') }, /timestamp/],
    ['an anchor and alias', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  a: &x v\n  b: *x\n') }, /not simple YAML/],
    ['a tag', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  a: !!str 1\n') }, /not simple YAML/],
    ['a merge key', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  <<: {a: b}\n') }, /print differently|not simple/],
    ['a collection key', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data: {[a]: b}\n') }, /not simple YAML/],
    ['a directive', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': `%YAML 1.2\n---\n${CM}` }, /not simple YAML/],
    ['a tab', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  a: "x\ty"\n  b: [c,\td]\n') }, /not simple YAML/],
    ['carriage returns', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  a: b\n').replace(/\n/g, '\r\n') }, /not simple YAML/],
    ['a duplicate key', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  a: b\n  a: c\n') }, /.+/],
    ['invalid YAML', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  a: [b\n') }, /.+/],
    ['not UTF-8', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': Buffer.concat([Buffer.from(`${CM}data:\n  a: `), Buffer.from([0xff, 0x0a])]) }, /.+/],
    ['no kind', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': 'apiVersion: v1\nmetadata:\n  name: c\n' }, /kind/],
    ['no name', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: c-\n' }, /metadata.name/],
    ['a List', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': `apiVersion: v1\nkind: List\nitems:\n- ${CM.replace(/\n(?=.)/g, '\n  ')}` }, /not simple YAML/],
    ['a SecretList', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': 'apiVersion: v1\nkind: SecretList\nmetadata:\n  name: l\nitems: []\n' }, /not simple YAML/],
    ['a kustomize configuration', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n  name: k\n' }, /not simple YAML/],
    ['a Kustomization kind of another group', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': 'apiVersion: v1\nkind: Kustomization\nmetadata:\n  name: k\n' }, /kind Kustomization/],
    ['a Component kind', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': 'apiVersion: example.com/v1\nkind: Component\nmetadata:\n  name: k\n' }, /kind Component/],
    ['local-config', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  annotations:\n    config.kubernetes.io/local-config: "true"\n') }, /kustomize's own/],
    ['a kustomize label', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  labels:\n    kustomize.config.k8s.io/id: x\n') }, /kustomize's own/],
    ['empty annotations', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  annotations: {}\n') }, /empty metadata.annotations/],
    ['null labels', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  labels:\n') }, /not a mapping/],
    ['a number as annotation', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  annotations:\n    a: 1\n') }, /not a string/],
    ['an empty namespace', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('  namespace: ""\n') }, /namespace/],
    ['.inf', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  a: .inf\n') }, /print differently/],
    ['.nan', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  a: .nan\n') }, /print differently/],
    ['a null list item', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('spec:\n  a:\n  - x\n  - null\n') }, /print differently/],
    ['a quoted octal string', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm("data:\n  a: '0644'\n") }, /print differently/],
    ['a quoted go-yaml v3 number form', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  a: "0o-10"\n') }, /print differently/],
    ['an octal-looking key', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  "01": x\n') }, /print differently/],
    ['a non-ASCII key', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  é: x\n') }, /print differently/],
    ['a long digit run in a key', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  k1234567890123456: x\n') }, /print differently/],
    // Found in review, each checked against the real kubectl kustomize: it prints another
    // value, or fails where the in-process render would have succeeded.
    ['a folded block scalar', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  k: >-\n    a\n     b\n    c\n') }, /folded block scalar/],
    ['a kept folded block scalar', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  k: >+\n    a\n\n\n') }, /folded block scalar/],
    // A quoted number key is a string to both, but js-yaml gives a plain one as a string too.
    ['a quoted number key', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  "1": a\n') }, /print differently/],
    ['a __proto__ key (read by js-yaml, which keeps it as a key)', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  __proto__: x\n  f: {a: b}\n') }, /print differently/],
    ['a hex key', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  0x1: a\n') }, /print differently/],
    ['a number key deeper down', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('spec:\n  x:\n    1: a\n') }, /print differently/],
    ['a boolean key', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('spec:\n  x:\n    true: a\n') }, /print differently/],
    ['an .inf key', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  .inf: a\n') }, /print differently/],
    ['an escaped slash', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  a: "x\\/y"\n') }, /escaped slash/],
    ['a C1 control escape', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  a: "x\\x85y"\n') }, /print differently/],
    ['a line separator escape', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  a: "x\\Ly"\n') }, /print differently/],
    ['a surrogate pair escape', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  a: "x\\uD83D\\uDE00"\n') }, /print differently/],
    ['a non-character escape in a key', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data:\n  "k\\uFFFE": a\n') }, /print differently/],
    ['a flow mapping entry without a value', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('data: {a}\n') }, /not simple YAML/],
    ['a flow mapping entry with an empty value', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('spec: {a: }\n') }, /not simple YAML/],
    ['a pair in a flow sequence', { 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': cm('spec:\n  x: [a: ]\n') }, /not simple YAML/],
    ['a Namespace of another group', { 'kustomization.yaml': kustomization('a.yaml', 'b.yaml'), 'a.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n', 'b.yaml': 'apiVersion: example.com/v1\nkind: Namespace\nmetadata:\n  name: b\n' }, /Namespace of a group other than core/],
    ['two resources with one kind and name', { 'kustomization.yaml': kustomization('a.yaml', 'b.yaml'), 'a.yaml': CM, 'b.yaml': cm('  namespace: other\n') }, /two resources/],
  ];
  for (const [name, files, reason] of cases) {
    it(name, () => {
      const r = renderTrivialKustomization('', diskTree(folder(files)), 64 << 20);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.declined).toMatch(reason);
    });
  }

  it('files past half the render output limit', () => {
    const r = renderTrivialKustomization('', diskTree(folder({ 'kustomization.yaml': kustomization('a.yaml'), 'a.yaml': CM })), 2 * CM.length - 2);
    expect(r).toEqual({ ok: false, declined: expect.stringMatching(/output limit/) });
  });

  it('a symlinked kustomization or resource, inside or outside the folder, and escapes are never read', () => {
    const outside = folder({ 'secret.yaml': cm('data:\n  token: hunter2\n') });
    const cases: Array<[Record<string, string>, Record<string, string>]> = [
      [{ 'app/kustomization.yaml': kustomization('link.yaml') }, { 'app/link.yaml': path.join(outside, 'secret.yaml') }],
      [{ 'app/kustomization.yaml': kustomization('link.yaml'), 'other/x.yaml': CM }, { 'app/link.yaml': '../other/x.yaml' }],
      [{ 'app/a.yaml': CM }, { 'app/kustomization.yaml': path.join(outside, 'k.yaml') }],
      [{ 'app/kustomization.yaml': kustomization('sub/x.yaml'), 'other/x.yaml': CM }, { 'app/sub': '../other' }],
      [{ 'app/kustomization.yaml': kustomization('../../x.yaml') }, {}],
      [{ 'app/kustomization.yaml': kustomization('../other/x.yaml'), 'other/x.yaml': CM }, {}],
      [{ 'app/kustomization.yaml': kustomization(path.join(outside, 'secret.yaml')) }, {}],
    ];
    writeFileSync(path.join(outside, 'k.yaml'), kustomization('a.yaml'));
    for (const [files, links] of cases) {
      const dir = folder(files);
      for (const [at, to] of Object.entries(links)) symlinkSync(to, path.join(dir, at));
      const reads: string[] = [];
      const r = renderTrivialKustomization('app', diskTree(dir, reads), 64 << 20);
      expect(r.ok).toBe(false);
      // Only the app's own kustomization file is read, never what a link or path points to.
      expect(reads.every((p) => p === 'app/kustomization.yaml')).toBe(true);
      // And kubectl refuses each as before (a file outside the kustomization root, or a missing one).
      expect(() => execFileSync('kubectl', ['kustomize', path.join(dir, 'app')], { stdio: ['ignore', 'pipe', 'pipe'] })).toThrow();
    }
  });
});
