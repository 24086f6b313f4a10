/**
 * A valuesFrom `targetPath`: Flux sets the value with Helm's `--set` parser (strvals),
 * `<targetPath>=<value>`; a value in single or double quotes is a string (`--set-string`),
 * others are typed as `--set` types them. The forms Ferry reads: dotted keys (`\.`
 * escapes a dot), list indexes (`a[0].b`, `a[0][1]`), `{x,y}` lists, `\` escapes. Anything
 * else (an unescaped comma, which strvals reads as another assignment) is a problem.
 */

type Obj = Record<string, unknown>;
type Segment = { key: string } | { index: number };

/** strvals' cap on a list index. */
const MAX_INDEX = 65536;
/** strvals' cap on nesting (maxNestedNameLevel): also keeps setAt's recursion shallow. */
const MAX_LEVELS = 30;

function isMap(v: unknown): v is Obj {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function segments(path: string): Segment[] | string {
  const out: Segment[] = [];
  let key = '';
  let hasKey = false;
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\' && i + 1 < path.length) {
      key += path[++i];
      hasKey = true;
    } else if (c === '.') {
      if (!hasKey && !(out.length && 'index' in out[out.length - 1]!)) return 'an empty key';
      if (hasKey) out.push({ key });
      key = '';
      hasKey = false;
    } else if (c === '[') {
      const end = path.indexOf(']', i);
      const n = end < 0 ? '' : path.slice(i + 1, end);
      if (!/^\d+$/.test(n)) return 'a list index that is not a number';
      if (Number(n) > MAX_INDEX) return `a list index over ${MAX_INDEX}`;
      if (hasKey) out.push({ key });
      else if (!out.length) return 'an index without a key';
      out.push({ index: Number(n) });
      key = '';
      hasKey = false;
      i = end;
    } else if (c === ',' || c === '=') {
      return `a ${JSON.stringify(c)}, which the parser reads as the end of the key`;
    } else {
      key += c;
      hasKey = true;
    }
  }
  if (hasKey) out.push({ key });
  if (!out.length) return 'an empty path';
  if (out.length > MAX_LEVELS) return `more than ${MAX_LEVELS} levels`;
  // Each index pads its list with nulls up to it: bounded in all, not per level.
  if (out.reduce((n, s) => n + ('index' in s ? s.index : 0), 0) > MAX_INDEX) return `list indexes adding up to more than ${MAX_INDEX}`;
  if (out.some((s) => 'key' in s && (s.key === '' || s.key === '__proto__'))) return 'an empty key';
  return out;
}

/** Helm's strvals typing of an unquoted value. */
function typed(v: string): unknown {
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (v === '0') return 0;
  if (v !== '' && v[0] !== '0' && /^[-+]?\d+$/.test(v)) {
    const n = BigInt(v);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return Number.isSafeInteger(Number(n)) ? Number(n) : v;
  }
  return v;
}

/** Reads up to an unescaped stop character; returns the text and where it stopped. */
function until(s: string, from: number, stops: string): { text: string; at: number } {
  let text = '';
  let i = from;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) text += s[++i];
    else if (stops.includes(c)) break;
    else text += c;
  }
  return { text, at: i };
}

function parseValue(raw: string, asString: boolean): { value: unknown } | { problem: string } {
  const type = (v: string) => (asString ? v : typed(v));
  if (raw.startsWith('{')) {
    const items: unknown[] = [];
    let i = 1;
    for (;;) {
      const r = until(raw, i, ',}');
      if (r.at >= raw.length) return { problem: 'a `{` list without its `}`' };
      items.push(type(r.text));
      i = r.at + 1;
      if (raw[r.at] === '}') break;
    }
    if (i < raw.length) return { problem: 'text after a `{…}` list, which the parser reads as another assignment' };
    return { value: items };
  }
  const r = until(raw, 0, ',');
  if (r.at < raw.length) return { problem: 'an unescaped comma, which the parser reads as the start of another assignment (write it as \\,)' };
  return { value: type(r.text) };
}

function setAt(container: Obj | unknown[], path: Segment[], value: unknown): Obj | unknown[] {
  const head = path[0]!;
  const rest = path.slice(1);
  if ('key' in head) {
    const map = container as Obj;
    if (!rest.length) map[head.key] = value;
    else {
      const next = rest[0]!;
      const existing = map[head.key];
      const child = 'index' in next ? (Array.isArray(existing) ? [...existing] : []) : isMap(existing) ? { ...existing } : {};
      map[head.key] = setAt(child, rest, value);
    }
    return map;
  }
  const list = container as unknown[];
  while (list.length <= head.index) list.push(null);
  if (!rest.length) list[head.index] = value;
  else {
    const next = rest[0]!;
    const existing = list[head.index];
    const child = 'index' in next ? (Array.isArray(existing) ? [...existing] : []) : isMap(existing) ? { ...existing } : {};
    list[head.index] = setAt(child, rest, value);
  }
  return list;
}

/** Sets `raw` at `targetPath` in `values` (changed in place), or says why it cannot. */
export function setTargetPath(values: Obj, targetPath: string, raw: string): { value: unknown } | { problem: string } {
  const path = segments(targetPath.trim());
  if (typeof path === 'string') return { problem: `targetPath ${JSON.stringify(targetPath.slice(0, 100))} has ${path}` };
  // As Flux's ReplacePathValue: the same quote at both ends makes it a string.
  const quoted = (raw.startsWith('"') && raw.endsWith('"')) || (raw.startsWith("'") && raw.endsWith("'"));
  const parsed = parseValue(quoted ? raw.replace(/^['"]+|['"]+$/g, '') : raw, quoted);
  if ('problem' in parsed) return { problem: `targetPath ${JSON.stringify(targetPath.slice(0, 100))}: the value has ${parsed.problem}` };
  setAt(values, path, parsed.value);
  return parsed;
}
