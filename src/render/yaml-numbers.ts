import jsyaml from 'js-yaml';
import type { ScalarTag, Tags } from 'yaml';

/**
 * Numbers as the tools that apply the manifests read a plain scalar: kustomize (go-yaml
 * v3), kubectl and Argo CD (sigs.k8s.io/yaml) and helm reading values files all resolve
 * `0644` as octal 420, `1_000` as 1000 and `0O10` as 8, where YAML 1.2 core reads 644 and
 * two strings. Ferry's three parsers (block-yaml.ts, js-yaml, the `yaml` package) all use
 * this one rule, so a diff shows what the cluster gets and helm gets the value it would.
 *
 * The rule is go-yaml v3's resolution of a plain scalar starting with a digit, a sign or
 * `.`, checked against `kubectl kustomize` in test/render/yaml-numbers.test.ts:
 * - `.`: Go's ParseFloat of the text (`.5`, `.5_0`; `._5` is a string);
 * - a digit or sign: underscores dropped, then Go's ParseInt(s, 0, 64) (`0x`, `0o`, `0b`
 *   prefixes, any case; a leading `0` alone is octal, so `08` fails here), ParseUint
 *   (up to 2^64 - 1), a decimal float (`08` is 8, `0755.5` 755.5, `1e400` a string), then
 *   go-yaml's own `0b` / `0o` forms with the sign after the prefix (`0o-10` is -8).
 * null, booleans, `.inf` and `.nan` are as YAML 1.2 core (go-yaml v3 agrees).
 */

const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
/** The common case, an exact JS number: no prefix, no leading zero, no underscore. */
const PLAIN_DECIMAL = /^[-+]?(?:0|[1-9][0-9]{0,14})$/;
const DIGITS: Record<number, RegExp> = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ };
const RADIX_PREFIX: Record<number, string> = { 2: '0b', 8: '0o', 10: '', 16: '0x' };
/** go-yaml's yamlStyleFloat, tried on the text without underscores. */
const YAML_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** A text starting with `.` that Go's ParseFloat takes: underscores only between digits. */
const DOT_FLOAT = /^\.[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+(?:_[0-9]+)*)?$/;
const INF_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** More significant digits than any base needs for 2^64: past it, a value only overflows. */
const MAX_DIGITS = 65;

/** Go's digits-only parse in one base: no sign, no prefix. */
function digits(s: string, radix: number): bigint | undefined {
  if (!DIGITS[radix]!.test(s)) return undefined;
  // A PR's 10 MB scalar of digits would cost BigInt seconds of CPU for a value that overflows anyway.
  if (s.length > MAX_DIGITS) {
    let lead = 0;
    while (lead < s.length && s.charCodeAt(lead) === 0x30) lead++;
    if (s.length - lead > MAX_DIGITS) return UINT64_MAX + 1n;
    s = s.slice(lead) || '0';
  }
  return BigInt(RADIX_PREFIX[radix] + s);
}

/** Go's strconv.ParseUint(s, base 0) without its range check: a prefix picks the base, a lone leading 0 is octal. */
function uintBase0(s: string): bigint | undefined {
  if (s === '') return undefined;
  if (s.charCodeAt(0) !== 0x30) return digits(s, 10);
  if (s.length >= 3) {
    const p = s.charCodeAt(1) | 0x20;
    if (p === 0x62) return digits(s.slice(2), 2);
    if (p === 0x6f) return digits(s.slice(2), 8);
    if (p === 0x78) return digits(s.slice(2), 16);
  }
  return s.length === 1 ? 0n : digits(s.slice(1), 8);
}

/** Go's strconv.ParseInt(s, radix, 64): an optional sign, then digits (radix 0: uintBase0). */
function int64(s: string, radix: number): bigint | undefined {
  const c = s.charCodeAt(0);
  const neg = c === 0x2d;
  const body = neg || c === 0x2b ? s.slice(1) : s;
  const u = radix === 0 ? uintBase0(body) : body === '' ? undefined : digits(body, radix);
  if (u === undefined) return undefined;
  if (neg ? u > INT64_MAX + 1n : u > INT64_MAX) return undefined;
  return neg ? -u : u;
}

function uint64(s: string, radix: number): bigint | undefined {
  const u = radix === 0 ? uintBase0(s) : s === '' ? undefined : digits(s, radix);
  return u !== undefined && u <= UINT64_MAX ? u : undefined;
}

