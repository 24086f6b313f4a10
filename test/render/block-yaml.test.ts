import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import jsyaml from 'js-yaml';
import { GO_SCHEMA } from '../../src/render/yaml-numbers.js';
import { describe, expect, it } from 'vitest';
import { loadBlockDocument, UNSUPPORTED } from '../../src/render/block-yaml.js';
import { loadBlockDocuments, parseRenderedObjects, splitDocuments } from '../../src/render/manifests.js';
import { CORPUS, hasCorpus, REPO_ROOT } from '../helpers/bin.js';

/** Deep equality as a caller sees it: key order, prototypes, -0 and NaN included. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false;
  if (typeof a === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object') return a === b;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => same(x, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

type Outcome = 'same' | 'declined';

/** The fast parser's answer must be js-yaml's value, or a decline. Throws otherwise. */
function check(text: string): Outcome {
  const fast = loadBlockDocument(text);
  if (fast === UNSUPPORTED) return 'declined';
  let docs: unknown[];
  try {
    docs = jsyaml.loadAll(text, null, { schema: GO_SCHEMA });
  } catch (err) {
    throw new Error(`accepted a document js-yaml rejects (${(err as Error).message.split('\n')[0]}):\n${JSON.stringify(text)}`);
  }
  if (docs.length !== 1 || !same(fast, docs[0])) {
    throw new Error(`differs from js-yaml:\n${JSON.stringify(text)}\nfast: ${JSON.stringify(fast)}\njs-yaml: ${JSON.stringify(docs)}`);
  }
  return 'same';
}

function yamlFiles(root: string, skip: (p: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.name === '.git' || skip(p)) continue;
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push(p);
    }
  };
  walk(root);
  return out;
}

/** Every document chunk of these files (distinct texts), as manifests.ts splits them. */
function chunksOf(files: string[]): string[] {
  const seen = new Set<string>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const c of splitDocuments(text)) seen.add(c.text);
  }
  return [...seen];
}

