import jsyaml from 'js-yaml';
import { GO_SCHEMA } from './yaml-numbers.js';
import { isMap, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/**
 * Lines of the nodes a JSON pointer names in one YAML document: what a finding shows.
 * Two ways to the same answer: the position-tracking parser's syntax tree (`locateIn`),
 * and the fast parser's own walk, recorded (`positionTree`, `locateFast`), which costs a
 * tenth as much. The fast one answers only for block mappings and sequences, where it
 * can tell keys from values; anything else (flow style, explicit keys, empty sequence
 * entries) is left to the slow one.
 */

function pointerSegments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Line of the deepest node on the pointer's path that exists in the document. */
export function locateIn(doc: Document, lc: LineCounter, pointer: string): number | null {
  let node: unknown = doc.contents;
  let best: number | null = null;
  const lineOf = (n: unknown) => {
    const r = (n as Node | null)?.range;
    return r ? lc.linePos(r[0]).line : null;
  };
  best = lineOf(node);
  for (const seg of pointerSegments(pointer)) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === seg || String((p.key as { value?: unknown })?.value) === seg);
      if (!pair) break;
      // Point at the key: that is the line a person reads as "this field".
      best = lineOf(pair.key) ?? best;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) break;
      best = lineOf(item) ?? best;
      node = item;
    } else break;
  }
  return best;
}

/** A node as the fast parser composed it: where it opened, what it became, what it holds. */
export interface Frame {
  /** 0-based line and offset where the parser opened the node. */
  line: number;
  pos: number;
  kind: string | null;
  result: unknown;
  children: Frame[];
}

/**
 * The first document's node tree, from the fast parser's open/close events, or null when
 * it does not parse (or uses an alias: the caller's guarded path handles those). A bare
 * carriage return is a line break to one parser and not to the other: no tree then.
 */
export function positionTree(text: string): Frame | null {
  if (/\r(?!\n)/.test(text)) return null;
  const top: Frame = { line: 0, pos: 0, kind: null, result: undefined, children: [] };
  const stack: Frame[] = [top];
  try {
    jsyaml.loadAll(text, null, {
      schema: GO_SCHEMA,
      listener(event, state) {
        const st = state as unknown as { line: number; position: number; kind: string | null; tag: string | null; result: unknown };
        if (event === 'open') {
          const f: Frame = { line: st.line, pos: st.position, kind: null, result: undefined, children: [] };
          stack[stack.length - 1]!.children.push(f);
          stack.push(f);
          return;
        }
        // An alias closes with neither kind nor tag (see manifests.ts loadFast).
        if (st.kind === null && st.tag === null && st.result !== null && st.result !== undefined) throw ALIAS;
        const f = stack.pop()!;
        f.kind = st.kind;
        f.result = st.result;
      },
    });
  } catch {
    return null;
  }
  return stack.length === 1 ? (top.children[0] ?? null) : null;
}

const ALIAS = new Error('alias');

/**
 * A block mapping's pairs: a value opens right after its key's colon, a key anywhere
 * else. Null when the frames do not add up to the mapping's own keys (flow style,
 * explicit `?` keys, merges): the slow path answers then.
 */
function pairsOf(node: Frame, text: string): Array<{ key: string; line: number; value: Frame | null }> | null {
  const pairs: Array<{ key: string; line: number; value: Frame | null }> = [];
  for (const c of node.children) {
    if (c.pos > 0 && text.charCodeAt(c.pos - 1) === 0x3a /* : */) {
      const last = pairs[pairs.length - 1];
      if (!last || last.value) return null;
      last.value = c;
    } else {
      if (c.kind !== 'scalar') return null;
      pairs.push({ key: String(c.result), line: c.line, value: null });
    }
  }
  const obj = node.result;
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return null;
  const keys = Object.keys(obj);
  if (keys.length !== pairs.length || !pairs.every((p) => Object.prototype.hasOwnProperty.call(obj, p.key))) return null;
  return pairs;
}

/**
 * `locateIn`'s answer (1-based line) from a fast parser's tree; undefined when this
 * tree cannot tell.
 */