/** The integer go-yaml reads `s` as, or undefined when it reads a float, a string or anything else. */
export function goInt(s: string): number | undefined {
  if (PLAIN_DECIMAL.test(s)) return Number(s) || 0;
  const c = s.charCodeAt(0);
  if (!((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d)) return undefined;
  const plain = s.includes('_') ? s.replace(/_/g, '') : s;
  let v = int64(plain, 0);
  if (v === undefined) v = uint64(plain, 0);
  if (v !== undefined) return Number(v);
  if (YAML_FLOAT.test(plain)) return undefined;
  // go-yaml's own `0b` and `0o` forms, read after Go's: the sign may follow the prefix.
  for (const [prefix, radix] of [['0b', 2], ['0o', 8]] as const) {
    if (plain.startsWith(prefix)) {
      v = int64(plain.slice(2), radix) ?? uint64(plain.slice(2), radix);
      if (v !== undefined) return Number(v);
    } else if (plain.startsWith(`-${prefix}`)) {
      v = int64(`-${plain.slice(3)}`, radix);
      if (v !== undefined) return Number(v);
    }
  }
  return undefined;
}

/** The float go-yaml reads `s` as, when it reads no integer (goInt first), or undefined. */
export function goFloat(s: string): number | undefined {
  const c = s.charCodeAt(0);
  if (c === 0x2e || c === 0x2b || c === 0x2d) {
    if (INF_NAN.test(s)) return s.charCodeAt(1) === 0x6e || s.charCodeAt(1) === 0x4e ? NaN : c === 0x2d ? -Infinity : Infinity;
  }
  let text: string;
  if (c === 0x2e) {
    if (!DOT_FLOAT.test(s)) return undefined;
    text = s;
  } else if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d) {
    text = s;
  } else return undefined;
  const plain = text.includes('_') ? text.replace(/_/g, '') : text;
  if (c !== 0x2e && !YAML_FLOAT.test(plain)) return undefined;
  const n = Number(plain);
  // Go's ParseFloat refuses a number past the float64 range: go-yaml keeps the text.
  return Number.isFinite(n) ? n : undefined;
}

/** The number go-yaml reads a plain scalar as, or undefined when it is not one. */
export function goNumber(s: string): number | undefined {
  return goInt(s) ?? goFloat(s);
}

/** A float with nothing for go-yaml to read otherwise (no leading zero, prefix or underscore). */
const PLAIN_FLOAT = /^[-+]?(?:0|[1-9][0-9]*)\.[0-9]*(?:[eE][-+]?[0-9]+)?$/;

// js-yaml tries the int type, then the float type, then constructs with the one that
// resolved: one reading per scalar, kept for the next call on the same text.
let lastText: string | null = null;
let lastValue: number | undefined;
let lastIsInt = false;
function reading(s: string): void {
  if (s === lastText) return;
  lastText = s;
  if (PLAIN_DECIMAL.test(s)) {
    lastValue = Number(s) || 0;
    lastIsInt = true;
  } else if (PLAIN_FLOAT.test(s)) {
    lastValue = Number(s);
    lastIsInt = false;
    if (!Number.isFinite(lastValue)) lastValue = undefined;
  } else {
    lastValue = goInt(s);
    lastIsInt = lastValue !== undefined;
    if (!lastIsInt) lastValue = goFloat(s);
  }
}

// js-yaml exports its types at runtime; @types/js-yaml does not declare them.
const TYPES = (jsyaml as unknown as { types: Record<'null' | 'bool' | 'int' | 'float', jsyaml.Type> }).types;
const coreInt = TYPES.int as unknown as jsyaml.TypeConstructorOptions;
const coreFloat = TYPES.float as unknown as jsyaml.TypeConstructorOptions;

/** A js-yaml scalar type reading go-yaml's numbers; `accepts` says whether the last reading is its kind. */
function goType(tag: string, core: jsyaml.TypeConstructorOptions, accepts: () => boolean): jsyaml.Type {
  return new jsyaml.Type(tag, {
    kind: 'scalar',
    resolve: (data: unknown) => {
      if (data === null) return false;
      reading(String(data));
      return accepts();
    },
    construct: (data: string) => {
      reading(data);
      return lastValue;
    },
    predicate: core.predicate,
    represent: core.represent,
    defaultStyle: core.defaultStyle,
  });
}

