import jsyaml from 'js-yaml';
import { CST, isMap, isSeq, Lexer, LineCounter, parseAllDocuments, parseDocument, type Document, type Node } from 'yaml';
import { loadBlockDocument, UNSUPPORTED } from './block-yaml.js';
import { lineTable, locateByIndent, locateFast, locateInJson, locateIn, positionTree, type Frame, type LineTable } from './locate.js';
import { maxBlobBytesFromEnv, mib } from '../workspace/limits.js';
import { append } from '../util/append.js';
import { resourceLabel, type Finding, type Resource, type ResourceId } from '../types.js';
import { GO_SCHEMA, GO_YAML } from './yaml-numbers.js';

/**
 * Source manifests larger than this are refused with a finding instead of parsed: the
 * same bound as any file Ferry reads from a commit (FERRY_MAX_FILE_MB, default 64 MiB).
 */
function maxManifestBytes(): number {
  // Only the one limit: reading the environment is not free, and this runs per file.
  return maxBlobBytesFromEnv();
}
const MAX_ALIASES = 100;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function yamlFinding(file: string, line: number | null, message: string): Finding {
  return { severity: 'error', rule: 'yaml-error', message, file, line, resource: null };
}

/** Decodes a file as UTF-8 or explains why it cannot be read. */
export function decodeManifest(buf: Buffer, file: string): { text: string } | { finding: Finding } {
  const max = maxManifestBytes();
  if (buf.length > max) {
    return { finding: yamlFinding(file, null, `file is ${mib(buf.length)}; Ferry reads manifests up to ${mib(max)} (FERRY_MAX_FILE_MB)`) };
  }
  try {
    return { text: utf8.decode(buf) };
  } catch {
    const at = firstInvalidUtf8(buf);
    return { finding: yamlFinding(file, at.line, `file is not valid UTF-8 (invalid byte at line ${at.line}, byte ${at.offset})`) };
  }
}

function firstInvalidUtf8(buf: Buffer): { line: number; offset: number } {
  let lo = 0;
  let hi = buf.length;
  // The decoder reports no position; binary search finds the shortest invalid prefix.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, mid + 1), { stream: true });
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  let line = 1;
  for (let i = 0; i < lo; i++) if (buf[i] === 0x0a) line++;
  return { line, offset: lo };
}

export function identityOf(obj: Record<string, unknown>): ResourceId | null {
  const apiVersion = obj.apiVersion;
  const kind = obj.kind;
  const meta = obj.metadata as Record<string, unknown> | undefined;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return null;
  const name = meta && typeof meta.name === 'string' ? meta.name : meta && typeof meta.generateName === 'string' ? meta.generateName : '';
  const namespace = meta && typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : null;
  return { apiVersion, kind, namespace, name };
}

/** Kustomize and Helm inputs that are YAML but not Kubernetes objects. */
export function isToolConfig(obj: Record<string, unknown>): boolean {
  const av = obj.apiVersion;
  return typeof av === 'string' && (av.startsWith('kustomize.config.k8s.io/') || av.startsWith('config.kubernetes.io/'));
}

const IGNORE_RE = /#\s*ferry:ignore\s+([A-Za-z0-9_,\s-]+)/g;

function ignoredRulesIn(text: string): string[] | undefined {
  if (!text.includes('ferry:ignore')) return undefined;
  const rules: string[] = [];
  for (const m of text.matchAll(IGNORE_RE)) {
    for (const r of (m[1] ?? '').split(/[,\s]+/)) if (r) rules.push(r);
  }
  return rules.length ? rules : undefined;
}

export interface ParsedManifests {
  resources: Resource[];
  findings: Finding[];
  /** Set, with `simpleYaml`, when a document is outside what that option accepts: the parse stopped there. */
  declined?: true;
}

