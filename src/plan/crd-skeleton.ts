import { parseDocument } from 'yaml';
import { MAX_GUARDED_DOC_BYTES, parseYamlValue } from '../render/manifests.js';
import type { CrdVersion } from '../validate/index.js';
import { detach } from '../util/detach.js';
import { GO_YAML } from '../render/yaml-numbers.js';
import { isRecord } from '../util/is-record.js';

/**
 * A CRD file without its schemas. Most of a CRD's bytes are its versions' schemas, and
 * a repository's CRDs are needed up front only for what they define (group, kinds,
 * versions, served): each schema is parsed when a resource of its kind is validated,
 * which for most CRDs of a repository (install bundles, copies per cluster) is never.
 *
 * Each block-style `schema:` or `validation:` key with a block below it becomes
 * `key: ferry-elided-N` and block N is kept as text (a slice: no copy). The cut follows
 * indentation only; text it cannot cut cleanly (tabs in indentation, a schema written
 * in flow style) stays, and a skeleton that does not parse is dropped by the caller for
 * the whole text.
 */
const KEY_RE = /^( *)(- +)?(schema|validation):[ \t]*(#.*)?$/;
const PLACEHOLDER_RE = /^ferry-elided-(\d+)$/;

export interface Skeleton {
  text: string;
  blocks: string[];
}

export function elideSchemas(text: string): Skeleton {
  const parts: string[] = [];
  const blocks: string[] = [];
  const n = text.length;
  const indentAt = (at: number) => {
    let p = at;
    while (text.charCodeAt(p) === 0x20) p++;
    return p;
  };
  let copied = 0;
  for (let pos = 0; pos < n; ) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = n;
    let key = indentAt(pos);
    if (text.charCodeAt(key) === 0x2d /* - */ && text.charCodeAt(key + 1) === 0x20) key = indentAt(key + 1);
    const c = text.charCodeAt(key);
    // Only lines that can be such a key pay for the regex; the block below pays per line for its indentation.
    const m = (c === 0x73 || c === 0x76) && (text.startsWith('schema:', key) || text.startsWith('validation:', key)) ? KEY_RE.exec(text.slice(pos, text.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl)) : null;
    if (!m) {
      pos = nl + 1;
      continue;
    }
    const col = key - pos;
    let last = nl;
    let clean = true;
    let q = nl + 1;
    while (q < n) {
      let e = text.indexOf('\n', q);
      if (e < 0) e = n;
      const r = indentAt(q);
      if (r === e || (r + 1 === e && text.charCodeAt(r) === 0x0d)) {
        q = e + 1;
        continue;
      }
      if (r - q <= col) break;
      if (text.charCodeAt(r) === 0x09) clean = false;
      last = e;
      q = e + 1;
    }
    if (clean && last > nl) {
      parts.push(text.slice(copied, pos), `${text.slice(pos, key)}${m[3]}: ferry-elided-${blocks.length}`);
      // Parsed on its own, as a mapping indented as it was.
      blocks.push(`${' '.repeat(col)}${m[3]}:\n${text.slice(nl + 1, last)}`);
      copied = last;
    }
    // A block left whole is not looked into: a key-like line in it is text of its own.
    pos = last + 1;
  }
  parts.push(text.slice(copied));
  return { text: parts.join(''), blocks };
}

const ELIDED = Symbol('elided');
type Elided = { [ELIDED]: { block: string; key: 'schema' | 'validation' } };

/**
 * Puts markers where a CRD object from a skeleton has placeholders, so that
 * crdSchemasFromObjects reads it as a CRD with schemas; `withLazySchema` then turns the
 * marker a version got into a schema parsed on first use.
 */
export function markElided(obj: Record<string, unknown>, blocks: string[]): void {
  const spec = obj.spec;
  if (!isRecord(spec)) return;
  const mark = (holder: Record<string, unknown>, key: 'schema' | 'validation') => {
    const v = holder[key];
    const m = typeof v === 'string' ? PLACEHOLDER_RE.exec(v) : null;
    const block = m ? blocks[Number(m[1])] : undefined;
    if (block !== undefined) holder[key] = { openAPIV3Schema: { [ELIDED]: { block, key } } satisfies Elided };
  };
  mark(spec, 'validation');
  if (Array.isArray(spec.versions)) for (const v of spec.versions) if (isRecord(v)) mark(v, 'schema');
}

/**
 * A schema block as the whole document's parse would have it: a repeated key keeps its
 * last value (as for source manifests); a block that does not parse has no schema.
 */
function parseBlock(block: string): unknown {
  try {
    return parseYamlValue(block);
  } catch {
    // Duplicate keys, and errors: the careful parser, within its bound, keeping the last value.
    if (block.length > MAX_GUARDED_DOC_BYTES) return null;
    try {
      const doc = parseDocument(block, { ...GO_YAML, uniqueKeys: false, logLevel: 'silent' });
      return doc.errors.length ? null : doc.toJS({ maxAliasCount: 100 });
    } catch {
      return null;
    }
  }
}

/** The version with its schema parsed on first read, when it came from a skeleton; otherwise null. */
export function withLazySchema(v: CrdVersion): CrdVersion | null {
  const marker = v.schema as Partial<Elided> | null;
  const elided = marker?.[ELIDED];
  if (!elided) return null;
  let schema: Record<string, unknown> | null | undefined;
  // The winner is kept across plans: its own copy of the text, not the file's.
  const block = detach(elided.block);
  const out = { ...v };
  Object.defineProperty(out, 'schema', {
    enumerable: true,
    get() {
      if (schema === undefined) {
        const parsed = parseBlock(block);
        const holder = isRecord(parsed) ? parsed[elided.key] : null;
        schema = isRecord(holder) && isRecord(holder.openAPIV3Schema) ? holder.openAPIV3Schema : null;
      }
      return schema;
    },
  });
  return out;
}
