import path from 'node:path';
import { ChartCache } from './cache.js';
import { loadCredentials, secretsOf } from './credentials.js';
import { printable, redactUrl, validChartName, validConstraint } from './guard.js';
import { type Fetched, HttpRepos } from './http-repo.js';
import { OciRegistries } from './oci.js';
import type { ChartFetch, ChartFetcher, ChartFetcherOptions, ChartRef } from './types.js';
import { ChartError } from './types.js';

export type { ChartCredential, ChartFetch, ChartFetcher, ChartFetcherOptions, ChartRef } from './types.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_CHART_BYTES = 20 * 2 ** 20;
export const DEFAULT_MAX_INDEX_BYTES = 64 * 2 ** 20;

const OFF = 'not fetched: chart fetching is off (FERRY_CHARTS=off)';

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** Node's network errors by code: their messages may carry addresses and paths, codes do not. */
const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not name the host',
};

function reason(err: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `timed out after ${seconds(timeoutMs)}`;
  if (err instanceof ChartError) return err.message;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if ((err as Error | undefined)?.name === 'AbortError') return 'cancelled';
  if (code && NETWORK[code]) return NETWORK[code];
  if (code === 'EACCES' || code === 'ENOSPC' || code === 'EROFS' || code === 'EPERM') return `cannot write the chart cache (${code})`;
  return `unexpected error${code ? ` (${printable(code, 40)})` : ''}`;
}

/** Fetches charts from Helm repositories and OCI registries into an on-disk cache. */
export function chartFetcher(opts: ChartFetcherOptions): ChartFetcher {
  const cache = new ChartCache(path.resolve(opts.cacheDir));
  const http = new HttpRepos(cache, opts);
  const oci = new OciRegistries(cache, opts);
  const secrets = secretsOf(opts.credentials);
  const inFlight = new Map<string, Promise<ChartFetch>>();

  /** Belt and braces: whatever a message says, no configured secret leaves in it. */
  const scrub = (text: string): string => secrets.reduce((t, s) => t.split(s).join('***'), text);

  const describe = (ref: ChartRef): string =>
    `chart ${printable(String(ref.chart), 100)} ${typeof ref.digest === 'string' ? `@${printable(ref.digest, 80)}` : ref.version ? printable(ref.version, 100) : '(latest)'} from ${redactUrl(String(ref.repoUrl))}`;

  async function run(ref: ChartRef): Promise<ChartFetch> {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    try {
      const got: Fetched = ref.repoUrl.startsWith('oci://') ? await oci.fetch(ref, timeout) : await http.fetch(ref, timeout);
      return { ok: true, ...got };
    } catch (err) {
      return { ok: false, message: scrub(`${describe(ref)}: ${reason(err, timeout.aborted, opts.timeoutMs)}`) };
    }
  }

  return {
    async fetch(ref, signal) {
      if (opts.offline) return { ok: false, message: `${describe(ref)}: ${OFF}` };
      if (typeof ref.repoUrl !== 'string' || typeof ref.chart !== 'string' || (ref.version !== undefined && typeof ref.version !== 'string')) {
        return { ok: false, message: 'chart reference is not valid: repoUrl, chart and version must be strings' };
      }
      if (!validChartName(ref.chart)) return { ok: false, message: scrub(`${describe(ref)}: not a valid chart name`) };
      if (ref.version && !validConstraint(ref.version)) return { ok: false, message: scrub(`${describe(ref)}: not a valid version or constraint`) };
      if (ref.digest !== undefined) {
        if (typeof ref.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(ref.digest)) return { ok: false, message: scrub(`${describe(ref)}: not a sha256 digest (sha256:<64 hex digits>)`) };
        if (!ref.repoUrl.startsWith('oci://')) return { ok: false, message: scrub(`${describe(ref)}: a digest pins OCI charts only`) };
      }
      if (signal?.aborted) return { ok: false, message: `${describe(ref)}: cancelled` };
      // Concurrent fetches of one chart share one download; each caller may still give up on its own.
      const key = JSON.stringify([ref.repoUrl.replace(/\/+$/, ''), ref.chart, (ref.version ?? '').trim(), ref.digest ?? '']);
      let shared = inFlight.get(key);
      if (!shared) {
        shared = run(ref).finally(() => inFlight.delete(key));
        inFlight.set(key, shared);
      }
      if (!signal) return shared;
      return new Promise<ChartFetch>((resolve) => {
        const abort = () => resolve({ ok: false, message: `${describe(ref)}: cancelled` });
        signal.addEventListener('abort', abort, { once: true });
        void shared.then((r) => {
          signal.removeEventListener('abort', abort);
          resolve(r);
        });
      });
    },
  };
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(raw.slice(0, 40))}`);
  return n;
}

/**
 * Operator options from the environment (docs/operations.md): FERRY_CHARTS (on|off),
 * FERRY_CHART_TIMEOUT_MS, FERRY_CHART_MAX_MB, FERRY_CHART_CREDENTIALS (a YAML/JSON file
 * listing ChartCredential), FERRY_CHART_ALLOW_PRIVATE=1. `cacheDir` is Ferry's cache
 * folder (FERRY_CACHE_DIR); charts go to its `charts/` folder. Throws on a bad setting.
 */
export function chartFetcherFromEnv(env: NodeJS.ProcessEnv, cacheDir: string): ChartFetcher {
  const mode = (env.FERRY_CHARTS ?? 'on').trim().toLowerCase();
  if (!['on', 'off', ''].includes(mode)) throw new Error(`FERRY_CHARTS must be on or off, not ${JSON.stringify(mode.slice(0, 40))}`);
  const allow = (env.FERRY_CHART_ALLOW_PRIVATE ?? '').trim();
  if (!['', '0', '1', 'true', 'false'].includes(allow)) throw new Error('FERRY_CHART_ALLOW_PRIVATE must be 1 or 0');
  return chartFetcher({
    cacheDir: path.join(cacheDir, 'charts'),
    timeoutMs: positive(env, 'FERRY_CHART_TIMEOUT_MS', DEFAULT_TIMEOUT_MS),
    maxChartBytes: Math.round(positive(env, 'FERRY_CHART_MAX_MB', DEFAULT_MAX_CHART_BYTES / 2 ** 20) * 2 ** 20),
    maxIndexBytes: DEFAULT_MAX_INDEX_BYTES,
    credentials: env.FERRY_CHART_CREDENTIALS ? loadCredentials(env.FERRY_CHART_CREDENTIALS) : [],
    allowPrivateNetworks: allow === '1' || allow === 'true',
    offline: mode === 'off',
  });
}