export interface ParseOptions {
  /**
   * Every document must be a Kubernetes object: one without apiVersion or kind is an
   * error at its line (plain apps). Off for files read only to trace rendered resources.
   */
  requireIdentity?: boolean;
  /** Parse only documents whose text contains this string (a cheap pre-filter). */
  onlyContaining?: string;
  /**
   * Accept only simple YAML: documents without anchors, aliases, tags, directives,
   * explicit or collection keys, `...` markers, duplicate keys or unusual characters (tabs,
   * carriage returns, BOMs, control characters, astral ones), each one object that is
   * neither a List nor a tool configuration; blank documents are skipped. Anything else
   * sets `declined` and ends the parse: for callers that must know every YAML reader
   * reads the text alike (trivial-kustomization.ts).
   */
  simpleYaml?: boolean;
}

/** One YAML document of a stream: its text and where it starts in the file. */
interface DocChunk {
  text: string;
  /** 0-based line of the chunk's first line in the file. */
  lineOffset: number;
}

const MARKER_RE = /^(?:---|\.\.\.)(?=[ \t]|\r?$)/;

/**
 * Splits a YAML stream at its document markers. A marker line at column 0 always ends
 * a document in YAML (it may not appear inside a scalar), so no parse is needed to
 * find the boundaries, and each document can be parsed, and dropped, on its own.
 */
export function splitDocuments(text: string): DocChunk[] {
  const chunks: DocChunk[] = [];
  let start = 0;
  let startLine = 0;
  let line = 0;
  let pos = 0;
  while (pos <= text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? text.length : nl;
    // `...` closes a document; `---` opens one and stays with the document it opens.
    if (pos > start && (text.startsWith('---', pos) || text.startsWith('...', pos)) && MARKER_RE.test(text.slice(pos, Math.min(lineEnd, pos + 4)))) {
      chunks.push({ text: text.slice(start, pos), lineOffset: startLine });
      start = pos;
      startLine = line;
    }
    if (nl < 0) break;
    pos = nl + 1;
    line++;
  }
  chunks.push({ text: text.slice(start), lineOffset: startLine });
  return chunks;
}

