import { LineCounter, parseAllDocuments } from 'yaml';

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
  const docs = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, logLevel: 'error' });
  const objects: Record<string, unknown>[] = [];
  const duplicates: DuplicateKey[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const other = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
    if (other) throw new Error(other.message);
    for (const e of doc.errors) duplicates.push({ key: keyAt(text, e.pos[0]), line: lc.linePos(e.pos[0]).line });
    const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIASES });
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    const obj = value as Record<string, unknown>;
    if (obj.kind === 'List' && Array.isArray(obj.items)) {
      for (const it of obj.items) if (it && typeof it === 'object') objects.push(it as Record<string, unknown>);
    } else objects.push(obj);
  }
  return { objects, duplicates };
}

/** The key written at `pos`, up to its colon (bounded: this is renderer output from PR content). */
function keyAt(text: string, pos: number): string {
  const rest = text.slice(pos, pos + 200).split('\n')[0]!;
  const colon = rest.search(/:(\s|$)/);
  const key = (colon < 0 ? rest : rest.slice(0, colon)).trim();
  return key.replace(/^(["'])(.*)\1$/, '$2');
}
