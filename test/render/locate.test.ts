import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import jsyaml from 'js-yaml';
import { GO_SCHEMA } from '../../src/render/yaml-numbers.js';
import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { lineTable, locateByIndent, locateFast, locateIn, locateInJson, positionTree } from '../../src/render/locate.js';
import { CORPUS, hasCorpus } from '../helpers/bin.js';

/** Every pointer into a value, and one past each leaf that does not exist. */
function pointers(v: unknown, at = ''): string[] {
  const out = [at, `${at}/missing~1key`];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pointers(x, `${at}/${i}`)));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...pointers(x, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  return out;
}

/**
 * For each document: how many pointers the fast locator and the indentation reader
 * answered, and any answer of either that differs from the careful one.
 */
function compare(text: string): { answered: number; byIndent: number; asked: number; wrong: string[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false });
  const value = jsyaml.load(text, { schema: GO_SCHEMA });
  const tree = positionTree(text);
  const table = lineTable(text);
  let answered = 0;
  let byIndent = 0;
  const wrong: string[] = [];
  const all = pointers(value);
  for (const p of all) {
    const slow = locateIn(doc, lc, p);
    const indent = locateByIndent(table, value, p);
    if (indent !== undefined) {
      byIndent++;
      if (indent !== slow) wrong.push(`${p}: by indentation ${indent}, careful ${slow}`);
    }
    const fast = tree ? locateFast(tree, text, p) : undefined;
    if (fast === undefined) continue;
    answered++;
    if (fast !== slow) wrong.push(`${p}: fast ${fast}, careful ${slow}`);
  }
  return { answered, byIndent, asked: all.length, wrong };
}

const TRICKY = [
  // Sequences at their key's indent, entries on the line after the dash, comments and blank lines between.
  'apiVersion: apps/v1\nkind: Deployment\n# a comment\nmetadata:\n\n  name: web   # trailing\n  labels: {}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        ports:\n        -\n          containerPort: 80\n        - containerPort: 81\n      -   name: b\n          image: x\n',
  // Block scalars, quoted and numeric keys, empty values, multi-line plain scalars.
  'a: |\n  line one\n  key: not a key\nb: >-\n  folded\n"quoted key": 1\n\'single\': 2\n80: http\nempty:\nnext: a plain\n  scalar on two lines\nlist:\n- - nested\n  - seq\n- x\n',
  // Flow collections: the fast locator leaves mappings to the careful one.
  'spec: {ports: [{port: 80}, {port: 81}], name: x}\nitems: [a, b, c]\n',
  // Document marker and Windows line endings.
  '---\r\napiVersion: v1\r\nkind: Service\r\nspec:\r\n  ports:\r\n  - port: 80\r\n    protocol: tcp\r\n',
  // Explicit keys and an empty sequence entry: not answered fast, answered right by the careful path.
  '? a\n: 1\nb:\n- \n- x\n',
  // Tabs after values, a key with a colon inside quotes, nested empty mappings.
  'metadata:\n  annotations:\n    "a:b": "c"\n    d: e\t\n  x: {}\n',
  // For the indentation reader: a quoted scalar whose second line looks like a key, key-like lines in a
  // block scalar, a marker with a comment, comments at odd indentation, keys the core schema turns into
  // other keys, compact sequences inside entries, nested sequences, a tab inside a block scalar.
  '--- # first\na: "one\nb: two"\nc: |\n  d: not a key\n  - not an entry\n    # not a comment\ne:\n# out of place\n  f: 1\n     # deeper\n  g:\n  - h: 1\n    i:\n    - 2\n    - - 3\n      - 4\n  - j\n',
  'true: 1\nNull: 2\nk.io/name: x\nspec:\n  script: |\n    \tindented with a tab\n  list: # a comment\n    - a\n    -  b\n  map: # a comment\n    x: 1\n',
  'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n  data:\n    k: v\n-   apiVersion: v1\n    kind: Secret\n    metadata: {name: b}\n',
];

describe('fast line lookup', () => {
  it('gives the careful parser\'s line for every pointer it answers', () => {
    let answered = 0;
    let byIndent = 0;
    for (const text of TRICKY) {
      const r = compare(text);
      expect(r.wrong, text).toEqual([]);
      answered += r.answered;
      byIndent += r.byIndent;
    }
    expect(answered).toBeGreaterThan(50);
    expect(byIndent).toBeGreaterThan(50);
  });

  it('reads indentation only when the text shows exactly the value\'s keys and entries', () => {
    const text = 'a: 1\nb:\n  c: 2\n  d:\n  - x\n  - y\n';
    const t = lineTable(text);
    expect(locateByIndent(t, { a: 1, b: { c: 2, d: ['x', 'y'] } }, '/b/d/1')).toBe(6);
    // A value that is not what the text says (changed after the parse): no answer, the parsers decide.
    expect(locateByIndent(t, { a: 1, b: { c: 2, d: ['x', 'y'] }, e: 3 }, '/b/c')).toBeUndefined();
    expect(locateByIndent(t, { a: 1, b: { c: 2, d: ['x', 'y'], e: 3 } }, '/b/c')).toBeUndefined();
    expect(locateByIndent(t, { a: 1, b: { c: 2, d: ['x', 'y', 'z'] } }, '/b/d/0')).toBeUndefined();
    expect(locateByIndent(t, { a: 1, b: { c: 2, d: { x: 1 } } }, '/b/d/x')).toBeUndefined();
  });

  it('reads JSON manifests token by token, as the careful parser places them', () => {
    const docs = [
      '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {"name": "a", "labels": {}},\n  "spec": {\n    "containers": [\n      {\n        "name": "c", "args": ["x", "y\\"z", 1.5e3, -0, true, null],\n        "ports": [ { "containerPort": 80 },\n          {"containerPort": 81} ]\n      }\n    ],\n    "k\\u0041\\/": [[], [1, [2]]]\n  }\n}\n',
      '\n\n[\n {"a": 1},\n 2\n]',
    ];
    let answered = 0;
    for (const text of docs) {
      const lc = new LineCounter();
      const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false });
      for (const p of pointers(jsyaml.load(text, { schema: GO_SCHEMA }))) {
        const json = locateInJson(text, p);
        if (json === undefined) continue;
        answered++;
        expect(json, p).toBe(locateIn(doc, lc, p));
      }
    }
    expect(answered).toBeGreaterThan(40);
    // Not plain JSON: the parsers answer.
    expect(locateInJson('{a: 1}', '/a')).toBeUndefined();
    expect(locateInJson('{"a": 1, # c\n"b": 2}', '/b')).toBeUndefined();
    expect(locateInJson('{"a": [1, 2,]}', '/a/2')).toBeUndefined();
  });

  it.skipIf(!hasCorpus())('answers nearly every pointer of real manifests, always as the careful parser does', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ya?ml$/.test(e.name) && !p.includes('/templates/')) files.push(p);
      }
    };
    walk(CORPUS);
    let answered = 0;
    let byIndent = 0;
    let asked = 0;
    for (const f of files) {
      for (const text of readFileSync(f, 'utf8').split(/^---[ \t]*$/m)) {
        let ok = true;
        try {
          jsyaml.load(text, { schema: GO_SCHEMA });
        } catch {
          ok = false;
        }
        if (!ok) continue;
        const r = compare(text);
        expect(r.wrong, f).toEqual([]);
        answered += r.answered;
        byIndent += r.byIndent;
        asked += r.asked;
      }
    }
    expect(asked).toBeGreaterThan(1000);
    expect(answered / asked).toBeGreaterThan(0.9);
    expect(byIndent / asked).toBeGreaterThan(0.9);
  });
});
