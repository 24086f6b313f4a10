import { GO_SCHEMA } from './yaml-numbers.js';

/**
 * A parser for the block-style YAML subset Kubernetes manifests are written in, giving
 * exactly the value js-yaml's `load(text, { schema: GO_SCHEMA })` gives, about three
 * times faster (js-yaml walks the text character by character through a general state
 * machine; here lines are found with `indexOf` and only keys and scalars are scanned).
 *
 * It answers `UNSUPPORTED` for anything outside its subset, and the caller then uses
 * js-yaml, so a document it declines costs one cheap failed attempt, never a different
 * value. The subset: one document (an optional leading `---` line), block mappings and
 * sequences (compact `- key: v` and `- - x` included), plain and single-quoted scalars
 * (multi-line ones folded), single-line double-quoted scalars, block scalars (`|`, `>`, chomping and indentation indicators), comments, and
 * one-line flow collections of the simplest kind (`{}`, `[]`, `[a, "b"]`).
 * Declined: other flow collections, anchors, aliases, tags, explicit (`?`) or complex keys,
 * multi-line double-quoted scalars and multi-line quoted keys, continuation lines holding `: `, directives, document end markers, tabs, carriage
 * returns, BOMs, control and other unusual characters, duplicate keys, `<<` and
 * `__proto__` keys, empty documents, a scalar as the whole document, nesting deeper
 * than MAX_DEPTH, and any indentation js-yaml would reject or read another way.
 *
 * Plain scalars are resolved by GO_SCHEMA's implicit types (yaml-numbers.ts: YAML 1.2 core
 * with go-yaml's numbers, `0644` is 420), in its order (null, bool, int, float), and keys turned into strings as js-yaml does (`String(key)`).
 * Every line is looked at a bounded number of times: linear in the text's size.
 * `test/render/block-yaml.test.ts` compares it with js-yaml on the shared corpus, the
 * mirrored manifests when present, and seeded generated documents.
 */
export const UNSUPPORTED: unique symbol = Symbol('unsupported');

/** Collections nested deeper are declined (js-yaml's own bound is 100 nodes deep). */
const MAX_DEPTH = 50;

interface ImplicitType {
  resolve(data: string): boolean;
  construct(data: string): unknown;
}
const IMPLICIT = (GO_SCHEMA as unknown as { compiledImplicit: ImplicitType[] }).compiledImplicit;

/**
 * Characters the subset declines anywhere in a document: tabs, carriage returns, NEL and
 * the Unicode line separators, BOMs, every character js-yaml's non-printable check
 * refuses (and all surrogates, paired or not, to keep the check one character class).
 */
const DECLINED_CHARS = /[\x00-\x09\x0B-\x1F\x7F-\x9F\uD800-\uDFFF\uFEFF\uFFFE\uFFFF\u2028\u2029]/;

class Unsupported extends Error {}
const DECLINE = new Unsupported('unsupported');

const SPACE = 0x20;
const NL = 0x0a;

/** The value of a single block-style YAML document, or UNSUPPORTED. */
export function loadBlockDocument(text: string): unknown {
  if (DECLINED_CHARS.test(text)) return UNSUPPORTED;
  // js-yaml reads a missing final line break as present.
  if (text.length > 0 && text.charCodeAt(text.length - 1) !== NL) text += '\n';
  try {
    return new BlockParser(text).document();
  } catch (err) {
    if (err === DECLINE) return UNSUPPORTED;
    throw err;
  }
}

/**
 * The first `'` in [from, end) of `t`, or -1. Bounded by the line: `indexOf` would scan on
 * to the closing quote lines later, once per line, quadratic in a long quoted scalar.
 */
