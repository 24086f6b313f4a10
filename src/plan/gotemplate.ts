/**
 * The part of Go's text/template that ApplicationSets use in practice (`goTemplate: true`):
 * field paths (`.path.basename`), string, number and boolean literals, parentheses, pipes,
 * and a small set of sprig functions. Nothing is evaluated that is not listed here: an
 * unknown function or a control action (`if`, `range`...) is an error naming it, never run.
 */

export class TemplateError extends Error {}

type Value = unknown;

/** Values print as Go prints them: a missing key is `<no value>`. */
function show(v: Value): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

const str = (v: Value): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : show(v));
const empty = (v: Value): boolean => v === undefined || v === null || v === '' || v === false || v === 0 || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
const num = (v: Value): number => {
  const n = typeof v === 'number' ? v : Number(str(v));
  if (!Number.isInteger(n)) throw new TemplateError(`${JSON.stringify(str(v).slice(0, 40))} is not an integer`);
  return n;
};

/** RFC 1123-ish name from a path element, as Argo CD's `normalize` / basenameNormalized do. */
export function sanitizeName(s: string): string {
  return s.toLowerCase().replace(/[^-a-z0-9.]/g, '-').slice(0, 253).replace(/^[-.]+|[-.]+$/g, '');
}

/** Longer than any field of an Application needs to be. */
export const MAX_STRING = 256 * 1024;

const FUNCS: Record<string, (...args: Value[]) => Value> = {
  default: (def, given) => (empty(given) ? def : given),
  lower: (s) => str(s).toLowerCase(),
  upper: (s) => str(s).toUpperCase(),
  title: (s) => str(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  trim: (s) => str(s).trim(),
  trimPrefix: (p, s) => (str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s)),
  trimSuffix: (p, s) => (str(p) && str(s).endsWith(str(p)) ? str(s).slice(0, -str(p).length) : str(s)),
  replace: (from, to, s) => {
    // The one function whose output can outgrow its inputs many times over: nested, a
    // template of a few hundred bytes would make strings of hundreds of megabytes.
    const parts = str(s).split(str(from));
    const length = str(s).length + (parts.length - 1) * (str(to).length - str(from).length);
    if (length > MAX_STRING) throw new TemplateError(`replace makes a string longer than ${MAX_STRING / 1024} KiB`);
    return parts.join(str(to));
  },
  trunc: (n, s) => {
    const k = num(n);
    const t = str(s);
    return k >= 0 ? t.slice(0, k) : t.slice(Math.max(0, t.length + k));
  },
  quote: (...xs) => xs.map((x) => JSON.stringify(str(x))).join(' '),
  squote: (...xs) => xs.map((x) => `'${str(x)}'`).join(' '),
  toString: (v: Value) => str(v),
  normalize: (s) => sanitizeName(str(s)),
  index: (coll, ...keys) => {
    let v = coll;
    for (const k of keys) {
      if (Array.isArray(v)) v = v[num(k)];
      else if (v && typeof v === 'object') v = (v as Record<string, Value>)[str(k)];
      else return undefined;
    }
    return v;
  },
};

type Node =
  | { t: 'field'; path: string[] }
  | { t: 'lit'; v: Value }
  | { t: 'call'; fn: string; args: Node[] }
  | { t: 'pipe'; cmds: Node[][] };

const TOKEN_RE = /\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+(?:\.\d+)?)\b|(\$?\.[A-Za-z0-9_.]*|\.)|([A-Za-z_][A-Za-z0-9_]*)|(\|)|(\()|(\)))/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN_RE.lastIndex = 0;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    TOKEN_RE.lastIndex = i;
    const m = TOKEN_RE.exec(src);
    if (!m) throw new TemplateError(`cannot read ${JSON.stringify(src.slice(i, i + 20))}`);
    out.push(m.slice(1).find((g) => g !== undefined)!);
    i = TOKEN_RE.lastIndex;
  }
  return out;
}

