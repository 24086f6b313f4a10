import http from 'node:http';
import https from 'node:https';
import { checkLiteralHost, guardedLookup, isLoopbackHost } from './guard.js';
import { ChartError } from './types.js';

export interface GetOptions {
  signal: AbortSignal;
  /** Cap on the body of a successful response; a larger one is refused as "larger than …". */
  maxBytes: number;
  allowPrivate: boolean;
  headers?: Record<string, string>;
  /**
   * The Authorization header for a URL, if any. Asked again on every redirect, and only
   * while the redirect stays on the first URL's origin: credentials never follow a
   * redirect to another host.
   */
  authFor?: (url: URL) => string | undefined;
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Where the body came from after redirects. */
  url: URL;
}

const MAX_REDIRECTS = 3;
/** Bodies of failed responses are read only this far: they are never used. */
const ERROR_BODY_BYTES = 64 * 1024;

/** "20 MiB", "1.5 MiB", "512 KiB", "100 bytes": a size for a message. */
export function mib(bytes: number): string {
  const round = (n: number) => String(Number(n.toFixed(1)));
  if (bytes >= 2 ** 20) return `${round(bytes / 2 ** 20)} MiB`;
  if (bytes >= 1024) return `${round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

/** Only http(s); credentials never over plain http except to this machine. */
function sendable(url: URL, auth: string | undefined): string | undefined {
  if (!auth) return undefined;
  return url.protocol === 'https:' || isLoopbackHost(url.hostname) ? auth : undefined;
}

/** GET with the address policy, a size cap and at most three redirects. */
export async function get(start: URL, opts: GetOptions): Promise<Response> {
  let url = start;
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ChartError(`refused ${url.protocol.replace(/:$/, '')}: URL (only http and https)`);
    if (url.username || url.password) throw new ChartError('refused a URL with user info (credentials belong in FERRY_CHART_CREDENTIALS)');
    checkLiteralHost(url.hostname, opts.allowPrivate);
    const auth = url.origin === start.origin ? sendable(url, opts.authFor?.(url)) : undefined;
    const res = await once(url, auth, opts);
    const location = res.headers.location;
    if (res.status >= 300 && res.status < 400 && res.status !== 304 && location) {
      if (hop >= MAX_REDIRECTS) throw new ChartError(`more than ${MAX_REDIRECTS} redirects`);
      try {
        url = new URL(location, url);
      } catch {
        throw new ChartError('redirected to an invalid URL');
      }
      continue;
    }
    return res;
  }
}

function once(url: URL, auth: string | undefined, opts: GetOptions): Promise<Response> {
  return new Promise((resolve, _reject) => {
    let settled = false;
    // Destroying a response emits its own errors; the first reason given is the one reported.
    const reject = (err: unknown) => {
      if (!settled) _reject(err);
      settled = true;
    };
    const headers: Record<string, string> = { 'user-agent': 'ferry-gitops', ...opts.headers };
    if (auth) headers.authorization = auth;
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method: 'GET', headers, signal: opts.signal, lookup: guardedLookup(opts.allowPrivate) as never, agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      const cap = ok ? opts.maxBytes : ERROR_BODY_BYTES;
      const declared = Number(res.headers['content-length']);
      if (ok && Number.isFinite(declared) && declared > cap) {
        reject(new ChartError(`larger than ${mib(cap)}`));
        return res.destroy();
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > cap) {
          if (ok) {
            reject(new ChartError(`larger than ${mib(cap)}`));
            return res.destroy();
          }
          return; // an error page too long to keep: the status is what matters
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (!settled) resolve({ status, headers: res.headers, body: Buffer.concat(chunks), url });
        settled = true;
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new ChartError('the connection closed before the response ended')));
    });
    req.on('error', reject);
    req.end();
  });
}