/** 1-based line of the first content line of a chunk (not blank, comment or marker). */
function contentLine(chunk: DocChunk): number {
  // Line by line, not split: the content line is near the top of a large document.
  const text = chunk.text;
  let pos = 0;
  for (let i = 0; i < 2000 && pos <= text.length; i++) {
    const nl = text.indexOf('\n', pos);
    const l = text.slice(pos, nl < 0 ? text.length : nl).trim();
    if (!(l === '' || l.startsWith('#') || /^(---|\.\.\.)(\s+#.*)?$/.test(l))) return chunk.lineOffset + i + 1;
    if (nl < 0) break;
    pos = nl + 1;
  }
  return chunk.lineOffset + 1;
}

/**
 * The fast parser, unless the text uses an alias. An alias makes js-yaml share a node,
 * and walking the value (validation, diffs, dumps) multiplies it: a small document can
 * expand without bound, and even the parse pays when an aliased sequence is a mapping
 * key (it is turned into a string per use). The parse stops at the first alias, and the
 * guarded parser, which counts aliases, takes the document.
 */
function loadFast(text: string, tryBlock = true): { docs: unknown[]; aliased: boolean } {
  // Most documents are plain block style: read without js-yaml, to the same value
  // (block-yaml.ts declines aliases and everything else it does not read).
  if (tryBlock) {
    const block = loadBlockDocument(text);
    if (block !== UNSUPPORTED) return { docs: [block], aliased: false };
  }
  // An alias is written `*name`: text without a `*` has none, and needs no watching
  // (the listener is called twice per node, a sizeable part of the parse).
  if (!text.includes('*')) return { docs: jsyaml.loadAll(text, null, PLAIN), aliased: false };
  try {
    const docs = jsyaml.loadAll(text, null, {
      schema: GO_SCHEMA,
      listener(event, state) {
        // An alias closes with neither kind nor tag: they belong to the anchored node.
        const st = state as unknown as { kind: string | null; tag: string | null; result: unknown };
        if (event === 'close' && st.kind === null && st.tag === null && st.result !== null && st.result !== undefined) throw ALIAS_SEEN;
      },
    });
    return { docs, aliased: false };
  } catch (err) {
    if (err === ALIAS_SEEN) return { docs: [], aliased: true };
    throw err;
  }
}

const ALIAS_SEEN = new Error('alias');
const PLAIN: jsyaml.LoadOptions = { schema: GO_SCHEMA };

/**
 * The position-tracking parser costs about 100 times the document's size in memory and
 * seconds per few MB: it runs on documents up to this size; a larger one that needs it
 * is reported with the fast parser's own message.
 */
export const MAX_GUARDED_DOC_BYTES = 8 * 2 ** 20;

/**
 * The guarded parser's documents for `text`, within its size bound: every fallback from
 * the fast parser (aliases, errors) goes through here. Past the bound it throws, saying so.
 */
function guardedDocuments(text: string): Document.Parsed[] {
  if (text.length > MAX_GUARDED_DOC_BYTES) {
    throw new Error(`a ${mib(text.length)} document with YAML aliases or errors: Ferry parses those up to ${mib(MAX_GUARDED_DOC_BYTES)}`);
  }
  return parseAllDocuments(text, { ...GO_YAML, prettyErrors: false, logLevel: 'error' }) as Document.Parsed[];
}

/** One value through the guarded parser (bounded; aliases counted); throws on any error. */
function guardedValue(text: string): unknown {
  const docs = guardedDocuments(text);
  if (docs.length > 1) throw new Error('expected a single YAML document');
  const doc = docs[0];
  if (!doc) return null;
  if (doc.errors.length) throw new Error(doc.errors[0]!.message);
  return doc.toJS({ maxAliasCount: MAX_ALIASES });
}

/**
 * Parses a source manifest: every resource can be traced back to its file and line.
 * Documents are parsed one by one with the fast parser; line positions are computed
 * only when a finding asks for one. Documents with aliases, and documents the fast
 * parser rejects, go through the position-tracking parser, which bounds aliases and
 * words errors with their line. Non-Kubernetes documents (kustomization files, values)
 * are skipped unless `requireIdentity`; `kind: List` is expanded.
 */
export function parseSourceManifests(text: string, file: string, opts: ParseOptions = {}): ParsedManifests {
  const out: ParsedManifests = { resources: [], findings: [] };
  // Directives (%YAML, %TAG) apply across the marker that follows them: parse whole.
  if (hasDirective(text)) {
    if (opts.simpleYaml) return declined(out);
    parseGuarded({ text, lineOffset: 0 }, file, opts, out, null);
    return out;
  }
  for (const chunk of splitDocuments(text)) {
    if (opts.onlyContaining !== undefined && !chunk.text.includes(opts.onlyContaining)) continue;
    let loaded: { docs: unknown[]; aliased: boolean };
    if (opts.simpleYaml) {
      const value = simpleDocument(chunk.text);
      if (value === BLANK) continue;
      if (value === UNSUPPORTED || !isOneObject(value)) return declined(out);
      loaded = { docs: [value], aliased: false };
    } else {
      try {
        loaded = loadFast(chunk.text);
      } catch (err) {
        // Duplicate keys and syntax errors: the careful parser says what and where.
        parseGuarded(chunk, file, opts, out, err);
        continue;
      }
    }
    if (loaded.aliased) {
      parseGuarded(chunk, file, opts, out, null);
      continue;
    }
    const value = loaded.docs[0];
    let doc: { doc: Document; lc: LineCounter } | null = null;
    let lines: LineTable | undefined;
    let tree: Frame | null | undefined;
    const locate = (pointer: string) => {
      // The text's indentation, checked against the value, answers nearly every lookup
      // without a parse; the fast parser again, watched, most others; the careful parser the rest.
      if (lines === undefined) lines = lineTable(chunk.text);
      const byIndent = locateByIndent(lines, value, pointer);
      if (byIndent !== undefined) return byIndent + chunk.lineOffset;
      // JSON (a manifest written as such): its tokens, walked along the pointer only.
      const json = locateInJson(chunk.text, pointer);
      if (json !== undefined) return json + chunk.lineOffset;
      if (tree === undefined) tree = positionTree(chunk.text);
      const fast = tree ? locateFast(tree, chunk.text, pointer) : undefined;
      if (fast !== undefined) return fast + chunk.lineOffset;
      if (!doc) {
        const lc = new LineCounter();
        doc = { doc: parseDocument(chunk.text, { ...GO_YAML, lineCounter: lc, uniqueKeys: false, logLevel: 'silent' }), lc };
      }
      const l = locateIn(doc.doc, doc.lc, pointer);
      return l === null ? null : l + chunk.lineOffset;
    };
    addDocument(value, chunk, contentLine(chunk), locate, file, opts, out);
  }
  return out;
}

function declined(out: ParsedManifests): ParsedManifests {
  out.declined = true;
  return out;
}

/** A document that is one Kubernetes-looking object: not a List (expanded) nor a tool configuration (skipped). */
function isOneObject(value: unknown): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return true; // a finding says what it is
  const obj = value as Record<string, unknown>;
  return !isToolConfig(obj) && !(typeof obj.kind === 'string' && obj.kind.endsWith('List'));
}

const BLANK: unique symbol = Symbol('blank');
/** Characters block-yaml.ts declines too: tabs, carriage returns, NEL and line separators, BOMs, controls, surrogates. */
const UNUSUAL_CHARS = /[\x00-\x09\x0B-\x1F\x7F-\x9F\uD800-\uDFFF\uFEFF\uFFFE\uFFFF\u2028\u2029]/;
/** Tokens of what is not simple YAML (see ParseOptions.simpleYaml). */
const NOT_SIMPLE = new Set(['anchor', 'alias', 'tag', 'explicit-key-ind', 'directive-line', 'doc-end', 'flow-error-end', 'byte-order-mark']);

/**
 * A document's value when it is simple YAML (ParseOptions.simpleYaml), BLANK when it has no
 * content, or UNSUPPORTED. Most documents are block style (block-yaml.ts declines all the
 * rest); for the others (flow mappings, flow collections over several lines, multi-line
 * double-quoted scalars), the `yaml` package's lexer tells what the text holds, and js-yaml reads it.
 */
function simpleDocument(text: string): unknown {
  const block = loadBlockDocument(text);
  if (block !== UNSUPPORTED) return block;
  if (isBlankDocument(text)) return BLANK;
  if (UNUSUAL_CHARS.test(text) || !hasSimpleTokens(text)) return UNSUPPORTED;
  try {
    const loaded = loadFast(text, false);
    return loaded.aliased || loaded.docs.length !== 1 ? UNSUPPORTED : loaded.docs[0];
  } catch {
    return UNSUPPORTED;
  }
}

/**
 * No token of NOT_SIMPLE, no flow collection as a mapping key (`[a]: b`, which js-yaml
 * turns into the string "a"), no pair in a flow sequence, and no flow mapping entry without
 * a value: `{a}`, `{a: }`, `[a: ]` are "" to go-yaml and null to js-yaml.
 */
function hasSimpleTokens(text: string): boolean {
  let afterFlowEnd = false;
  /** Open flow collections; for a mapping, where its current entry stands. */
  const open: Array<{ map: boolean; key: boolean; ind: boolean; value: boolean }> = [];
  const entryLacksValue = (c: { key: boolean; ind: boolean; value: boolean }) => (c.key || c.ind) && !(c.ind && c.value);
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (type && NOT_SIMPLE.has(type)) return false;
    if (type === 'space' || type === 'newline' || type === 'comment') continue;
    if (afterFlowEnd && type === 'map-value-ind') return false;
    afterFlowEnd = type === 'flow-seq-end' || type === 'flow-map-end';
    const top = open[open.length - 1];
    if (top && (type === 'scalar' || type === 'single-quoted-scalar' || type === 'double-quoted-scalar' || type === 'flow-map-start' || type === 'flow-seq-start')) {
      if (top.map && top.ind) top.value = true;
      else if (top.map) top.key = true;
    }
    if (type === 'flow-map-start' || type === 'flow-seq-start') open.push({ map: type === 'flow-map-start', key: false, ind: false, value: false });
    else if (type === 'map-value-ind' && top) {
      if (!top.map) return false;
      top.ind = true;
    } else if (type === 'comma' && top?.map) {
      if (entryLacksValue(top)) return false;
      top.key = top.ind = top.value = false;
    } else if (type === 'flow-map-end' || type === 'flow-seq-end') {
      const closed = open.pop();
      if (closed?.map && entryLacksValue(closed)) return false;
    }
  }
  return true;
}

const BLANK_LINE = /^(?: *(?:#.*)?|---(?: +#.*| *))$/;

/** A document of blank lines, comments and `---` markers only (its value is null). */
function isBlankDocument(text: string): boolean {
  return text.split('\n').every((line) => BLANK_LINE.test(line));
}

/** Whether a line starts with `%` (what /^%/m says, without a regex pass over a large text). */
function hasDirective(text: string): boolean {
  if (!text.includes('%')) return false;
  return text.startsWith('%') || text.includes('\n%') || text.includes('\r%') || text.includes('\u2028%') || text.includes('\u2029%');
}

/** Adds the resources of one parsed document (or a finding saying why it is none). */
function addDocument(
  value: unknown, chunk: DocChunk, startLine: number, locate: (pointer: string) => number | null,
  file: string, opts: ParseOptions, out: ParsedManifests,
): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'object' || Array.isArray(value)) {
    out.findings.push(yamlFinding(file, startLine, 'document is not a mapping; expected a Kubernetes object'));
    return;
  }
  const obj = value as Record<string, unknown>;
  if (isToolConfig(obj)) return;
  const ignoredRules = ignoredRulesIn(chunk.text);
  const isList = obj.kind === 'List' && Array.isArray(obj.items);
  const items = isList ? (obj.items as unknown[]) : [obj];
  items.forEach((item, i) => {
    const prefix = isList ? `/items/${i}` : '';
    const id = item && typeof item === 'object' && !Array.isArray(item) ? identityOf(item as Record<string, unknown>) : null;
    if (!id || id.kind === '' || id.apiVersion === '') {
      if (opts.requireIdentity) {
        const line = prefix ? (locate(prefix) ?? startLine) : startLine;
        out.findings.push(identityFinding(file, line, item));
      }
      return;
    }
    out.resources.push({
      id,
      object: item as Record<string, unknown>,
      source: { file, line: startLine, locate: (pointer: string) => locate(prefix + pointer), ignoredRules },
    });
  });
}

function identityFinding(file: string, line: number, item: unknown): Finding {
  const obj = item && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : null;
  const missing = !obj
    ? 'is not a mapping'
    : [typeof obj.apiVersion === 'string' && obj.apiVersion !== '' ? null : 'apiVersion', typeof obj.kind === 'string' && obj.kind !== '' ? null : 'kind']
        .filter(Boolean)
        .join(' and ')
        .replace(/^(.+)$/, 'has no $1');
  return {
    severity: 'error', rule: 'missing-kind', file, line, resource: null,
    message: `document ${missing}: every document in a plain app must be a Kubernetes object (apiVersion and kind)`,
  };
}

/** The careful parser, within its size bound; past it, the fast parser's error stands. */
function parseGuarded(chunk: DocChunk, file: string, opts: ParseOptions, out: ParsedManifests, fastError: unknown): void {
  if (chunk.text.length <= MAX_GUARDED_DOC_BYTES) {
    parseChunkSlow(chunk, file, opts, out);
    return;
  }
  const size = mib(chunk.text.length);
  if (fastError instanceof jsyaml.YAMLException) {
    const line = fastError.mark ? fastError.mark.line + 1 + chunk.lineOffset : contentLine(chunk);
    out.findings.push(yamlFinding(file, line, `invalid YAML: ${fastError.reason}`));
  } else {
    out.findings.push(yamlFinding(file, contentLine(chunk), `a ${size} document with YAML aliases: Ferry reads those up to ${mib(MAX_GUARDED_DOC_BYTES)} per document`));
  }
}

/**
 * The careful parser for one chunk: positions for every node, bounded aliases, and
 * duplicate keys reported with the line of each (the last one wins, as in kubectl).
 */
function parseChunkSlow(chunk: DocChunk, file: string, opts: ParseOptions, out: ParsedManifests): void {
  const lc = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(chunk.text, { ...GO_YAML, lineCounter: lc, uniqueKeys: false, prettyErrors: false, logLevel: 'error' }) as Document.Parsed[];
  } catch (err) {
    out.findings.push(yamlFinding(file, null, `cannot parse YAML: ${(err as Error).message}`));
    return;
  }
  if (!Array.isArray(docs)) docs = [docs as unknown as Document.Parsed];
  const at = (offset: number) => lc.linePos(offset).line + chunk.lineOffset;
  // Errors at end of input are reported on the line after the last; point at the last.
  const lastLine = Math.max(1, lc.linePos(Math.max(0, chunk.text.replace(/\n+$/, '').length - 1)).line) + chunk.lineOffset;
  let prevEnd = 0;
  for (const doc of docs) {
    const docEnd = doc.range?.[2] ?? chunk.text.length;
    const docChunk: DocChunk = { text: chunk.text.slice(prevEnd, docEnd), lineOffset: chunk.lineOffset };
    prevEnd = docEnd;
    if (doc.errors.length) {
      for (const e of doc.errors.slice(0, 3)) {
        const line = Math.min(lastLine, (e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line) + chunk.lineOffset);
        out.findings.push(yamlFinding(file, line, `invalid YAML: ${e.message.split('\n')[0]}`));
      }
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (err) {
      const line = doc.contents?.range ? at(doc.contents.range[0]) : null;
      const msg = (err as Error).message;
      out.findings.push(
        yamlFinding(file, line, /alias/i.test(msg) ? `too many YAML aliases (limit ${MAX_ALIASES}): refusing a possible alias bomb` : `invalid YAML: ${msg}`),
      );
      continue;
    }
    const resourceName = value && typeof value === 'object' && !Array.isArray(value) ? identityOf(value as Record<string, unknown>) : null;
    for (const d of duplicateKeys(doc.contents, lc)) {
      out.findings.push({
        severity: 'warning', rule: 'duplicate-key', file, line: d.second + chunk.lineOffset,
        resource: resourceName ? resourceLabel(resourceName) : null,
        message: `key "${d.key}" appears twice (lines ${d.first + chunk.lineOffset} and ${d.second + chunk.lineOffset}): kubectl's default strict field validation rejects the object; without it, the last one is used`,
      });
    }
    const startLine = doc.contents?.range ? at(doc.contents.range[0]) : chunk.lineOffset + 1;
    const locate = (pointer: string) => {
      const l = locateIn(doc, lc, pointer);
      return l === null ? null : l + chunk.lineOffset;
    };
    addDocument(value, docChunk, startLine, locate, file, opts, out);
  }
}

/** Duplicate keys in every mapping of a document, with the lines of both occurrences. */
export function duplicateKeys(root: unknown, lc: LineCounter): { key: string; first: number; second: number }[] {
  const found: { key: string; first: number; second: number }[] = [];
  const stack: unknown[] = [root];
  const seenNodes = new Set<unknown>();
  while (stack.length && found.length < 20) {
    const node = stack.pop();
    // Aliased nodes are shared: visit each once.
    if (!node || typeof node !== 'object' || seenNodes.has(node)) continue;
    seenNodes.add(node);
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const k = pair.key as Node | null;
        const key = k && 'value' in k ? String((k as { value: unknown }).value) : String(k);
        const line = k?.range ? lc.linePos(k.range[0]).line : 0;
        const first = seen.get(key);
        if (first !== undefined) found.push({ key, first, second: line });
        else seen.set(key, line);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return found;
}

/**
 * One small YAML document (a kustomization) as a value: the fast parser, with the
 * guarded one for aliases (bounded) and for errors (its messages name the problem).
 * Throws like `yaml`'s parse.
 */
export function parseYamlValue(text: string): unknown {
  let loaded: { docs: unknown[]; aliased: boolean };
  try {
    loaded = loadFast(text);
  } catch {
    return guardedValue(text);
  }
  // More than one document: the guarded parser says so.
  return loaded.aliased || loaded.docs.length > 1 ? guardedValue(text) : loaded.docs[0];
}

/** True when a YAML or JSON file holds at least one Kubernetes object (apiVersion and kind). */
export function looksLikeManifest(text: string): boolean {
  if (!text.includes('apiVersion') || !text.includes('kind')) return false;
  // The common case needs no parse: both keys at the start of a line.
  if (/^apiVersion\s*:/m.test(text) && /^kind\s*:/m.test(text)) return true;
  // JSON, flow style, quoted keys, indented documents: parse and look.
  for (const chunk of splitDocuments(text)) {
    let value: unknown;
    try {
      const fast = loadFast(chunk.text);
      value = fast.aliased ? guardedValue(chunk.text) : fast.docs[0];
    } catch {
      continue;
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const o = value as Record<string, unknown>;
      if (typeof o.apiVersion === 'string' && typeof o.kind === 'string') return true;
      if (Array.isArray(o.items) && o.items.some((i) => i && typeof i === 'object' && typeof (i as Record<string, unknown>).kind === 'string')) return true;
    }
  }
  return false;
}

/**
 * A renderer's output read document by document with the block-style parser, or null
 * when it declines any of them (js-yaml then reads the whole stream, as before). Each
 * document it accepts starts at a marker and holds no other, so js-yaml's reading of the
 * stream gives the same values in the same order.
 */
export function loadBlockDocuments(text: string): { docs: unknown[]; aliased: false } | null {
  const docs: unknown[] = [];
  for (const chunk of splitDocuments(text)) {
    const value = loadBlockDocument(chunk.text);
    if (value === UNSUPPORTED) return null;
    docs.push(value);
  }
  return { docs, aliased: false };
}

/**
 * Parses a renderer's output. Renderers emit plain expanded YAML, so the fast parser is
 * used; output whose documents share nodes (aliases) goes through the guarded parser.
 */
export function parseRenderedObjects(text: string): Record<string, unknown>[] {
  let { docs, aliased } = loadBlockDocuments(text) ?? loadFast(text);
  if (aliased) {
    // Only the documents with aliases pay for the guarded parser.
    docs = [];
    for (const chunk of splitDocuments(text)) {
      const fast = loadFast(chunk.text);
      if (!fast.aliased) {
        append(docs, fast.docs);
        continue;
      }
      for (const d of guardedDocuments(chunk.text)) {
        if ('errors' in d && d.errors.length) throw new Error(d.errors[0]!.message);
        docs.push(d.toJS({ maxAliasCount: MAX_ALIASES }));
      }
    }
  }
  const out: Record<string, unknown>[] = [];
  for (const d of docs) {
    if (!d || typeof d !== 'object' || Array.isArray(d)) continue;
    const obj = d as Record<string, unknown>;
    if (obj.kind === 'List' && Array.isArray(obj.items)) {
      for (const it of obj.items) if (it && typeof it === 'object') out.push(it as Record<string, unknown>);
    } else out.push(obj);
  }
  return out;
}
