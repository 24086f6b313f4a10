// Whether a Kustomize patch's `target` selects a resource. Each answer is true, false,
// or null when the selector uses something this module does not evaluate: the caller
// then does not claim the patch, so a guess never moves a finding to the wrong file.

/** Target fields Kustomize reads (names are anchored regular expressions). */
export interface PatchTarget {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

/** What a target is matched against: a field may have had more than one value over the build. */
export interface TargetSubject {
  group: string;
  version: string;
  kind: string;
  names: string[];
  namespaces: string[];
  /** Label and annotation sets the selector must match in every one (before and after the overlay). */
  labels: Record<string, string>[];
  annotations: Record<string, string>[];
}

const MAX_PATTERN = 256;

type Atom = { any: boolean; ch: string; star: boolean };

/**
 * Compiles the subset of regular expressions names use in practice: literal characters,
 * `.` and `*` (`web-.*`). Anything else is not evaluated. Matched by dynamic programming,
 * so a hostile pattern costs at most its length times the name's.
 */
function compile(pattern: string): Atom[] | null {
  if (pattern.length > MAX_PATTERN) return null;
  const atoms: Atom[] = [];
  for (const ch of pattern) {
    if (ch === '*') {
      const last = atoms[atoms.length - 1];
      if (!last || last.star) return null;
      last.star = true;
    } else if (/[\\^$+?()[\]{}|]/.test(ch)) return null;
    else atoms.push({ any: ch === '.', ch, star: false });
  }
  return atoms;
}

function matchAtoms(atoms: Atom[], s: string): boolean {
  // reach[j]: the first i atoms can match s[0..j).
  let reach = new Array<boolean>(s.length + 1).fill(false);
  reach[0] = true;
  for (const a of atoms) {
    const next = new Array<boolean>(s.length + 1).fill(false);
    for (let j = 0; j <= s.length; j++) {
      if (a.star && (reach[j] || (j > 0 && next[j - 1] && (a.any || s[j - 1] === a.ch)))) next[j] = true;
      if (!a.star && j > 0 && reach[j - 1] && (a.any || s[j - 1] === a.ch)) next[j] = true;
    }
    reach = next;
  }
  return reach[s.length]!;
}

/** An anchored match of a target field against any of the values; null when not evaluated. */
export function matchesPattern(pattern: string | undefined, values: string[]): boolean | null {
  if (pattern === undefined || pattern === '') return true;
  const atoms = compile(pattern);
  if (!atoms) return null;
  return values.some((v) => v.length <= MAX_PATTERN && matchAtoms(atoms, v));
}

type Requirement = { key: string; op: 'exists' | '!exists' | 'in' | 'notin'; values: string[] };

const KEY_RE = /^[A-Za-z0-9][-A-Za-z0-9_./]*$/;
const VALUE_RE = /^[-A-Za-z0-9_.]*$/;

/** Parses a label selector (`a=b,c!=d,e in (x,y),!f`); null when it cannot be read. */
export function parseSelector(text: string): Requirement[] | null {
  if (text.length > 1024) return null;
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  const reqs: Requirement[] = [];
  for (const raw of parts) {
    const p = raw.trim();
    if (p === '') continue;
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(p);
    if (set) {
      const values = set[3]!.split(',').map((v) => v.trim());
      if (!KEY_RE.test(set[1]!) || !values.every((v) => VALUE_RE.test(v))) return null;
      reqs.push({ key: set[1]!, op: set[2] as 'in' | 'notin', values });
      continue;
    }
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(p);
    if (eq) {
      if (!KEY_RE.test(eq[1]!) || !VALUE_RE.test(eq[3]!)) return null;
      reqs.push({ key: eq[1]!, op: eq[2] === '!=' ? 'notin' : 'in', values: [eq[3]!] });
      continue;
    }
    const exists = /^(!?)\s*([^=!\s(),]+)$/.exec(p);
    if (exists && KEY_RE.test(exists[2]!)) {
      reqs.push({ key: exists[2]!, op: exists[1] ? '!exists' : 'exists', values: [] });
      continue;
    }
    return null;
  }
  return reqs;
}

function satisfies(reqs: Requirement[], labels: Record<string, string>): boolean {
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? String(labels[r.key]) : undefined;
    switch (r.op) {
      case 'exists': return has;
      case '!exists': return !has;
      case 'in': return has && r.values.includes(v!);
      case 'notin': return !has || !r.values.includes(v!);
    }
  });
}

/**
 * A selector must match every given set: the labels as first written and as rendered.
 * An overlay may add labels after its patches ran, so a selector that only the rendered
 * labels satisfy is not claimed.
 */
function selects(selector: string | undefined, sets: Record<string, string>[]): boolean | null {
  if (selector === undefined || selector.trim() === '') return true;
  const reqs = parseSelector(selector);
  if (!reqs) return null;
  return sets.every((s) => satisfies(reqs, s));
}

export function targetMatches(t: PatchTarget, s: TargetSubject): boolean | null {
  const checks = [
    matchesPattern(t.group, [s.group]),
    matchesPattern(t.version, [s.version]),
    matchesPattern(t.kind, [s.kind]),
    matchesPattern(t.name, s.names),
    matchesPattern(t.namespace, s.namespaces),
    selects(t.labelSelector, s.labels),
    selects(t.annotationSelector, s.annotations),
  ];
  if (checks.includes(false)) return false;
  return checks.includes(null) ? null : true;
}