export function locateFast(root: Frame, text: string, pointer: string): number | undefined {
  // Documents are objects; an empty one has no node to point at.
  if (root.kind !== 'mapping' && root.kind !== 'sequence') return undefined;
  let node: Frame | null = root;
  let best = root.line + 1;
  for (const seg of pointerSegments(pointer)) {
    if (!node) break;
    if (node.kind === 'mapping') {
      const pairs = pairsOf(node, text);
      if (!pairs) return undefined;
      const pair = pairs.find((p) => p.key === seg);
      if (!pair) break;
      best = pair.line + 1;
      node = pair.value;
    } else if (node.kind === 'sequence') {
      const items = node.result as unknown[];
      // An empty entry (`- ` alone) has no node of its own: the indexes would not match.
      if (!Array.isArray(items) || items.length !== node.children.length) return undefined;
      const item: Frame | undefined = node.children[Number(seg)];
      if (item === undefined) break;
      best = item.line + 1;
      node = item;
    } else break;
  }
  return best;
}

/**
 * Where each line of a document starts and how it is indented, built once per document
 * that a finding asks about: two numbers per line in one typed array, so a document's
 * lookups scan lines without parsing it again and leave little garbage.
 */
export interface LineTable {
  text: string;
  /** Per line: [start offset, indent]; indent is -1 for a blank or comment-only line, -2 when a tab follows the indentation. */
  lines: Int32Array;
  count: number;
}

const BLANK = -1;
const TABBED = -2;

export function lineTable(text: string): LineTable {
  let count = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  const lines = new Int32Array(count * 2);
  let pos = 0;
  for (let n = 0; n < count; n++) {
    let i = pos;
    while (text.charCodeAt(i) === 0x20) i++;
    const c = text.charCodeAt(i);
    lines[2 * n] = pos;
    // NaN (end of text), \n, # : nothing here for the block structure.
    lines[2 * n + 1] = c !== c || c === 0x0a || c === 0x23 ? BLANK : c === 0x09 ? TABBED : i - pos;
    const nl = text.indexOf('\n', i);
    pos = nl < 0 ? text.length : nl + 1;
  }
  return { text, lines, count };
}

/** A simple block key at the start of `at`: letters, digits, `_ . / -`, then `:` and a space or the line's end. */
function keyAt(text: string, at: number): string | null {
  const c = text.charCodeAt(at);
  if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f)) return null;
  let i = at + 1;
  for (;;) {
    const d = text.charCodeAt(i);
    if ((d >= 0x61 && d <= 0x7a) || (d >= 0x41 && d <= 0x5a) || (d >= 0x30 && d <= 0x39) || d === 0x5f || d === 0x2e || d === 0x2f || d === 0x2d) i++;
    else break;
  }
  if (text.charCodeAt(i) !== 0x3a) return null;
  const after = text.charCodeAt(i + 1);
  if (!(after === 0x20 || after === 0x0a || after !== after)) return null;
  return text.slice(at, i);
}

/** Whether the rest of a line from `at` is empty or a comment (nothing inline). */
function restEmpty(text: string, at: number): boolean {
  let i = at;
  while (text.charCodeAt(i) === 0x20) i++;
  const c = text.charCodeAt(i);
  return c !== c || c === 0x0a || c === 0x23;
}