/** A small seeded generator (mulberry32): the same documents on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY_SCALARS = [
  'null', 'Null', 'NULL', '~', 'yes', 'no', 'on', 'off', 'true', 'False', 'TRUE', '0x1F', '0X1F', '0x', '1e3', '1E3', '1e+3', '-1e-3', '.inf', '-.Inf', '+.INF',
  '.nan', '.NaN', '012', '0o17', '0b101', '0b', '+1', '-1', '-0', '+0', '0', '0.0', '-0.0', '1_000', '1__0', '1.', '.5', '1.2.3', '2001-12-14t21:59:43.10-05:00',
  '2002-12-14', '12:30:00', '1:30', '190:20:30', 'a:b', 'a#b', 'a #b', 'http://x.y/z?a=b#c', 'x: y', '- x', '-x', '--x', '?x', '? x', ':x', ': x', '[a]', '{a: 1}',
  'a[b]', 'a,b', '&a x', '*a', '!t x', '!!str x', '%x', '@x', '`x', 'x ', ' x', "it's", '"q"', "'q'", 'é', '日本', '0777', '1e', 'e1', 'nan', 'inf', '-', '?', ':',
  '[]', '{}', '[ ]', '{ }', '[a, b]', '["a", \'b\']', '[a,b]', '[a, ]', '[, a]', '[-v, --x=1]', '[1, 0x1F, null, ~, -0.0, .inf]', '[a b, c]', '[>a]', '[-]', '[- a]',
  '[a: b]', '[a, [b]]', '[a]x', '[a] # c', '[a]#c', '["a" , "b"]', '[a', '[~, ?x, ? x]', '[=, $x, (y), <z>, a;b]', '{}x', '[ ]: x',
  'key:', 'a - b', 'a | b', '>x', '|x', 'true.', 'nullx', '0xZZ', '9223372036854775808', '1e400', '-', '#', 'a\\tb', '\\', '__proto__', '<<', 'constructor', '0644', '-0644', '+0644', '00', '08', '09', '0755.5', '0O10', '0_644', '.5_0', '0o-10', '0b-101',
];
const QUOTED = [
  '""', "''", '"a b"', "'a b'", "'it''s'", '"\\t\\n\\r\\\\\\"\\/"', '"\\x41\\u00e9\\U0001F600"', '"\\N\\_\\L\\P\\0\\a\\b\\e\\v\\f\\ "', '"\\q"', '"\\x4"', '"\\U00110000"',
  '"a # b"', "'a: b'", '"\\uD83D"', '"trailing "', "' x '", '"unterminated', "'unterminated", '"a"b', "'a'b", '"a" # c', "'a'#c",
];
const KEYS = ['a', 'name', 'key with spaces', 'a:b', '1', '0x1F', 'true', 'null', '~', '-1', '.inf', '1e3', 'x.y/z', '"q"', "'q'", '"a: b"', '"\\u0041"', 'b', 'c', 'a', '<<', '__proto__', 'k ', '? k', 'a#b', 'a #b', '-k', '- k'];
const CONTINUATIONS = ['more words', 'more  ', '', 'x: y', 'x:y', '- z', '-z', '# c', 'a #b', 'a# b', '"q"', "'q'", 'tail:', 'k :v', '[a]', '{b}', '&a', '*a', '!t', '|', '>', '? x', '%x', '1e3', 'null', '...', '---', "end'", "it''s done'", "x' # c", "x'y", "x':", "  x  '", "''"];
const BLOCK_HEADERS = ['|', '>', '|-', '>-', '|+', '>+', '|2', '>1', '|-2', '|2-', '|+1', '|0', '|++', '| # c', '|x', '>  '];
const BLOCK_LINES = ['text', ' more indented', '', '   ', 'a: b', '- x', '# not a comment', 'trailing  ', '"q"', '  deeper', 'x'];

function pick<T>(r: () => number, xs: T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** A random block-style document: nested mappings and sequences in the styles manifests use, and odd corners. */
function generate(r: () => number): string {
  const lines: string[] = [];
  const comment = () => (r() < 0.1 ? `${r() < 0.5 ? ' ' : '  '}# ${pick(r, ['c', 'x: y', '- z', ''])}` : '');
  const blank = () => {
    if (r() < 0.08) lines.push(pick(r, ['', '  ', '# full-line comment', '    # indented comment', ' ']));
  };
  const scalar = (): string => (r() < 0.7 ? pick(r, TRICKY_SCALARS) : pick(r, QUOTED));
  const step = () => pick(r, [2, 2, 2, 4, 1, 3]);
  const blockScalar = (indent: number) => {
    const n = Math.floor(r() * 5);
    const ind = indent + step();
    for (let i = 0; i < n; i++) {
      const l = pick(r, BLOCK_LINES);
      lines.push(l === '' ? '' : ' '.repeat(r() < 0.1 ? Math.max(0, ind - 1) : ind) + l);
    }
  };
  const value = (indent: number, depth: number, prefix: string) => {
    const roll = r();
    if (depth > 3 || roll < 0.45) {
      lines.push(`${prefix} ${scalar()}${comment()}`);
      // Continuation lines: a multi-line plain scalar, or something that only looks like one.
      if (r() < 0.15) {
        for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
          const l = pick(r, CONTINUATIONS);
          lines.push(l === '' ? pick(r, ['', '   ']) : ' '.repeat(Math.max(0, indent + pick(r, [1, 2, 2, 3, 0, -1]))) + l);
        }
      }
    } else if (roll < 0.55) {
      lines.push(`${prefix} ${pick(r, BLOCK_HEADERS)}`);
      blockScalar(indent);
    } else if (roll < 0.62) {
      lines.push(`${prefix}${comment()}`);
    } else if (roll < 0.8) {
      lines.push(`${prefix}${comment()}`);
      mapping(indent + step(), depth + 1);
    } else {
      lines.push(`${prefix}${comment()}`);
      sequence(r() < 0.4 ? indent : indent + step(), depth + 1);
    }
  };
  const mapping = (indent: number, depth: number, firstPrefix?: string) => {
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) {
      blank();
      const pad = i === 0 && firstPrefix !== undefined ? firstPrefix : ' '.repeat(indent + (r() < 0.03 ? 1 : 0));
      value(indent, depth, `${pad}${pick(r, KEYS)}:`);
    }
  };
  const sequence = (indent: number, depth: number, firstPrefix?: string) => {
    const n = 1 + Math.floor(r() * 3);
    for (let i = 0; i < n; i++) {
      blank();
      const pad = i === 0 && firstPrefix !== undefined ? firstPrefix : ' '.repeat(indent);
      const roll = r();
      const gap = pick(r, [' ', ' ', ' ', '   ']);
      if (depth < 4 && roll < 0.35) mapping(indent + 1 + gap.length, depth + 1, `${pad}-${gap}`);
      else if (depth < 4 && roll < 0.45) sequence(indent + 1 + gap.length, depth + 1, `${pad}-${gap}`);
      else if (roll < 0.5) {
        lines.push(`${pad}-${comment()}`);
        if (r() < 0.7) mapping(indent + step(), depth + 1);
      } else value(indent, depth + 5, `${pad}-`);
    }
  };
  if (r() < 0.3) lines.push(pick(r, ['---', '--- # doc', '---  ', '# head comment']));
  if (r() < 0.85) mapping(r() < 0.9 ? 0 : 2, 0);
  else sequence(0, 0);
  let text = lines.join('\n') + (r() < 0.9 ? '\n' : '');
  const roll = r();
  if (roll < 0.03) text = text.replace(/\n/g, '\r\n');
  else if (roll < 0.05) text = '\uFEFF' + text;
  else if (roll < 0.07) text = text.replace('  ', '\t ');
  else if (roll < 0.09) text += '...\n';
  else if (roll < 0.11) text += '---\nb: 1\n';
  return text;
}