const GO_INT = goType('tag:yaml.org,2002:int', coreInt, () => lastIsInt);
// An explicit `!!float 1` is a number too; implicitly the int type is tried first.
const GO_FLOAT = goType('tag:yaml.org,2002:float', coreFloat, () => lastValue !== undefined);

/** js-yaml's CORE_SCHEMA with go-yaml's numbers: for every js-yaml load of manifests and values. */
export const GO_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({ implicit: [TYPES.null, TYPES.bool, GO_INT, GO_FLOAT] });

/**
 * A RegExp whose test is a function: the `yaml` package picks a scalar's tag by
 * `tag.test.test(text)` and accepts only a RegExp in its types.
 */
class FnTest extends RegExp {
  constructor(private readonly fn: (s: string) => boolean) {
    super('(?:)');
  }
  override test(s: string): boolean {
    return this.fn(s);
  }
}

/**
 * The `yaml` package's core tags with its int and float resolution replaced by go-yaml's
 * (`.inf` / `.nan` kept: the same texts). Pass as `customTags` (see GO_YAML).
 */
function goTags(tags: Tags): Tags {
  const scalar = (t: Tags[number]) => (typeof t === 'object' && 'tag' in t ? (t as ScalarTag) : null);
  const numeric = (t: ScalarTag | null) => t?.tag === 'tag:yaml.org,2002:int' || t?.tag === 'tag:yaml.org,2002:float';
  const isInfNan = (t: ScalarTag | null) => t?.tag === 'tag:yaml.org,2002:float' && !!t.test?.source.includes('inf');
  const int = tags.map(scalar).find((t) => t?.tag === 'tag:yaml.org,2002:int' && !t.format);
  const float = tags.map(scalar).find((t) => t?.tag === 'tag:yaml.org,2002:float' && !t.format && !isInfNan(t));
  if (!int || !float) throw new Error('yaml: core int and float tags not found');
  const kept = tags.filter((t) => !numeric(scalar(t)) || isInfNan(scalar(t)));
  // `yaml` asks for the tags once per document, with a new list of the same tag objects.
  let go = goNumberTags.get(int);
  if (!go || go.float !== float) {
    go = {
      float,
      int: { ...int, test: new FnTest((s) => goInt(s) !== undefined), resolve: (s) => goInt(s) ?? s },
      floats: { ...float, test: new FnTest((s) => goFloat(s) !== undefined), resolve: (s) => goNumber(s) ?? s },
    };
    goNumberTags.set(int, go);
  }
  return [...kept, go.int, go.floats];
}

/** go-yaml's int and float tags, made once per pair of the `yaml` package's own. */
const goNumberTags = new WeakMap<ScalarTag, { float: ScalarTag; int: ScalarTag; floats: ScalarTag }>();

/** Options for every `yaml` parse (and stringify read back) of manifests and values. */
export const GO_YAML = { customTags: goTags } as const;

const V2_TRUE = /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const V2_BOOL = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;

/**
 * Values text that Go reads with sigs.k8s.io/yaml (go-yaml v2's YAML 1.1 booleans): helm
 * reading a values file, helm-controller reading a `valuesFrom` key, source-controller
 * merging a chart's `valuesFiles`. There `yes`, `on` and `y` are true and `no`, `off` and `n`
 * false, where kustomize (go-yaml v3) keeps them strings; a key such as `on:` becomes
 * "true". Numbers as GO_YAML. Manifests stay GO_YAML: what reaches the cluster went
 * through kustomize or the API server's JSON.
 */
export const GO_VALUES_YAML = {
  customTags: (tags: Tags): Tags => {
    const bool = (t: Tags[number]) => typeof t === 'object' && 'tag' in t && (t as ScalarTag).tag === 'tag:yaml.org,2002:bool';
    const v2Bool: ScalarTag = { tag: 'tag:yaml.org,2002:bool', default: true, test: V2_BOOL, resolve: (s) => V2_TRUE.test(s) };
    return [v2Bool, ...goTags(tags).filter((t) => !bool(t))];
  },
} as const;

/**
 * For YAML Ferry shows (diffs): js-yaml's default schema, which quotes `'2002-12-14'` and
 * `'yes'`, plus go-yaml's numbers, so a string such as `'1_000'` is quoted too and reads
 * back, in any of the tools, as the string it is.
 */
export const DUMP_SCHEMA = jsyaml.DEFAULT_SCHEMA.extend({ implicit: [GO_INT, GO_FLOAT] });
