/**
 * Which job failures are worth another attempt, and when: a forge that answered 429 or
 * 5xx is busy or down for a while, so the job waits (Retry-After when the forge said how
 * long, else an exponential backoff) instead of failing for good.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Wait before the first retry; doubled for each further one. */
  baseDelayMs: number;
  /** Longest wait, Retry-After included. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 2_000, maxDelayMs: 5 * 60_000 };

interface HttpishError {
  status?: unknown;
  /** Octokit's RequestError: `response.headers` is a plain object. */
  response?: { headers?: Record<string, unknown> };
  /** Set by an adapter that read Retry-After itself. */
  retryAfterMs?: unknown;
}

export function isRetryable(err: unknown): boolean {
  const status = (err as HttpishError | null)?.status;
  return typeof status === 'number' && (status === 429 || status >= 500);
}

/** Retry-After in seconds or as an HTTP date, in milliseconds; null when absent or unreadable. */
export function retryAfterOf(err: unknown, now = Date.now()): number | null {
  const e = err as HttpishError | null;
  if (typeof e?.retryAfterMs === 'number' && e.retryAfterMs >= 0) return e.retryAfterMs;
  const raw = e?.response?.headers?.['retry-after'];
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const s = String(raw).trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The wait before attempt `attempt + 1` (attempt 0 is the first run), or null when the
 * error is not worth retrying or the attempts are spent.
 */
export function retryDelay(err: unknown, attempt: number, policy: RetryPolicy = DEFAULT_RETRY, now = Date.now()): number | null {
  if (!isRetryable(err) || attempt + 1 >= policy.attempts) return null;
  const backoff = policy.baseDelayMs * 2 ** attempt;
  return Math.min(policy.maxDelayMs, retryAfterOf(err, now) ?? backoff);
}