/** The first column after `from` that is not a space. */
function skipSpaces(text: string, from: number): number {
  let i = from;
  while (text.charCodeAt(i) === 0x20) i++;
  return i;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * `locateIn`'s answer (1-based line, within the document) read from the text's
 * indentation alone, checked against the parsed value: each mapping on the pointer's
 * path must show, at its indentation, exactly the value's keys as simple block keys, and
 * each sequence exactly its entries as `- ` lines. Anything else (flow style, quoted or
 * unusual keys, tabs in indentation, carriage returns, an entry on the line after its
 * dash) gives undefined, and the caller asks the parsers. `value` is the document as
 * parsed; a changed value only makes the checks fail.
 */
export function locateByIndent(t: LineTable, value: unknown, pointer: string): number | undefined {
  const { text, lines, count } = t;
  if (text.includes('\r')) return undefined;
  // The root: the first content line, unless it is a document marker.
  let first = 0;
  while (first < count && lines[2 * first + 1] === BLANK) first++;
  if (first === count) return undefined;
  if (lines[2 * first + 1] === 0 && text.startsWith('---', lines[2 * first]!)) {
    if (!restEmpty(text, lines[2 * first]! + 3)) return undefined;
    first++;
    while (first < count && lines[2 * first + 1] === BLANK) first++;
    if (first === count) return undefined;
  }
  if (lines[2 * first + 1]! < 0) return undefined;
  // The current node: a block mapping or sequence whose first entry is at (line, col).
  let line = first;
  let col = lines[2 * first + 1]!;
  let node: unknown = value;
  let best = first + 1;
  let kind: 'map' | 'seq' | 'scalar' = text.charCodeAt(lines[2 * first]! + col) === 0x2d /* - */ ? 'seq' : 'map';
  if ((kind === 'map') !== isObject(node) || (kind === 'seq') !== Array.isArray(node)) return undefined;
  for (const seg of pointerSegments(pointer)) {
    if (kind === 'scalar') break;
    if (kind === 'map') {
      const obj = node as Record<string, unknown>;
      // Every key of the mapping, each at the block's indentation, none twice.
      let found = -1;
      let foundAt = -1;
      let keys = 0;
      const seen = new Set<string>();
      for (let n = line; n < count; n++) {
        const ind = lines[2 * n + 1]!;
        let at: number;
        if (n === line) at = lines[2 * n]! + col;
        else {
          if (ind === BLANK || ind > col) continue;
          if (ind === TABBED || ind < col) {
            if (ind === TABBED) return undefined;
            break;
          }
          at = lines[2 * n]! + ind;
          // A `- ` at the mapping's own indentation: an entry of the previous key's sequence.
          if (text.charCodeAt(at) === 0x2d && text.charCodeAt(at + 1) === 0x20) continue;
        }
        const key = keyAt(text, at);
        if (key === null || seen.has(key) || !Object.prototype.hasOwnProperty.call(obj, key)) return undefined;
        seen.add(key);
        keys++;
        if (key === seg) {
          found = n;
          foundAt = at + key.length + 1;
        }
      }
      if (keys !== Object.keys(obj).length) return undefined;
      if (found < 0) break;
      best = found + 1;
      node = obj[seg];
      const inline = !restEmpty(text, foundAt);
      if (inline || node === null || typeof node !== 'object') {
        // A scalar: nothing below it. A collection written inline (flow style, a tag): the parsers answer.
        if (node !== null && typeof node === 'object') return undefined;
        kind = 'scalar';
        continue;
      }
      // A block collection: its first entry is the next content line, indented more (or a `-` at the key's indentation).
      let next = found + 1;
      while (next < count && lines[2 * next + 1] === BLANK) next++;
      if (next === count) return undefined;
      const ind = lines[2 * next + 1]!;
      if (ind < 0) return undefined;
      const dash = text.charCodeAt(lines[2 * next]! + ind) === 0x2d;
      if (!(ind > col || (ind === col && dash))) return undefined;
      if (Array.isArray(node) !== dash) return undefined;
      line = next;
      col = ind;
      kind = dash ? 'seq' : 'map';
      continue;
    }
    // A block sequence: its entries are `- ` lines at its indentation.
    const arr = node as unknown[];
    // As the parsers index: Number(), whatever the segment's spelling.
    const want = Number(seg);
    let entries = 0;
    let found = -1;
    for (let n = line; n < count; n++) {
      const ind = lines[2 * n + 1]!;
      if (ind === BLANK || ind > col) continue;
      if (ind === TABBED) return undefined;
      if (ind < col) break;
      const at = lines[2 * n]! + ind;
      if (text.charCodeAt(at) !== 0x2d) break;
      const after = text.charCodeAt(at + 1);
      if (after !== 0x20) return undefined;
      if (entries === want) found = n;
      entries++;
    }
    if (entries !== arr.length) return undefined;
    if (found < 0) break;
    best = found + 1;
    node = arr[want];
    const at = skipSpaces(text, lines[2 * found]! + col + 1);
    if (restEmpty(text, at)) return undefined;
    if (isObject(node)) {
      // A mapping entry starts on the dash's line: `- key: value`.
      if (keyAt(text, at) === null) return undefined;
      line = found;
      col = at - lines[2 * found]!;
      kind = 'map';
    } else if (Array.isArray(node)) return undefined;
    else kind = 'scalar';
  }
  return best;
}

/** End of a JSON string token starting at `at` (its opening quote), or -1. */
function jsonStringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
    else if (c === 0x0a) return -1;
  }
  return -1;
}

