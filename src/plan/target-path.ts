/**
 * A valuesFrom `targetPath`, as helm-controller sets it: it hands Helm's `--set` parser
 * (strvals) the text `<targetPath>=<value>` — ParseIntoString when the value is quoted
 * (the same quote at both ends, all outer quotes trimmed), ParseInto otherwise. The value
 * is not escaped first, so a comma in it starts another assignment (`a,b=c` sets the path
 * to `a` and `b` to `c`), and a trailing key without `=` fails the release. This module
 * reads the text as strvals does, rune by rune, with bounds strvals lacks (the text is
 * a pull request's).
 *
 * Numbers: strvals types an unquoted integer as int64, which a template prints as written.
 * They are kept here as BigInt, so the caller can hand them to helm as integers (a values
 * file would make them float64, printed `8.4729301e+07`).
 */

type Obj = Record<string, unknown>;

/** strvals' cap on a list index. */
const MAX_INDEX = 65536;
/** strvals' cap on nesting by `.` (MaxNestedNameLevel). */
const MAX_LEVELS = 30;
/** Ferry's cap on recursion of any kind (strvals has none for `a[0].b[0]…` or `a[0][0]…`). */
const MAX_DEPTH = 64;
/** Ferry's cap on list slots one targetPath may create (each index pads its list with nulls). */
const MAX_SLOTS = 4 * MAX_INDEX;
/** The HelmRelease CRD's validation of targetPath: the API server refuses anything else. */
const TARGET_PATH_RE = /^([a-zA-Z0-9_\-.\\/]|\[[0-9]{1,5}\])+$/;
const MAX_TARGET_PATH = 250;

/** What strvals (so helm-controller) fails on. */
class Refused extends Error {}
/** A bound of Ferry's own, past what any real release sets. */
class OverCap extends Refused {}
type Step = 'ok' | 'eof';

