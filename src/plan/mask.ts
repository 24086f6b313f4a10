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