function quoteIn(t: string, from: number, end: number): number {
  for (let i = from; i < end; i++) if (t.charCodeAt(i) === 0x27) return i;
  return -1;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** A plain scalar's value, as js-yaml's implicit resolution makes it. */
export function resolvePlain(s: string): unknown {
  const c = s.charCodeAt(0);
  // Only `~`, n/N (null), t/T/f/F (bool), digits, signs and `.` (int, float) can start
  // a non-string: each resolver tests its first characters as such.
  if (!(c === 0x7e || c === 0x6e || c === 0x4e || c === 0x74 || c === 0x54 || c === 0x66 || c === 0x46 || c === 0x2d || c === 0x2b || c === 0x2e || isDigit(c))) return s;
  for (const type of IMPLICIT) if (type.resolve(s)) return type.construct(s);
  return s;
}

class BlockParser {
  private readonly t: string;
  private readonly n: number;
  /** The current line: its start, end (its `\n`), indentation. */
  private ls = 0;
  private le = 0;
  private ind = 0;
  private eof = false;
  private depth = 0;
  /** Where the last plain() or quoted() scalar ended. */
  private scanEnd = 0;

  constructor(text: string) {
    this.t = text;
    this.n = text.length;
  }

  document(): unknown {
    if (this.n === 0) return UNSUPPORTED;
    this.load(0);
    this.skipToContent(true);
    if (this.eof) throw DECLINE;
    const t = this.t;
    if (this.ind === 0 && t.startsWith('---', this.ls) && (this.ls + 3 === this.le || t.charCodeAt(this.ls + 3) === SPACE)) {
      // `---` with nothing but a comment after it.
      if (!this.restIsEmpty(this.ls + 3)) throw DECLINE;
      this.advance();
      this.skipToContent(false);
      if (this.eof) throw DECLINE;
    }
    const p = this.ls + this.ind;
    const c = t.charCodeAt(p);
    // A document that is one scalar (or a block scalar) is rare in manifests: js-yaml's.
    if (c === 0x7c || c === 0x3e) throw DECLINE;
    const value = this.node(p, -1, true);
    if (value === null || typeof value !== 'object') throw DECLINE;
    if (!this.eof) throw DECLINE;
    return value;
  }

  private load(ls: number): void {
    const t = this.t;
    this.ls = ls;
    const le = t.indexOf('\n', ls);
    this.le = le < 0 ? this.n : le;
    let i = ls;
    while (i < this.le && t.charCodeAt(i) === SPACE) i++;
    this.ind = i - ls;
  }

  private advance(): void {
    if (this.le + 1 >= this.n) {
      this.eof = true;
      return;
    }
    this.load(this.le + 1);
  }

  /**
   * Moves to the next line with content (not blank, not only a comment). Document
   * markers are declined (one chunk is one document), except a first `---` when asked.
   */
  private skipToContent(markerAllowed = false): void {
    const t = this.t;
    while (!this.eof) {
      const p = this.ls + this.ind;
      if (p < this.le && t.charCodeAt(p) !== 0x23) {
        // js-yaml takes `---` at a document's start as its marker whatever follows it
        // (`---x: 1` is the mapping x: 1): any line starting so is left to it.
        if (this.ind === 0 && (t.startsWith('---', p) || t.startsWith('...', p))) {
          if (markerAllowed && t.charCodeAt(p) === 0x2d && (p + 3 === this.le || t.charCodeAt(p + 3) === SPACE)) return;
          throw DECLINE;
        }
        return;
      }
      this.advance();
    }
  }

  /** Whether the current line from `p` holds only spaces and perhaps a comment. */
  private restIsEmpty(p: number): boolean {
    const t = this.t;
    while (p < this.le && t.charCodeAt(p) === SPACE) p++;
    return p === this.le || (t.charCodeAt(p) === 0x23 && t.charCodeAt(p - 1) === SPACE);
  }

  /**
   * A node starting at `p` on the current line, inside a collection indented
   * `parent` (-1 at the top). Leaves the current line at the next content line.
   */
  private node(p: number, parent: number, compact: boolean): unknown {
    const t = this.t;
    const c = t.charCodeAt(p);
    const col = p - this.ls;
    if (c === 0x2d && (p + 1 === this.le || t.charCodeAt(p + 1) === SPACE)) {
      if (!compact) throw DECLINE;
      return this.sequence(col);
    }
    if (c === 0x7c || c === 0x3e) return this.blockScalar(p, parent + 1);
    if (c === 0x5b || c === 0x7b) {
      const flow = this.flow(p);
      if (!this.restIsEmpty(flow.end)) throw DECLINE;
      this.advance();
      this.skipToContent();
      return flow.value;
    }
    if (c === 0x27 && !this.closesOnLine(p)) return this.singleQuotedLines(p, parent);
    if (c === 0x22 || c === 0x27) {
      const value = this.quoted(p);
      const end = this.scanEnd;
      let e = end;
      while (e < this.le && t.charCodeAt(e) === SPACE) e++;
      if (e < this.le && t.charCodeAt(e) === 0x3a && (e + 1 === this.le || t.charCodeAt(e + 1) === SPACE)) {
        if (!compact) throw DECLINE;
        return this.mapping(col);
      }
      if (!this.restIsEmpty(end)) throw DECLINE;
      this.advance();
      this.skipToContent();
      return value;
    }
    if (this.plain(p) >= 0) {
      if (!compact) throw DECLINE;
      return this.mapping(col);
    }
    const first = t.slice(p, this.scanEnd);
    const stoppedAtComment = this.commentAfter(this.scanEnd);
    this.advance();
    if (stoppedAtComment) {
      this.skipToContent();
      return resolvePlain(first);
    }
    const folded = this.continuation(parent + 1);
    this.skipToContent();
    return folded === null ? resolvePlain(first) : resolvePlain(first + folded);
  }

  /** Whether a comment follows `p` on the current line (after spaces). */
  private commentAfter(p: number): boolean {
    const t = this.t;
    while (p < this.le && t.charCodeAt(p) === SPACE) p++;
    return p < this.le;
  }

  /**
   * The folded continuation lines of a plain scalar (lines indented at least
   * `nodeIndent`), as js-yaml folds them: one line break is a space, n + 1 are n line
   * breaks; each line's leading and trailing spaces dropped. Null when there is none.
   * A comment line, or a comment after a line's text, ends the scalar; a line that
   * holds `: ` is declined (js-yaml reads a mapping there, and rejects its indentation).
   */
  private continuation(nodeIndent: number): string | null {
    const t = this.t;
    let out: string | null = null;
    while (!this.eof) {
      let breaks = 1;
      while (this.ls + this.ind === this.le) {
        // A line of spaces only: an empty line of the scalar, if more text follows.
        this.advance();
        if (this.eof) return out;
        breaks++;
      }
      if (this.ind < nodeIndent) return out;
      const p = this.ls + this.ind;
      if (t.charCodeAt(p) === 0x23) return out;
      if (this.scanPlain(p) >= 0) throw DECLINE;
      out = (out ?? '') + (breaks === 1 ? ' ' : '\n'.repeat(breaks - 1)) + t.slice(p, this.scanEnd);
      const stop = this.commentAfter(this.scanEnd);
      this.advance();
      if (stop) return out;
    }
    return out;
  }

  /**
   * A plain scalar starting at `p`: the position of a `:` followed by a space or the
   * line's end (a key), or -1; where it ends (trailing spaces excluded) goes to scanEnd
   * (a field, not an object per scalar: this runs for every key and value).
   */
  private plain(p: number): number {
    const t = this.t;
    const le = this.le;
    const c = t.charCodeAt(p);
    // Indicators: flow collections, comment, anchor, alias, tag, block scalars, quotes,
    // directive, reserved; `-`, `?` and `:` followed by a space.
    if (
      c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d || c === 0x2c || c === 0x23 || c === 0x26 || c === 0x2a ||
      c === 0x21 || c === 0x7c || c === 0x3e || c === 0x27 || c === 0x22 || c === 0x25 || c === 0x40 || c === 0x60
    ) {
      throw DECLINE;
    }
    if ((c === 0x2d || c === 0x3f || c === 0x3a) && (p + 1 === le || t.charCodeAt(p + 1) === SPACE)) throw DECLINE;
    return this.scanPlain(p);
  }

  /**
   * The rest of a plain scalar from `p`, its first character already allowed: the
   * position of a `:` followed by a space or the line's end, or -1; where it ends goes
   * to scanEnd. A continuation line starts here directly: indicators are text there
   * (`- c`, `"2m", "1h")`, `> 0` in CRD descriptions and CEL rules), as in js-yaml and kustomize.
   */
  private scanPlain(p: number): number {
    const t = this.t;
    const le = this.le;
    let end = p;
    for (let i = p; i < le; i++) {
      const ch = t.charCodeAt(i);
      if (ch === 0x3a) {
        if (i + 1 === le || t.charCodeAt(i + 1) === SPACE) {
          this.scanEnd = end;
          return i;
        }
      } else if (ch === 0x23) {
        if (t.charCodeAt(i - 1) === SPACE) break;
      }
      if (ch !== SPACE) end = i + 1;
    }
    this.scanEnd = end;
    return -1;
  }

  /** Whether the single-quoted scalar at `p` closes on its line. */
  private closesOnLine(p: number): boolean {
    const t = this.t;
    let from = p + 1;
    for (;;) {
      const q = quoteIn(t, from, this.le);
      if (q < 0) return false;
      if (t.charCodeAt(q + 1) !== 0x27 || q + 1 >= this.le) return true;
      from = q + 2;
    }
  }

  /**
   * A single-quoted scalar at `p` that goes on over later lines (CEL rules in CRDs), as
   * js-yaml folds it: each line's trailing and the next line's leading spaces dropped,
   * one line break a space, n + 1 of them n line breaks. Continuation lines must be
   * indented more than `parent` (js-yaml only warns otherwise: declined here).
   */
  private singleQuotedLines(p: number, parent: number): string {
    const t = this.t;
    let value = '';
    let from = p + 1;
    for (;;) {
      const q = quoteIn(t, from, this.le);
      if (q >= 0) {
        value += t.slice(from, q);
        if (q + 1 < this.le && t.charCodeAt(q + 1) === 0x27) {
          value += "'";
          from = q + 2;
          continue;
        }
        if (!this.restIsEmpty(q + 1)) throw DECLINE;
        this.advance();
        this.skipToContent();
        return value;
      }
      let end = this.le;
      while (end > from && t.charCodeAt(end - 1) === SPACE) end--;
      value += t.slice(from, end);
      let breaks = 1;
      this.advance();
      while (!this.eof && this.ls + this.ind === this.le) {
        breaks++;
        this.advance();
      }
      if (this.eof || this.ind <= parent || this.ind === 0) throw DECLINE;
      value += breaks === 1 ? ' ' : '\n'.repeat(breaks - 1);
      from = this.ls + this.ind;
    }
  }

  /** A quoted scalar on one line starting at `p`: its value (scanEnd: the position after its closing quote). */
  private quoted(p: number): string {
    const t = this.t;
    const le = this.le;
    if (t.charCodeAt(p) === 0x27) {
      let value = '';
      let from = p + 1;
      for (;;) {
        const q = quoteIn(t, from, le);
        if (q < 0) throw DECLINE;
        value += t.slice(from, q);
        if (t.charCodeAt(q + 1) === 0x27) {
          value += "'";
          from = q + 2;
          continue;
        }
        this.scanEnd = q + 1;
        return value;
      }
    }
    let value = '';
    let from = p + 1;
    for (let i = from; i < le; i++) {
      const ch = t.charCodeAt(i);
      if (ch === 0x22) {
        this.scanEnd = i + 1;
        return value + t.slice(from, i);
      }
      if (ch !== 0x5c) continue;
      value += t.slice(from, i);
      const e = t.charCodeAt(i + 1);
      if (i + 1 >= le) throw DECLINE; // an escaped line break: multi-line
      const simple = simpleEscape(e);
      if (simple !== null) {
        value += simple;
        i += 1;
      } else {
        const len = e === 0x78 ? 2 : e === 0x75 ? 4 : e === 0x55 ? 8 : 0;
        if (len === 0 || i + 1 + len >= le) throw DECLINE;
        let code = 0;
        for (let k = 1; k <= len; k++) {
          const h = hexValue(t.charCodeAt(i + 1 + k));
          if (h < 0) throw DECLINE;
          code = (code << 4) + h;
        }
        if (code < 0 || code > 0x10ffff) throw DECLINE;
        value += code <= 0xffff ? String.fromCharCode(code) : String.fromCharCode(((code - 0x10000) >> 10) + 0xd800, ((code - 0x10000) & 0x3ff) + 0xdc00);
        i += 1 + len;
      }
      from = i + 1;
    }
    throw DECLINE;
  }

  /**
   * A flow collection on one line at `p`: `{}`, or a sequence of quoted scalars and
   * plain scalars of ordinary characters (`[a, "b", 1]`, what manifests write for args).
   * Flow mappings with entries, nested or multi-line collections, empty or trailing
   * entries, and plain scalars with `:` or other indicators are declined.
   */
  private flow(p: number): { value: unknown; end: number } {
    const t = this.t;
    const le = this.le;
    let i = p + 1;
    while (i < le && t.charCodeAt(i) === SPACE) i++;
    if (t.charCodeAt(p) === 0x7b) {
      if (t.charCodeAt(i) !== 0x7d) throw DECLINE;
      return { value: {}, end: i + 1 };
    }
    const arr: unknown[] = [];
    if (t.charCodeAt(i) === 0x5d) return { value: arr, end: i + 1 };
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x22 || c === 0x27) {
        arr.push(this.quoted(i));
        i = this.scanEnd;
      } else {
        let end = i;
        let j = i;
        for (; j < le; j++) {
          const ch = t.charCodeAt(j);
          if (ch === 0x2c || ch === 0x5d) break;
          if (!isFlowPlainChar(ch)) throw DECLINE;
          if (ch !== SPACE) end = j + 1;
        }
        if (end === i || c === 0x3e) throw DECLINE; // empty, or `>` (a block scalar indicator)
        // `-` or `?` as an indicator: followed by a space (flow indicators are excluded above).
        if ((c === 0x2d || c === 0x3f) && (end === i + 1 || t.charCodeAt(i + 1) === SPACE)) throw DECLINE;
        arr.push(resolvePlain(t.slice(i, end)));
        i = j;
      }
      while (i < le && t.charCodeAt(i) === SPACE) i++;
      const sep = t.charCodeAt(i);
      if (i >= le) throw DECLINE;
      if (sep === 0x5d) return { value: arr, end: i + 1 };
      if (sep !== 0x2c) throw DECLINE;
      i++;
      while (i < le && t.charCodeAt(i) === SPACE) i++;
      if (i >= le || t.charCodeAt(i) === 0x5d || t.charCodeAt(i) === 0x2c) throw DECLINE;
    }
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw DECLINE;
  }

  /** A block mapping whose keys start at column `col`, the first on the current line. */
  private mapping(col: number): Record<string, unknown> {
    this.enter();
    const t = this.t;
    const obj: Record<string, unknown> = {};
    // The first key may sit mid-line (`- key: v`); later ones start their lines at `col`.
    let p = this.ls + col;
    for (;;) {
      let key: string;
      let after: number;
      const c = t.charCodeAt(p);
      if (c === 0x22 || c === 0x27) {
        key = this.quoted(p);
        let e = this.scanEnd;
        while (e < this.le && t.charCodeAt(e) === SPACE) e++;
        if (!(e < this.le && t.charCodeAt(e) === 0x3a && (e + 1 === this.le || t.charCodeAt(e + 1) === SPACE))) throw DECLINE;
        after = e + 1;
      } else {
        const colon = this.plain(p);
        // No `: ` before the line's end or a comment (`a #b: c` is no key either).
        if (colon < 0) throw DECLINE;
        key = String(resolvePlain(t.slice(p, this.scanEnd)));
        after = colon + 1;
      }
      if (key === '<<' || key === '__proto__' || Object.prototype.hasOwnProperty.call(obj, key)) throw DECLINE;
      let v = after;
      while (v < this.le && t.charCodeAt(v) === SPACE) v++;
      let value: unknown;
      if (v === this.le || t.charCodeAt(v) === 0x23) {
        // The value starts on a later line: more indented, or a sequence at this indentation.
        this.advance();
        this.skipToContent();
        if (this.eof || this.ind < col) value = null;
        else if (this.ind > col) value = this.node(this.ls + this.ind, col, true);
        else if (this.isEntry()) value = this.sequence(col);
        else value = null;
      } else {
        value = this.node(v, col, false);
      }
      obj[key] = value;
      if (this.eof || this.ind < col) break;
      if (this.ind > col) throw DECLINE;
      p = this.ls + col;
      if (this.isEntry()) throw DECLINE;
    }
    this.depth--;
    return obj;
  }

  /** Whether the current line is a sequence entry (`-` then a space or the line's end). */
  private isEntry(): boolean {
    const p = this.ls + this.ind;
    return this.t.charCodeAt(p) === 0x2d && (p + 1 === this.le || this.t.charCodeAt(p + 1) === SPACE);
  }

  /** A block sequence whose first `-` is at column `col` of the current line. */
  private sequence(col: number): unknown[] {
    this.enter();
    const t = this.t;
    const arr: unknown[] = [];
    let p = this.ls + col;
    for (;;) {
      let v = p + 1;
      while (v < this.le && t.charCodeAt(v) === SPACE) v++;
      if (v === this.le || t.charCodeAt(v) === 0x23) {
        this.advance();
        this.skipToContent();
        // js-yaml reads a `- ` line indented less than an empty entry as the next entry
        // of the same sequence, not of the enclosing one: left to it.
        if (!this.eof && this.ind < col && this.isEntry()) throw DECLINE;
        arr.push(this.eof || this.ind <= col ? null : this.node(this.ls + this.ind, col, true));
      } else {
        arr.push(this.node(v, col, true));
      }
      if (this.eof || this.ind < col) break;
      if (this.ind > col) throw DECLINE;
      if (!this.isEntry()) break;
      p = this.ls + col;
    }
    this.depth--;
    return arr;
  }

  /**
   * A block scalar whose header (`|` or `>`) is at `p`, for a node indented at least
   * `nodeIndent`: js-yaml's readBlockScalar, line by line.
   */
  private blockScalar(p: number, nodeIndent: number): string {
    const t = this.t;
    const n = this.n;
    const folding = t.charCodeAt(p) === 0x3e;
    let chomping = 0; // 0 clip, 1 strip, 2 keep
    let detected = false;
    let textIndent = nodeIndent;
    let i = p + 1;
    for (;;) {
      const ch = t.charCodeAt(i);
      if (ch === 0x2b || ch === 0x2d) {
        if (chomping !== 0) throw DECLINE;
        chomping = ch === 0x2b ? 2 : 1;
      } else if (isDigit(ch)) {
        if (ch === 0x30 || detected) throw DECLINE;
        textIndent = nodeIndent + (ch - 0x30) - 1;
        detected = true;
      } else break;
      i++;
    }
    // Only spaces and a comment may follow the header.
    if (i < this.le && t.charCodeAt(i) !== SPACE) throw DECLINE;
    if (!this.restIsEmpty(i)) throw DECLINE;
    let pos = this.le; // the header line's `\n`
    let result = '';
    let didReadContent = false;
    let emptyLines = 0;
    let atMoreIndented = false;
    let stop = -1;
    for (;;) {
      const lineStart = pos + 1;
      let lineIndent = 0;
      let j = lineStart;
      while (j < n && (!detected || lineIndent < textIndent) && t.charCodeAt(j) === SPACE) {
        lineIndent++;
        j++;
      }
      if (!detected && lineIndent > textIndent) textIndent = lineIndent;
      const ch = j < n ? t.charCodeAt(j) : 0;
      if (ch === NL) {
        emptyLines++;
        pos = j;
        continue;
      }
      if (lineIndent < textIndent) {
        if (chomping === 2) result += '\n'.repeat(didReadContent ? 1 + emptyLines : emptyLines);
        else if (chomping === 0 && didReadContent) result += '\n';
        stop = lineStart;
        break;
      }
      if (folding) {
        if (ch === SPACE) {
          atMoreIndented = true;
          result += '\n'.repeat(didReadContent ? 1 + emptyLines : emptyLines);
        } else if (atMoreIndented) {
          atMoreIndented = false;
          result += '\n'.repeat(emptyLines + 1);
        } else if (emptyLines === 0) {
          if (didReadContent) result += ' ';
        } else {
          result += '\n'.repeat(emptyLines);
        }
      } else {
        result += '\n'.repeat(didReadContent ? 1 + emptyLines : emptyLines);
      }
      didReadContent = true;
      detected = true;
      emptyLines = 0;
      const e = t.indexOf('\n', j);
      result += t.slice(j, e);
      pos = e;
    }
    if (stop >= n) this.eof = true;
    else {
      this.load(stop);
      this.skipToContent();
    }
    return result;
  }
}

/**
 * Characters a plain scalar inside `[...]` may hold here: letters, digits, space and
 * `- . _ / = + ~ $ ^ ( ) < > ;` (no `:`, `#`, quotes, flow or other indicators; a
 * leading space cannot occur, spaces are skipped first).
 */
function isFlowPlainChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || isDigit(c) || c === SPACE || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x2f ||
    c === 0x3d || c === 0x2b || c === 0x7e || c === 0x24 || c === 0x5e || c === 0x28 || c === 0x29 || c === 0x3c || c === 0x3e || c === 0x3b
  );
}

function simpleEscape(c: number): string | null {
  switch (c) {
    case 0x30: return '\0';
    case 0x61: return '\x07';
    case 0x62: return '\b';
    case 0x74: return '\t';
    case 0x6e: return '\n';
    case 0x76: return '\v';
    case 0x66: return '\f';
    case 0x72: return '\r';
    case 0x65: return '\x1b';
    case 0x20: return ' ';
    case 0x22: return '"';
    case 0x2f: return '/';
    case 0x5c: return '\\';
    case 0x4e: return '\x85';
    case 0x5f: return '\xa0';
    case 0x4c: return '\u2028';
    case 0x50: return '\u2029';
    default: return null;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