function isMap(v: unknown): v is Obj {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Sets an own property, whatever the key: helm accepts `--set __proto__=1`, which a plain
 * assignment would turn into a change of the object's prototype. `constructor` and
 * `prototype` are plain own keys; every read goes through Object.hasOwn first.
 */
export function setOwn(data: Obj, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(data, key, { value, enumerable: true, writable: true, configurable: true });
  else data[key] = value;
}

/** strvals' typing of an unquoted value: booleans, null, int64 (not with a leading 0), else the text. */
function typedValue(v: string): unknown {
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (v === '0') return 0n;
  if (v !== '' && v[0] !== '0' && /^[-+]?\d+$/.test(v)) {
    const n = BigInt(v);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return n;
  }
  return v;
}

class Parser {
  private readonly runes: string[];
  private at = 0;
  private depth = 0;
  private slots = 0;
  /** Every value set, for the caller's masking of Secret-sourced ones. */
  readonly assigned: unknown[] = [];

  constructor(text: string, private readonly asString: boolean, private readonly quiet: boolean) {
    this.runes = Array.from(text);
  }

  /** A key or index for a message: none of a Secret's text goes into one. */
  private shown(k: string): string {
    return this.quiet ? 'a key from the value' : `key ${JSON.stringify(k.slice(0, 100))}`;
  }

  private read(): string | null {
    return this.at < this.runes.length ? this.runes[this.at++]! : null;
  }

  /** Runes up to one of `stops` (a `\` takes the next rune as it is); `last` null at the end. */
  private until(stops: string): { text: string; last: string | null } {
    let text = '';
    for (;;) {
      const r = this.read();
      if (r === null) return { text, last: null };
      if (stops.includes(r)) return { text, last: r };
      if (r === '\\') {
        const next = this.read();
        if (next === null) return { text, last: null };
        text += next;
      } else text += r;
    }
  }

  private typed(v: string): unknown {
    return this.asString ? v : typedValue(v);
  }

  private set(data: Obj, key: string, value: unknown): void {
    if (key === '') return;
    setOwn(data, key, value);
    this.assigned.push(value);
  }

  private setIndex(list: unknown[], index: number, value: unknown): unknown[] {
    if (list.length <= index) {
      this.slots += index + 1 - list.length;
      if (this.slots > MAX_SLOTS) throw new OverCap(`list indexes that pad lists past ${MAX_SLOTS} items`);
      while (list.length <= index) list.push(null);
    }
    list[index] = value;
    this.assigned.push(value);
    return list;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new OverCap(`more than ${MAX_DEPTH} nested keys and indexes`);
  }

  parse(data: Obj): void {
    while (this.key(data, 0) === 'ok');
  }

  private keyIndex(): number {
    const { text, last } = this.until(']');
    if (last === null) throw new Refused('a list index without its `]`');
    if (!/^[-+]?\d+$/.test(text)) throw new Refused('a list index that is not a number');
    const i = Number(text);
    if (i < 0) throw new Refused('a negative list index');
    if (i > MAX_INDEX) throw new Refused(`a list index over ${MAX_INDEX}`);
    return i;
  }

  /** `{a,b}`: the list, or null when the value is not one (nothing consumed); 'eof' when there is no value at all. */
  private valList(): unknown[] | null | 'eof' {
    const r = this.read();
    if (r === null) return 'eof';
    if (r !== '{') {
      this.at--;
      return null;
    }
    const list: unknown[] = [];
    for (;;) {
      const { text, last } = this.until(',}');
      if (last === null) throw new Refused("a `{` list without its `}`");
      list.push(this.typed(text));
      if (last === '}') {
        // A comma right after the list is its own; anything else starts the next assignment.
        const after = this.read();
        if (after !== null && after !== ',') this.at--;
        return list;
      }
    }
  }

  /** The value after `=`: a list, else the text up to an unescaped comma. */
  private value(): { value: unknown; step: Step } {
    const list = this.valList();
    if (list === 'eof') return { value: '', step: 'eof' };
    if (list) return { value: list, step: 'ok' };
    const { text } = this.until(',');
    return { value: this.typed(text), step: 'ok' };
  }

  private key(data: Obj, level: number): Step {
    this.enter();
    try {
      const { text: k, last } = this.until('=[,.');
      if (last === null) {
        if (k === '') return 'eof';
        throw new Refused(`${this.shown(k)} has no value`);
      }
      if (last === '[') {
        const i = this.keyIndex();
        let list: unknown[] = [];
        if (Object.hasOwn(data, k)) {
          const existing = data[k];
          if (!Array.isArray(existing)) throw new Refused(`${this.shown(k)} is indexed but is not a list`);
          list = existing;
        }
        const got = this.listItem(list, i, level);
        this.set(data, k, got.list);
        return got.step;
      }
      if (last === '=') {
        const v = this.value();
        this.set(data, k, v.value);
        return v.step;
      }
      if (last === ',') throw new Refused(`${this.shown(k)} has no value (a comma ends it)`);
      // '.'
      if (++level > MAX_LEVELS) throw new Refused(`more than ${MAX_LEVELS} levels`);
      let inner: Obj = {};
      if (Object.hasOwn(data, k)) {
        const existing = data[k];
        if (!isMap(existing)) throw new Refused(`${this.shown(k)} has keys below it but is not a map`);
        inner = existing;
      }
      const step = this.key(inner, level);
      if (step === 'ok' && Object.keys(inner).length === 0) throw new Refused(`${this.shown(k)} (a map) has no value`);
      if (Object.keys(inner).length) this.set(data, k, inner);
      return step;
    } finally {
      this.depth--;
    }
  }

  private listItem(list: unknown[], i: number, level: number): { list: unknown[]; step: Step } {
    this.enter();
    try {
      // strvals skips whatever is written between `]` and the next `[`, `.` or `=`.
      const { last } = this.until('[.=');
      if (last === null) throw new Refused('a list index with nothing after it');
      if (last === '=') {
        const v = this.value();
        return { list: this.setIndex(list, i, v.value), step: 'ok' };
      }
      if (last === '[') {
        const next = this.keyIndex();
        let inner: unknown[] = [];
        if (list.length > i && list[i] !== null && list[i] !== undefined) {
          if (!Array.isArray(list[i])) throw new Refused('a nested index into something that is not a list');
          inner = list[i] as unknown[];
        }
        const got = this.listItem(inner, next, level);
        return { list: this.setIndex(list, i, got.list), step: 'ok' };
      }
      // '.': a map at the index (one that is not a map is replaced).
      let inner: Obj = {};
      if (list.length > i) {
        if (isMap(list[i])) inner = list[i] as Obj;
        else list[i] = inner;
      }
      const step = this.key(inner, level);
      // As strvals: at the end of the text the map is not placed (it is when it was there already).
      if (step === 'eof') return { list, step };
      return { list: this.setIndex(list, i, inner), step: 'ok' };
    } finally {
      this.depth--;
    }
  }
}

/**
 * Sets what `<targetPath>=<raw>` says in `values` (changed in place), as helm-controller
 * does, or says why helm-controller (or the API server) would refuse it. `assigned` lists
 * every value set, for masking; with `secret`, no message quotes the value's text.
 */
export function setTargetPath(values: Obj, targetPath: string, raw: string, opts: { secret?: boolean } = {}): { assigned: unknown[] } | { problem: string; limit?: true } {
  const shown = JSON.stringify(targetPath.slice(0, 100));
  if (targetPath.length > MAX_TARGET_PATH || !TARGET_PATH_RE.test(targetPath)) {
    return { problem: `targetPath ${shown} is not one the HelmRelease API accepts (letters, digits, _ - . \\ / and [n], up to ${MAX_TARGET_PATH} characters): the API server refuses this HelmRelease` };
  }
  // As Flux's ReplacePathValue: the same quote at both ends makes every value a string.
  const quoted = (raw.startsWith('"') && raw.endsWith('"')) || (raw.startsWith("'") && raw.endsWith("'"));
  const text = `${targetPath}=${quoted ? raw.replace(/^['"]+|['"]+$/g, '') : raw}`;
  const parser = new Parser(text, quoted, opts.secret === true);
  try {
    parser.parse(values);
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    if (err instanceof OverCap) return { problem: `targetPath ${shown}: the value sets ${err.message}, past what Ferry renders`, limit: true };
    return { problem: `targetPath ${shown}: helm-controller fails this HelmRelease: helm's --set parser, which it hands \`<targetPath>=<value>\`, finds ${err.message}` };
  }
  return { assigned: parser.assigned };
}

/**
 * The integers (int64 from strvals) left in final values, with their paths, as helm's
 * `--set` would name them: keys escaped, list indexes in brackets.
 */
export function integerLeaves(values: unknown, max: number): { path: string; value: string }[] | null {
  const out: { path: string; value: string }[] = [];
  const escape = (k: string) => k.replace(/[\\.[\]=,]/g, (c) => `\\${c}`);
  const walk = (v: unknown, path: string): boolean => {
    if (typeof v === 'bigint') {
      out.push({ path, value: v.toString() });
      return out.length <= max;
    }
    if (Array.isArray(v)) return v.every((x, i) => walk(x, `${path}[${i}]`));
    // strvals never sets an empty key, but it writes into a "" map an earlier valuesFrom
    // document made (`x,.b=1`). --set has no path for such a key: those integers stay in
    // the values file (a large one then reads as a float there).
    if (isMap(v)) return Object.entries(v).every(([k, x]) => k === '' || walk(x, path === '' ? escape(k) : `${path}.${escape(k)}`));
    return true;
  };
  return walk(values, '') ? out : null;
}
