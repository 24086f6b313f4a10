// JSON pointers (RFC 6901) for locating values, and the dotted form people read in messages.

export function escapeSegment(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}

export function pointerOf(segments: ReadonlyArray<string | number>): string {
  let out = '';
  for (const s of segments) out += '/' + (typeof s === 'number' ? String(s) : escapeSegment(s));
  return out;
}

export function segmentsOf(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => (s.includes('~') ? s.replace(/~1/g, '/').replace(/~0/g, '~') : s));
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** `/spec/template/spec/containers/0/image` → `spec.template.spec.containers[0].image`. */
export function displayPath(pointer: string): string {
  let out = '';
  for (const s of segmentsOf(pointer)) {
    if (/^\d+$/.test(s)) out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out === '' ? s : '.' + s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

export function valueAt(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const s of segmentsOf(pointer)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[s];
  }
  return cur;
}

/** A short rendering of a value for messages; long strings and structures are elided. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function distance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > cap) return cap + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known name a typo most likely meant, or null when nothing is close enough to help. */
export function suggest(unknown: string, known: Iterable<string>): string | null {
  const lower = unknown.toLowerCase();
  const cap = unknown.length <= 4 ? 1 : unknown.length <= 10 ? 2 : 3;
  let best: string | null = null;
  let bestD = cap + 1;
  for (const k of known) {
    const d = k.toLowerCase() === lower ? 0 : distance(unknown, k, cap);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

export function unknownFieldMessage(pointer: string, known: Iterable<string>): string {
  const segs = segmentsOf(pointer);
  const key = segs[segs.length - 1] ?? '';
  const hint = suggest(key, known);
  return `${displayPath(pointer)}: unknown field${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}`;
}
