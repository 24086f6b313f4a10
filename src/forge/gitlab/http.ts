import { createRequesterFn, type RequesterType, type ResourceOptions } from '@gitbeaker/requester-utils';
import type { ApiObserver } from '../types.js';

/**
 * How failed requests are tried again. gitbeaker's own handler (in @gitbeaker/rest)
 * retries only 429 and 502, ten times within about a quarter of a second, ignores
 * Retry-After, and throws an error without the status; so Ferry brings its own.
 */
export interface RetryOptions {
  /** Tries after the first one. */
  retries?: number;
  /** Wait before the first retry; doubled for each further one. */
  minDelayMs?: number;
  /** Longest wait, Retry-After included. */
  maxDelayMs?: number;
  /** Waits; replaced in tests so they neither sleep nor time anything. */
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULTS = { retries: 4, minDelayMs: 500, maxDelayMs: 30_000 };

/** A GitLab API call that failed: `status` as Octokit's errors carry it (absent when no response came). */
export class GitLabApiError extends Error {
  override readonly name = 'GitLabApiError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly method: string,
    readonly path: string,
    /** GitLab's `message` or `error`, as text. */
    readonly description: string,
  ) {
    super(message);
  }
}

/** 429 and every 5xx are passing: GitLab's rate limit, a deploy, a proxy restarting. */
function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Retry-After in seconds or as an HTTP date, in milliseconds; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

async function bodyOf(response: Response): Promise<unknown> {
  if (response.status === 204) return null;
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (type === 'application/json') return (await response.json()) ?? {};
  if (type.startsWith('text/')) return response.text();
  return response.blob();
}

/** GitLab's error text: `message` (a string, or field errors as an object) or `error`. */
async function describe(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    const d = parsed?.message ?? parsed?.error ?? text;
    return typeof d === 'string' ? d : JSON.stringify(d);
  } catch {
    return text.slice(0, 500);
  }
}

/**
 * gitbeaker's requester with Ferry's request handler: gitbeaker still builds the paths,
 * the query strings, the JSON bodies and the auth header, and follows pagination; this
 * sends them, tries 429 and 5xx again (Retry-After honoured), and turns a failure into a
 * GitLabApiError whose text never holds the token.
 */
export function gitLabRequester(token: string, retry: RetryOptions = {}, observe?: ApiObserver): (options: ResourceOptions) => RequesterType {
  const { retries, minDelayMs, maxDelayMs } = { ...DEFAULTS, ...retry };
  const sleep = retry.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const scrub = (s: string) => (token ? s.split(token).join('***') : s);

  const handler = async (endpoint: string, options?: Record<string, unknown>) => {
    const { prefixUrl, searchParams, method = 'GET', headers, body, signal } = (options ?? {}) as {
      prefixUrl?: string; searchParams?: string; method?: string; headers?: Record<string, string>; body?: string | FormData; signal?: AbortSignal;
    };
    const url = new URL(endpoint, prefixUrl?.endsWith('/') ? prefixUrl : `${prefixUrl}/`);
    url.search = searchParams ?? '';
    const where = `${method} ${url.pathname}`;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, { method, headers, body, signal });
      } catch (err) {
        // No answer at all: only a read is safe to send again (a write may have landed).
        if (method === 'GET' && attempt < retries && !signal?.aborted) {
          await sleep(Math.min(maxDelayMs, minDelayMs * 2 ** attempt));
          continue;
        }
        observe?.(0, null);
        const reason = scrub(String((err as Error)?.cause ?? (err as Error)?.message ?? err));
        throw new GitLabApiError(`GitLab ${where} failed: ${reason}`, undefined, method, url.pathname, reason);
      }
      if (observe) {
        const left = Number(response.headers.get('ratelimit-remaining') ?? NaN);
        observe(response.status, Number.isFinite(left) ? left : null);
      }
      if (response.ok) {
        return { body: (await bodyOf(response)) as never, headers: Object.fromEntries(response.headers.entries()), status: response.status };
      }
      if (retryable(response.status) && attempt < retries) {
        await response.body?.cancel().catch(() => undefined);
        const wait = retryAfterMs(response.headers.get('retry-after')) ?? minDelayMs * 2 ** attempt;
        await sleep(Math.min(maxDelayMs, wait));
        continue;
      }
      const description = scrub(await describe(response));
      throw new GitLabApiError(`GitLab ${where} failed (${response.status}): ${description}`, response.status, method, url.pathname, description);
    }
  };

  // The options handler adds nothing: gitbeaker's default one already did the work.
  return createRequesterFn(async (_service, request) => request, handler);
}
