import jsyaml from 'js-yaml';
import { isMap, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { Finding, Resource, ResourceId } from '../types.js';

/** Source manifests larger than this are refused with a finding instead of parsed. */
export const MAX_MANIFEST_BYTES = 10 * 1024 * 1024;
const MAX_ALIASES = 100;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function yamlFinding(file: string, line: number | null, message: string): Finding {
  return { severity: 'error', rule: 'yaml-error', message, file, line, resource: null };
}

/** Decodes a file as UTF-8 or explains why it cannot be read. */
export function decodeManifest(buf: Buffer, file: string): { text: string } | { finding: Finding } {
  if (buf.length > MAX_MANIFEST_BYTES) {
    const mb = (buf.length / 1024 / 1024).toFixed(1);
    return {
      finding: yamlFinding(file, null, `file is ${mb} MB; Ferry reads manifests up to ${MAX_MANIFEST_BYTES / 1024 / 1024} MB`),
    };
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
  const rules: string[] = [];
  for (const m of text.matchAll(IGNORE_RE)) {
    for (const r of (m[1] ?? '').split(/[,\s]+/)) if (r) rules.push(r);
  }
  return rules.length ? rules : undefined;
}

function pointerSegments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Line of the deepest node on the pointer's path that exists in the document. */
function locateIn(doc: Document, lc: LineCounter, pointer: string): number | null {
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

export interface ParsedManifests {
  resources: Resource[];
  findings: Finding[];
}

/**
 * Parses a source manifest with positions: every resource can be traced back to its
 * file and line. Non-Kubernetes documents (kustomization files, values) are skipped;
 * `kind: List` is expanded.
 */
export function parseSourceManifests(text: string, file: string): ParsedManifests {
  const lc = new LineCounter();
  const resources: Resource[] = [];
  const findings: Finding[] = [];
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, logLevel: 'error' }) as Document.Parsed[];
  } catch (err) {
    return { resources, findings: [yamlFinding(file, null, `cannot parse YAML: ${(err as Error).message}`)] };
  }
  if (!Array.isArray(docs)) docs = [docs as unknown as Document.Parsed];
  let prevEnd = 0;
  // Errors at end of input are reported on the line after the last; point at the last.
  const lastLine = Math.max(1, lc.linePos(Math.max(0, text.replace(/\n+$/, '').length - 1)).line);
  for (const doc of docs) {
    const docEnd = doc.range?.[2] ?? text.length;
    const docText = text.slice(prevEnd, docEnd);
    prevEnd = docEnd;
    if (doc.errors.length) {
      for (const e of doc.errors.slice(0, 3)) {
        const line = Math.min(lastLine, e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line);
        findings.push(yamlFinding(file, line, `invalid YAML: ${e.message.split('\n')[0]}`));
      }
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (err) {
      const line = doc.contents?.range ? lc.linePos(doc.contents.range[0]).line : null;
      const msg = (err as Error).message;
      findings.push(
        yamlFinding(file, line, /alias/i.test(msg) ? `too many YAML aliases (limit ${MAX_ALIASES}): refusing a possible alias bomb` : `invalid YAML: ${msg}`),
      );
      continue;
    }
    if (value === null || value === undefined) continue;
    const startLine = doc.contents?.range ? lc.linePos(doc.contents.range[0]).line : null;
    if (typeof value !== 'object' || Array.isArray(value)) {
      findings.push(yamlFinding(file, startLine, 'document is not a mapping; expected a Kubernetes object'));
      continue;
    }
    const obj = value as Record<string, unknown>;
    if (isToolConfig(obj)) continue;
    const ignoredRules = ignoredRulesIn(docText);
    const items = obj.kind === 'List' && Array.isArray(obj.items) ? (obj.items as unknown[]) : [obj];
    items.forEach((item, i) => {
      if (!item || typeof item !== 'object') return;
      const id = identityOf(item as Record<string, unknown>);
      if (!id) return;
      const prefix = items.length > 1 || obj.kind === 'List' ? `/items/${i}` : '';
      resources.push({
        id,
        object: item as Record<string, unknown>,
        source: {
          file,
          line: startLine,
          locate: (pointer: string) => locateIn(doc, lc, prefix + pointer),
          ignoredRules,
        },
      });
    });
  }
  return { resources, findings };
}

/** True when a YAML document can be a Kubernetes object (has both keys at top level). */
export function looksLikeManifest(text: string): boolean {
  return /^apiVersion\s*:/m.test(text) && /^kind\s*:/m.test(text);
}

const ALIAS_RE = /(^|[\s[{,:-])\*[^\s,\]}]+/m;

/**
 * Parses a renderer's output. Renderers emit plain expanded YAML, so the fast parser is
 * used; output that contains aliases goes through the guarded parser instead.
 */
export function parseRenderedObjects(text: string): Record<string, unknown>[] {
  let docs: unknown[];
  if (ALIAS_RE.test(text)) {
    docs = parseAllDocuments(text).map((d) => {
      if ('errors' in d && d.errors.length) throw new Error(d.errors[0]!.message);
      return d.toJS({ maxAliasCount: MAX_ALIASES });
    });
  } else {
    docs = jsyaml.loadAll(text);
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
