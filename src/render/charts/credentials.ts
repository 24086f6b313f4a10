import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import type { ChartCredential } from './types.js';

/**
 * A credential applies to a URL it prefixes, at a path boundary: "https://charts.example.com"
 * covers https://charts.example.com/index.yaml but not https://charts.example.com.evil.test/.
 * The longest prefix wins.
 */
export function credentialFor(credentials: ChartCredential[], url: string): ChartCredential | undefined {
  let best: ChartCredential | undefined;
  for (const c of credentials) {
    if (!url.startsWith(c.url)) continue;
    const next = url.charAt(c.url.length);
    if (!c.url.endsWith('/') && next !== '' && next !== '/') continue;
    if (!best || c.url.length > best.url.length) best = c;
  }
  return best;
}

/** The Authorization header a credential makes: a token as Bearer, else user and password as Basic. */
export function authorization(c: ChartCredential | undefined): string | undefined {
  if (!c) return undefined;
  if (c.token) return `Bearer ${c.token}`;
  if (c.username !== undefined || c.password !== undefined) return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
  return undefined;
}

/** Every secret a set of credentials holds, to scrub from any text that leaves the fetcher. */
export function secretsOf(credentials: ChartCredential[]): string[] {
  const out: string[] = [];
  for (const c of credentials) {
    for (const s of [c.password, c.token]) if (s && s.length >= 4) out.push(s);
    const basic = authorization({ url: c.url, username: c.username, password: c.password });
    if (basic && (c.password ?? '').length >= 4) out.push(basic.slice('Basic '.length));
  }
  return out;
}

/**
 * Reads FERRY_CHART_CREDENTIALS: YAML or JSON, a list of {url, username, password} or
 * {url, token}, or the same list under `credentials:`. Errors name the entry, never a value.
 */
export function loadCredentials(file: string): ChartCredential[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`FERRY_CHART_CREDENTIALS: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch {
    throw new Error('FERRY_CHART_CREDENTIALS: the file is not valid YAML or JSON');
  }
  const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' && Array.isArray((doc as { credentials?: unknown }).credentials) ? (doc as { credentials: unknown[] }).credentials : null;
  if (!list) throw new Error('FERRY_CHART_CREDENTIALS: expected a list of {url, username, password} or {url, token}');
  return list.map((entry, i) => {
    const e = entry as Record<string, unknown>;
    const where = `FERRY_CHART_CREDENTIALS entry ${i + 1}`;
    if (!e || typeof e !== 'object') throw new Error(`${where}: not a mapping`);
    if (typeof e.url !== 'string' || !/^(https?|oci):\/\/[^/@\s]+(\/|$)/.test(e.url)) throw new Error(`${where}: url must be an https://, http:// or oci:// prefix without user info`);
    for (const k of ['username', 'password', 'token'] as const) if (e[k] !== undefined && typeof e[k] !== 'string') throw new Error(`${where}: ${k} must be a string`);
    for (const k of Object.keys(e)) if (!['url', 'username', 'password', 'token'].includes(k)) throw new Error(`${where}: unknown key ${JSON.stringify(k).slice(0, 40)}`);
    if (e.token === undefined && e.password === undefined) throw new Error(`${where}: needs a token or a password`);
    return { url: e.url, username: e.username as string | undefined, password: e.password as string | undefined, token: e.token as string | undefined };
  });
}