const MUTATION_CHARS = [' ', ' ', '\n', ':', '-', '#', '"', "'", '|', '>', '\t', '\r', '\\', '[', '{', '&', '*', '!', '?', ',', 'a', '0', '.', '~'];

/** The text with a few random characters inserted, deleted or replaced. */
function mutate(r: () => number, text: string): string {
  let t = text;
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (t.length + 1));
    const roll = r();
    if (roll < 0.4) t = t.slice(0, at) + pick(r, MUTATION_CHARS) + t.slice(at);
    else if (roll < 0.7) t = t.slice(0, at) + t.slice(at + 1);
    else t = t.slice(0, at) + pick(r, MUTATION_CHARS) + t.slice(at + 1);
  }
  return t;
}

describe('block-style YAML parser', () => {
  it('gives js-yaml values for the block style manifests use', () => {
    const doc = [
      '---',
      'apiVersion: apps/v1 # comment',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      '  labels:',
      '    app.kubernetes.io/name: web',
      '    "quoted key": \'it\'\'s\'',
      'spec:',
      '  replicas: 3',
      '  template:',
      '    spec:',
      '      containers:',
      '      - name: app',
      '        image: "nginx:1.25"',
      '        args:',
      '          - --port=80',
      '          - -v',
      '        env:',
      '        -   name: A',
      '            value: "\\u00e9\\t"',
      '        - name: B',
      '          value:',
      '        command:',
      '        - - nested',
      '          - 0x1F',
      '        -',
      '          x: 1e3',
      '        - # empty entry',
      '      volumes:',
      '      - name: config',
      '        configMap: {name: c}',
    ].join('\n');
    // A flow mapping anywhere: declined.
    expect(loadBlockDocument(doc)).toBe(UNSUPPORTED);
    const block = doc.replace('        configMap: {name: c}', '        configMap:\n          name: c\n        emptyDir: {}\n        args: [-v, "--x=1", 2]');
    expect(check(block)).toBe('same');
    const value = loadBlockDocument(block) as { spec: { template: { spec: { containers: { env: unknown[]; command: unknown[] }[] } } } };
    expect(value.spec.template.spec.containers[0]!.env).toEqual([{ name: 'A', value: 'é\t' }, { name: 'B', value: null }]);
    expect(value.spec.template.spec.containers[0]!.command).toEqual([['nested', 31], { x: 1000 }, null]);
  });

  it('reads block scalars as js-yaml does: styles, chomping, indentation, more-indented and empty lines', () => {
    const bodies = ['  a\n  b\n', '  a\n\n  b\n\n\n', '  a\n    more\n  b\n', '\n\n  a\n', '    a\n  b\n', '  a\n   \n  b\n', '  a  \n', ''];
    let same = 0;
    for (const h of ['|', '>', '|-', '>-', '|+', '>+', '|2', '>2-', '|1', '|+2']) {
      for (const b of bodies) {
        for (const tail of ['', 'next: 1\n', '# comment\nnext: 1\n', '\n\nnext: 1\n']) {
          if (check(`key: ${h}\n${b}${tail}`) === 'same') same++;
          if (check(`list:\n- ${h}\n${b.replace(/^(?=.)/gm, '  ')}${tail}`) === 'same') same++;
        }
      }
    }
    expect(same).toBeGreaterThan(500);
  });

  it('resolves plain scalars and keys with GO_SCHEMA types (go-yaml numbers)', () => {
    let accepted = 0;
    for (const s of TRICKY_SCALARS) {
      if (check(`v: ${s}\n`) === 'same') accepted++;
      if (check(`${s}: v\n`) === 'same') accepted++;
      if (check(`- ${s}\n`) === 'same') accepted++;
    }
    for (const q of QUOTED) {
      if (check(`v: ${q}\n`) === 'same') accepted++;
      if (check(`${q}: v\n`) === 'same') accepted++;
    }
    expect(accepted).toBeGreaterThan(250);
    // -0, NaN and Infinity come out as js-yaml makes them.
    expect(Object.is((loadBlockDocument('a: -0.0\n') as { a: number }).a, -0)).toBe(true);
    expect(Object.is((loadBlockDocument('a: -0\n') as { a: number }).a, 0)).toBe(true);
    expect((loadBlockDocument('a: .nan\n') as { a: number }).a).toBeNaN();
    expect(loadBlockDocument('1e3: a\n0x1F: b\n.inf: c\nnull: d\n')).toEqual({ 1000: 'a', 31: 'b', Infinity: 'c', null: 'd' });
  });

  it('folds multi-line plain scalars as js-yaml does', () => {
    const docs = [
      'description: one\n  two\n\n  three\n\n\n  four   \nnext: 1\n',
      'a:\n  b: first\n   second\n  c: d\n',
      '- one\n  two\n- three\n   # comment\n  four\n',
      'a: one # c\n  two\n',
      'a: one\n  two # c\n  three\n',
      'k:\n  one\n  two\n',
      'a: 12\n  34\n',
      'a: one\n\n\nb: 2\n',
    ];
    const got = docs.map((d) => [check(d), loadBlockDocument(d)]);
    expect(got[0]).toEqual(['same', { description: 'one two\nthree\n\nfour', next: 1 }]);
    expect(got[1]).toEqual(['same', { a: { b: 'first second', c: 'd' } }]);
    expect(got[5]).toEqual(['same', { k: 'one two' }]);
    expect(got[6]).toEqual(['same', { a: '12 34' }]);
    expect(got[7]).toEqual(['same', { a: 'one', b: 2 }]);
    // A comment ends the scalar: what follows is an error to js-yaml, declined here.
    expect(got.slice(2, 5).map(([o]) => o)).toEqual(['declined', 'declined', 'declined']);
    // Single-quoted scalars over several lines (CEL rules in CRDs).
    const rule = "rule: 'self.a == ''x'' ||  \n  self.b # not a comment\n\n   end' # c\nnext: 1\n";
    expect([check(rule), loadBlockDocument(rule)]).toEqual(['same', { rule: "self.a == 'x' || self.b # not a comment\nend", next: 1 }]);
    expect(loadBlockDocument("a: 'x\ny'\n")).toBe(UNSUPPORTED);
    // A continuation line may start with an indicator: it is text (CRD descriptions wrap
    // `"2m", "1h")` and CEL rules wrap `|| p1...` and `> 0`). The values are what
    // `kubectl kustomize` prints for the same lines.
    const next = ['- c', '[c]', '"c", d', '> 0', '| x', '? c', '*c', '&c x', '!c', '{c}', '`c', '@c', '%c', ',c', ':c', '-c', "'c'"];
    for (const n of next) {
      const d = `a: b\n  ${n}\nz: 1\n`;
      expect([check(d), loadBlockDocument(d)], JSON.stringify(d)).toEqual(['same', { a: `b ${n}`, z: 1 }]);
    }
    const item = '- a\n  - b\n';
    expect([check(item), loadBlockDocument(item)]).toEqual(['same', ['a - b']]);
    const description = 'description: Duration is a string (e.g.\n  "2m", "1h")\n\n  - one\n  > two\n';
    expect([check(description), loadBlockDocument(description)]).toEqual(['same', { description: 'Duration is a string (e.g. "2m", "1h")\n- one > two' }]);
  });

  it('declines what it does not read, never guesses', () => {
    const declined = [
      'a: [1, [2]]\n', 'a: [b: 1]\n', 'a: {b: 1}\n', 'a: [1,\n  2]\n', 'a: &x 1\nb: *x\n', 'a: !!str 1\n', '? a\n: b\n', 'a: b\n  c: d\n', 'a: b\n  - c: d\n', 'a: "b\n  c"\n', "'a\n  b': c\n", '%YAML 1.2\n---\na: 1\n',
      'a:\tb\n', 'a: 1\r\n', '\uFEFFa: 1\n', 'a: 1\na: 2\n', '<<: {a: 1}\n', '__proto__: 1\n', '', '# only a comment\n', '---\n', 'scalar\n',
      'a: b: c\n', 'a: - b\n', 'a:\n  - x\n  y: 1\n', '- a\n  - b: c\n', 'a: 1\n- b\n', '...\na: 1\n', 'a: 1\n---\nb: 2\n', 'a: 1\n...\n', '--- a: 1\n', 'a: "\\\n  b"\n',
      'a: \x01\n', 'a: \u2028\n', 'a: \uD83D\uDE00\n', 'a: |0\n  x\n', 'a: |x\n', 'a: "x"y\n', `${'- '.repeat(60)}x\n`,
    ];
    for (const d of declined) expect(loadBlockDocument(d), JSON.stringify(d)).toBe(UNSUPPORTED);
  });

  it('takes time linear in the input on hostile shapes (bounded nesting, long lines)', () => {
    // Deep nesting is declined at the bound, not walked further.
    let deep = '';
    for (let i = 0; i < 5000; i++) deep += `${' '.repeat(i)}k:\n`;
    expect(loadBlockDocument(deep)).toBe(UNSUPPORTED);
    // Long lines and many entries are read once.
    const wide = `a: ${'x '.repeat(200_000)}\nb:\n${'- y\n'.repeat(100_000)}`;
    const v = loadBlockDocument(wide) as { b: unknown[] };
    expect(v.b).toHaveLength(100_000);
  });

  it('reads a single-quoted scalar over 3 million lines in time linear in it (the attack: each line once searched to the closing quote)', () => {
    // 9 MB of one quoted value. Searching each line for the quote up to the closing one
    // made this quadratic: minutes here, past the test's timeout; linear, well under a second.
    const lines = 3_000_000;
    const doc = `a: 'x\n${' x\n'.repeat(lines)} x'\n`;
    const v = loadBlockDocument(doc) as { a: string };
    expect(v.a.length).toBe(1 + 2 * lines + 2);
    expect(v.a.startsWith('x x x')).toBe(true);
    // Same value as js-yaml gives, on a smaller copy.
    const small = `a: 'x\n${' x\n'.repeat(1000)} x'\n`;
    expect(loadBlockDocument(small)).toEqual(jsyaml.load(small, { schema: GO_SCHEMA }));
  });

  it.skipIf(!hasCorpus())('matches js-yaml on every document of the shared corpus', () => {
    const chunks = chunksOf(yamlFiles(CORPUS));
    let accepted = 0;
    for (const c of chunks) if (check(c) === 'same') accepted++;
    expect(accepted).toBeGreaterThan(chunks.length / 2);
  });

  it('matches js-yaml on every document of the mirrored mix manifests, when present', () => {
    const root = process.env.FERRY_TEST_MIX ?? path.resolve(REPO_ROOT, '..', 'mix18');
    if (!existsSync(root)) return;
    // The mix repeats the same manifests in every team folder: one copy, and the CRDs.
    const dirs = readdirSync(root).filter((d) => d === 'crds' || d === 'team-000').map((d) => path.join(root, d));
    const chunks = chunksOf(dirs.flatMap((d) => yamlFiles(d)));
    let accepted = 0;
    for (const c of chunks) if (check(c) === 'same') accepted++;
    expect(chunks.length).toBeGreaterThan(300);
    expect(accepted).toBeGreaterThan(chunks.length * 0.9);
  });

  it('reads a stream of documents (a renderer\'s output) as js-yaml\'s loadAll does, or declines it', () => {
    const roots = [CORPUS, path.resolve(REPO_ROOT, '..', 'mix18', 'team-000')].filter((d) => existsSync(d));
    const streams = roots.flatMap((d) => yamlFiles(d)).map((f) => readFileSync(f, 'utf8'));
    // Streams made of generated documents too, joined as renderers join them.
    const r = rng(7);
    for (let i = 0; i < 900; i++) streams.push(Array.from({ length: 1 + Math.floor(r() * 4) }, () => generate(r)).map((d) => (d.startsWith('---') ? d : `---\n${d}`)).join('\n'));
    let read = 0;
    for (const text of streams) {
      const block = loadBlockDocuments(text);
      if (!block) continue;
      let docs: unknown[];
      try {
        docs = jsyaml.loadAll(text, null, { schema: GO_SCHEMA });
      } catch (err) {
        throw new Error(`accepted a stream js-yaml rejects (${(err as Error).message.split('\n')[0]}):\n${JSON.stringify(text)}`);
      }
      expect(same(block.docs, docs), JSON.stringify(text)).toBe(true);
      read++;
    }
    expect(read, `read ${read} of ${streams.length}`).toBeGreaterThan(100);
    // The renderer's parse takes it: the same objects either way.
    expect(parseRenderedObjects('apiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: List\nitems:\n- kind: B\n')).toEqual([{ apiVersion: 'v1', kind: 'A' }, { kind: 'B' }]);
  });

  it('matches js-yaml on seeded generated documents and their mutations', () => {
    // FERRY_YAML_FUZZ_ROUNDS and _SEED run a longer or another search by hand.
    const r = rng(Number(process.env.FERRY_YAML_FUZZ_SEED) || 20261202);
    const rounds = Number(process.env.FERRY_YAML_FUZZ_ROUNDS) || 6000;
    let accepted = 0;
    let generated = 0;
    let total = 0;
    for (let i = 0; i < rounds; i++) {
      const doc = generate(r);
      total++;
      if (check(doc) === 'same') {
        accepted++;
        generated++;
      }
      for (let m = 0; m < 4; m++) {
        total++;
        if (check(mutate(r, doc)) === 'same') accepted++;
      }
    }
    // Enough accepted that the comparison means something.
    expect(generated).toBeGreaterThan(800);
    expect(accepted).toBeGreaterThan(total / 12);
  });
});
