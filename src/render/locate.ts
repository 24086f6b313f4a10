import jsyaml from 'js-yaml';
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
      schema: jsyaml.CORE_SCHEMA,
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
