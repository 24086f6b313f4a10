/**
 * Secret masking. Values are replaced before anything is diffed or printed, so no output
 * format can show one. A changed value is shown as `*** (before)` → `*** (after)`, an
 * unchanged one as `***` on both sides: reviewers see which keys changed, never what to.
 */

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function isSecret(obj: Record<string, unknown> | undefined): boolean {
  return !!obj && obj.kind === 'Secret' && typeof obj.apiVersion === 'string' && obj.apiVersion === 'v1';
}

/** `stringData` is written into `data` by the API server; compare both as one map. */
function secretValues(obj: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const data = obj.data;
  if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) out.set(k, Buffer.from(String(v ?? ''), 'base64').toString('base64'));
  }
  const sd = obj.stringData;
  if (sd && typeof sd === 'object') {
    for (const [k, v] of Object.entries(sd)) out.set(k, Buffer.from(String(v ?? ''), 'utf8').toString('base64'));
  }
  return out;
}

function maskedCopy(obj: Record<string, unknown>, values: Map<string, string>, marker: (key: string) => string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...obj };
  delete copy.stringData;
  if (values.size || 'data' in obj || 'stringData' in obj) {
    const data: Record<string, string> = {};
    for (const key of [...values.keys()].sort()) data[key] = marker(key);
    copy.data = data;
  }
  const meta = obj.metadata as Record<string, unknown> | undefined;
  const ann = meta?.annotations as Record<string, unknown> | undefined;
  if (ann && LAST_APPLIED in ann) {
    copy.metadata = { ...meta, annotations: { ...ann, [LAST_APPLIED]: '***' } };
  }
  return copy;
}

/** Masks a base/head pair of the same resource (either side may be absent). */
export function maskPair(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): [Record<string, unknown> | undefined, Record<string, unknown> | undefined] {
  if (!isSecret(before) && !isSecret(after)) return [before, after];
  const bv = before && isSecret(before) ? secretValues(before) : new Map<string, string>();
  const av = after && isSecret(after) ? secretValues(after) : new Map<string, string>();
  const changed = (k: string) => bv.has(k) && av.has(k) && bv.get(k) !== av.get(k);
  return [
    before && isSecret(before) ? maskedCopy(before, bv, (k) => (changed(k) ? '*** (before)' : '***')) : before,
    after && isSecret(after) ? maskedCopy(after, av, (k) => (changed(k) ? '*** (after)' : '***')) : after,
  ];
}

/** Masks a single resource for display on its own (validation messages, JSON output). */
export function maskOne(obj: Record<string, unknown>): Record<string, unknown> {
  return maskPair(obj, undefined)[0]!;
}

/**
 * Values shorter than this are not masked in free text: replacing every `a` or `1` in a
 * message would make it unreadable, and a one- or two-character secret is no secret.
 */
export const MIN_MASKED_LENGTH = 3;
export const MASK = '***';

/**
 * The strings a Secret's `data`/`stringData` values can appear as in a message: as
 * written, and for `data` also decoded when the value is valid base64.
 */
export function secretStrings(obj: Record<string, unknown>): string[] {
  if (!isSecret(obj)) return [];
  const out: string[] = [];
  for (const key of ['data', 'stringData'] as const) {
    const map = obj[key];
    if (!map || typeof map !== 'object') continue;
    for (const v of Object.values(map)) {
      if (v === null || v === undefined || typeof v === 'object') continue;
      const s = String(v);
      out.push(s);
      if (key === 'data') out.push(...decodedForms(s));
    }
  }
  return out;
}

/** A base64 value decoded, when it really was base64 and decodes to text. */
export function decodedForms(value: string): string[] {
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 !== 0) return [];
  const text = Buffer.from(compact, 'base64').toString('utf8');
  return text.includes('\uFFFD') ? [] : [text];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Replaces every occurrence of the given values in free text (a validation message, a
 * renderer's stderr) with `***`: as written, JSON-escaped, and each line of a multi-line
 * value (and each run between undecodable bytes) on its own. A quoted excerpt cut short with `...` (how validation messages show a
 * long value) is masked when it begins a value. Values under MIN_MASKED_LENGTH stay.
 */
export function maskValues(text: string, values: Iterable<string>): string {
  const forms = new Set<string>();
  for (const v of values) {
    // Lines, and runs between undecodable bytes, are masked on their own: tools quote them so.
    for (const f of [v, JSON.stringify(v).slice(1, -1), ...v.split(/\r?\n|\uFFFD/)]) {
      const t = f.trim();
      if (t.length >= MIN_MASKED_LENGTH) forms.add(t);
    }
  }
  if (forms.size === 0) return text;
  // Longest first, so a value containing another is masked whole.
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  let out = text.replace(/"((?:[^"\\]|\\.){3,})\.\.\."/g, (m, excerpt: string) =>
    sorted.some((f) => f.startsWith(excerpt)) ? `"${MASK}"` : m,
  );
  // One alternation, not one pass per value: a Secret can have thousands of keys.
  const CHUNK = 500;
  for (let i = 0; i < sorted.length; i += CHUNK) {
    out = out.replace(new RegExp(sorted.slice(i, i + CHUNK).map(escapeRegExp).join('|'), 'g'), MASK);
  }
  return out;
}
