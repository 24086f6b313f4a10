import { LineCounter, parseAllDocuments } from 'yaml';
import { mib } from '../workspace/limits.js';
import { duplicateKeys, MAX_GUARDED_DOC_BYTES } from './manifests.js';
import { GO_YAML } from './yaml-numbers.js';

const MAX_ALIASES = 100;
const DUPLICATE_RE = /duplicated mapping key|Map keys must be unique/;

/** Whether a parser's error is about a key repeated in one mapping (and nothing worse). */
export function isDuplicateKeyError(err: unknown): boolean {
  return err instanceof Error && DUPLICATE_RE.test(err.message);
}

export interface DuplicateKey {
  key: string;
  /** 1-based line in the parsed text. */
  line: number;
}

/**
 * Parses renderer output whose mappings repeat a key, keeping the last value as the API
 * server and kubectl do, and says where each repeat is. Any other YAML error throws.
 */
export function parseKeepingLastKey(text: string): { objects: Record<string, unknown>[]; duplicates: DuplicateKey[] } {
  const lc = new LineCounter();
  if (text.length > MAX_GUARDED_DOC_BYTES) throw new Error(`${mib(text.length)} of output repeats keys: Ferry re-reads such output up to ${mib(MAX_GUARDED_DOC_BYTES)}`);
  const docs = parseAllDocuments(text, { ...GO_YAML, lineCounter: lc, uniqueKeys: false, prettyErrors: false, logLevel: 'error' });
  const objects: Record<string, unknown>[] = [];
  const duplicates: DuplicateKey[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length) throw new Error(doc.errors[0]!.message);
    // The key as parsed, never a slice of the line: a flow mapping's line holds values (a Secret's).
    for (const d of duplicateKeys(doc.contents, lc)) duplicates.push({ key: d.key, line: d.second });
    const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIASES });
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    const obj = value as Record<string, unknown>;
    if (obj.kind === 'List' && Array.isArray(obj.items)) {
      for (const it of obj.items) if (it && typeof it === 'object') objects.push(it as Record<string, unknown>);
    } else objects.push(obj);
  }
  return { objects, duplicates };
}
