import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { locateFast, locateIn, positionTree } from '../../src/render/locate.js';
import { CORPUS } from '../helpers/bin.js';

/** Every pointer into a value, and one past each leaf that does not exist. */
function pointers(v: unknown, at = ''): string[] {
  const out = [at, `${at}/missing~1key`];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pointers(x, `${at}/${i}`)));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...pointers(x, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  return out;
}

/** For each document: how many pointers the fast locator answered, and any answer that differs from the careful one. */
function compare(text: string): { answered: number; asked: number; wrong: string[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false });
  const value = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA });
  const tree = positionTree(text);
  let answered = 0;
  const wrong: string[] = [];
  const all = pointers(value);
  for (const p of all) {
    const fast = tree ? locateFast(tree, text, p) : undefined;
    if (fast === undefined) continue;
    answered++;
    const slow = locateIn(doc, lc, p);
    if (fast !== slow) wrong.push(`${p}: fast ${fast}, careful ${slow}`);
  }
  return { answered, asked: all.length, wrong };
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
];

describe('fast line lookup', () => {
  it('gives the careful parser\'s line for every pointer it answers', () => {
    let answered = 0;
    for (const text of TRICKY) {
      const r = compare(text);
      expect(r.wrong, text).toEqual([]);
      answered += r.answered;
    }
    expect(answered).toBeGreaterThan(50);
  });

  it('answers nearly every pointer of real manifests, always as the careful parser does', () => {
    if (!existsSync(CORPUS)) return;
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
    let asked = 0;
    for (const f of files) {
      for (const text of readFileSync(f, 'utf8').split(/^---[ \t]*$/m)) {
        let ok = true;
        try {
          jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA });
        } catch {
          ok = false;
        }
        if (!ok) continue;
        const r = compare(text);
        expect(r.wrong, f).toEqual([]);
        answered += r.answered;
        asked += r.asked;
      }
    }
    expect(asked).toBeGreaterThan(1000);
    expect(answered / asked).toBeGreaterThan(0.9);
  });
});