const CONTROL = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

function parsePipe(toks: string[], pos: { i: number }): Node {
  const cmds: Node[][] = [[]];
  while (pos.i < toks.length) {
    const t = toks[pos.i]!;
    if (t === ')') break;
    pos.i++;
    if (t === '|') {
      cmds.push([]);
      continue;
    }
    const cur = cmds[cmds.length - 1]!;
    if (t === '(') {
      cur.push(parsePipe(toks, pos));
      if (toks[pos.i++] !== ')') throw new TemplateError('unclosed parenthesis');
    } else if (t.startsWith('"')) cur.push({ t: 'lit', v: JSON.parse(t) as string });
    else if (t.startsWith('`')) cur.push({ t: 'lit', v: t.slice(1, -1) });
    else if (/^-?\d/.test(t)) cur.push({ t: 'lit', v: Number(t) });
    else if (t === 'true' || t === 'false') cur.push({ t: 'lit', v: t === 'true' });
    else if (t === 'nil') cur.push({ t: 'lit', v: null });
    else if (t.startsWith('.') || t.startsWith('$')) {
      if (t.startsWith('$') && !t.startsWith('$.')) throw new TemplateError('template variables are not supported');
      cur.push({ t: 'field', path: t.replace(/^\$/, '').split('.').filter(Boolean) });
    } else if (CONTROL.has(t)) throw new TemplateError(`the ${t} action is not supported`);
    else if (!(t in FUNCS) || !Object.hasOwn(FUNCS, t)) throw new TemplateError(`function ${JSON.stringify(t)} is not supported`);
    else cur.push({ t: 'call', fn: t, args: [] });
  }
  if (cmds.some((c) => c.length === 0)) throw new TemplateError('empty command');
  return { t: 'pipe', cmds };
}

function evalNode(n: Node, data: Value, piped?: { v: Value }): Value {
  if (n.t === 'lit') return n.v;
  if (n.t === 'field') {
    let v: Value = data;
    for (const k of n.path) v = v && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, k) ? (v as Record<string, Value>)[k] : undefined;
    return v;
  }
  if (n.t === 'call') return FUNCS[n.fn]!(...(piped ? [piped.v] : []));
  let acc: { v: Value } | undefined;
  for (const cmd of n.cmds) {
    const [head, ...rest] = cmd;
    let v: Value;
    if (head!.t === 'call') {
      const args = rest.map((a) => evalNode(a, data));
      if (acc) args.push(acc.v);
      v = FUNCS[head!.fn]!(...args);
    } else {
      if (rest.length || acc) throw new TemplateError('a value cannot take arguments');
      v = evalNode(head!, data);
    }
    acc = { v };
  }
  return acc!.v;
}

/** Renders one string; throws TemplateError on what it does not support. */
export function goTemplate(text: string, data: Value): string {
  if (!text.includes('{{')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      out += text.slice(i);
      break;
    }
    const close = text.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError('unclosed action');
    let before = text.slice(i, open);
    let body = text.slice(open + 2, close);
    let next = close + 2;
    if (body.startsWith('-') && /^-\s/.test(body)) {
      before = before.replace(/\s+$/, '');
      body = body.slice(1);
    }
    let trimAfter = false;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      trimAfter = true;
    }
    out += before;
    if (!/^\s*\/\*[\s\S]*\*\/\s*$/.test(body)) {
      const toks = tokenize(body);
      const pos = { i: 0 };
      const node = parsePipe(toks, pos);
      if (pos.i !== toks.length) throw new TemplateError('unexpected )');
      out += show(evalNode(node, data));
      // A short template repeating a long parameter (`{{.a}}{{.a}}…`) is a bomb too.
      if (out.length > MAX_STRING) throw new TemplateError(`the template makes a string longer than ${MAX_STRING / 1024} KiB`);
    }
    if (trimAfter) while (next < text.length && /\s/.test(text[next]!)) next++;
    i = next;
  }
  return out;
}
