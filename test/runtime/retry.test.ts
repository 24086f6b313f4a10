import { describe, expect, it } from 'vitest';
import { isRetryable, retryAfterOf, retryDelay } from '../../src/runtime/retry.js';

const policy = { attempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000 };
const err = (status: number, headers?: Record<string, string>) => Object.assign(new Error('x'), { status, ...(headers ? { response: { headers } } : {}) });

describe('retryDelay: which forge failures are tried again, and when', () => {
  it('429 and 5xx are retried; 4xx, no status and plain errors are not', () => {
    expect([429, 500, 502, 503].map((s) => isRetryable(err(s)))).toEqual([true, true, true, true]);
    expect([400, 403, 404, 422].map((s) => isRetryable(err(s)))).toEqual([false, false, false, false]);
    expect(isRetryable(new Error('boom'))).toBe(false);
    expect(retryDelay(err(404), 0, policy)).toBeNull();
  });

  it('backs off exponentially up to the last attempt', () => {
    expect([0, 1, 2].map((a) => retryDelay(err(503), a, policy))).toEqual([1000, 2000, 4000]);
    expect(retryDelay(err(503), 3, policy)).toBeNull();
    expect(retryDelay(err(503), 2, { ...policy, maxDelayMs: 3000 })).toBe(3000);
  });

  it('honours Retry-After in seconds or as a date, within the longest wait', () => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    expect(retryDelay(err(429, { 'retry-after': '7' }), 0, policy, now)).toBe(7000);
    expect(retryDelay(err(429, { 'retry-after': 'Tue, 01 Dec 2026 00:00:30 GMT' }), 2, policy, now)).toBe(30_000);
    expect(retryDelay(err(429, { 'retry-after': '3600' }), 0, policy, now)).toBe(60_000);
    // Unreadable: the backoff.
    expect(retryDelay(err(429, { 'retry-after': 'soon' }), 1, policy, now)).toBe(2000);
    expect(retryAfterOf(Object.assign(new Error('x'), { status: 503, retryAfterMs: 1500 }))).toBe(1500);
  });
});