function jsonSkipSpace(text: string, at: number): number {
  let i = at;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x09) i++;
    else return i;
  }
}

/** End of the JSON value starting at `at`, or -1 when it is not plain JSON. */
function jsonValueEnd(text: string, at: number): number {
  const c = text.charCodeAt(at);
  if (c === 0x22) return jsonStringEnd(text, at);
  if (c === 0x7b || c === 0x5b) {
    const close = c === 0x7b ? 0x7d : 0x5d;
    let i = jsonSkipSpace(text, at + 1);
    if (text.charCodeAt(i) === close) return i + 1;
    for (;;) {
      if (c === 0x7b) {
        if (text.charCodeAt(i) !== 0x22) return -1;
        i = jsonStringEnd(text, i);
        if (i < 0) return -1;
        i = jsonSkipSpace(text, i);
        if (text.charCodeAt(i) !== 0x3a) return -1;
        i = jsonSkipSpace(text, i + 1);
      }
      i = jsonValueEnd(text, i);
      if (i < 0) return -1;
      i = jsonSkipSpace(text, i);
      const d = text.charCodeAt(i);
      if (d === close) return i + 1;
      if (d !== 0x2c) return -1;
      i = jsonSkipSpace(text, i + 1);
    }
  }
  // A number, true, false or null.
  const m = /^(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)(?=[\s,\]}]|$)/.exec(text.slice(at, at + 64));
  return m ? at + m[0].length : -1;
}

/**
 * `locateIn`'s answer for a document written as plain JSON (no comments, no unquoted
 * keys, no carriage returns), walking only the objects and arrays on the pointer's path;
 * undefined for anything else. JSON has one reading as YAML, so the text alone is enough.
 */
export function locateInJson(text: string, pointer: string): number | undefined {
  if (text.includes('\r')) return undefined;
  const at = jsonSkipSpace(text, 0);
  let c = text.charCodeAt(at);
  if (c !== 0x7b && c !== 0x5b) return undefined;
  let best = at;
  let node = at;
  walk: for (const seg of pointerSegments(pointer)) {
    c = text.charCodeAt(node);
    if (c === 0x7b) {
      let i = jsonSkipSpace(text, node + 1);
      if (text.charCodeAt(i) === 0x7d) break;
      for (;;) {
        if (text.charCodeAt(i) !== 0x22) return undefined;
        const keyEnd = jsonStringEnd(text, i);
        if (keyEnd < 0) return undefined;
        let key: unknown;
        try {
          key = JSON.parse(text.slice(i, keyEnd));
        } catch {
          return undefined;
        }
        const keyAt = i;
        i = jsonSkipSpace(text, keyEnd);
        if (text.charCodeAt(i) !== 0x3a) return undefined;
        i = jsonSkipSpace(text, i + 1);
        if (key === seg) {
          best = keyAt;
          node = i;
          continue walk;
        }
        i = jsonValueEnd(text, i);
        if (i < 0) return undefined;
        i = jsonSkipSpace(text, i);
        const d = text.charCodeAt(i);
        if (d === 0x7d) break walk;
        if (d !== 0x2c) return undefined;
        i = jsonSkipSpace(text, i + 1);
      }
    } else if (c === 0x5b) {
      const want = Number(seg);
      let i = jsonSkipSpace(text, node + 1);
      if (text.charCodeAt(i) === 0x5d) break;
      for (let n = 0; ; n++) {
        if (n === want) {
          if (jsonValueEnd(text, i) < 0) return undefined;
          best = i;
          node = i;
          continue walk;
        }
        i = jsonValueEnd(text, i);
        if (i < 0) return undefined;
        i = jsonSkipSpace(text, i);
        const d = text.charCodeAt(i);
        if (d === 0x5d) break walk;
        if (d !== 0x2c) return undefined;
        i = jsonSkipSpace(text, i + 1);
      }
    } else break;
  }
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < best; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
