// String formats as the Kubernetes API server reads them, where JSON Schema's (ajv-formats')
// reading differs. Every pattern here is linear: adjacent character classes are disjoint.

/** Go's time.ParseDuration: `300ms`, `1h30m`, `-1.5h`, `0`. */
const GO_DURATION = /^[-+]?(?:0|(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;

// kube-openapi (the API server's schema validator) also takes Scala-style durations such as
// `5 days` or `2w`: a number and a unit name, where a unit matches a short name exactly or
// starts with the long one (`minutes` for `min`).
const SCALA_DURATION = /^\s*(?:\d+\s*[A-Za-zµ]+\s*)+$/;
const SCALA_PART = /\d+\s*([A-Za-zµ]+)/g;
const UNITS: ReadonlyArray<readonly string[]> = [
  ['ns', 'nano'],
  ['us', 'µs', 'micro'],
  ['ms', 'milli'],
  ['s', 'sec'],
  ['m', 'min'],
  ['h', 'hr', 'hour'],
  ['d', 'day'],
  ['w', 'wk', 'week'],
];

function knownUnit(unit: string): boolean {
  const u = unit.toLowerCase();
  return UNITS.some((names) => names.some((n, i) => u === n || (i === names.length - 1 && u.startsWith(n))));
}

/** The `duration` format of CRD schemas, as the API server checks it. */
export function isDuration(s: string): boolean {
  if (GO_DURATION.test(s)) return true;
  if (s.length > 4096 || !SCALA_DURATION.test(s)) return false;
  for (const m of s.matchAll(SCALA_PART)) if (knownUnit(m[1]!)) return true;
  return false;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The `byte` format: standard padded base64, as Go's decoder reads it when the API server
 * decodes `[]byte` fields, which skips `\r` and `\n` (Kustomize wraps long values).
 */
export function isBase64(s: string): boolean {
  return BASE64.test(s.includes('\n') || s.includes('\r') ? s.replace(/[\r\n]/g, '') : s);
}
