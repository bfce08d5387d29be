import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, DEFAULT_RETRY_ON, decideRetry, serverDelayMs } from '../../src/http-client/index.ts';
import { backoffDelayMs, type RetryInput } from '../../src/http-client/retry-policy.ts';

const NOW = Date.UTC(2026, 4, 17, 12, 0, 0);
const input = (overrides: Partial<RetryInput>): RetryInput => ({
  method: 'GET',
  attempt: 1,
  maxAttempts: 4,
  retryOn: DEFAULT_RETRY_ON,
  backoff: DEFAULT_BACKOFF,
  now: NOW,
  random: () => 0.5,
  ...overrides,
});

describe('serverDelayMs', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(serverDelayMs({ 'retry-after': '7' }, NOW)).toBe(7000);
    expect(serverDelayMs({ 'retry-after': new Date(NOW + 12_000).toUTCString() }, NOW)).toBe(12_000);
    expect(serverDelayMs({ 'retry-after': new Date(NOW - 5000).toUTCString() }, NOW)).toBe(0);
  });

  it("reads GitHub's epoch x-ratelimit-reset and Atlassian's ISO or delta resets", () => {
    expect(serverDelayMs({ 'x-ratelimit-reset': String(NOW / 1000 + 30) }, NOW)).toBe(30_000);
    expect(serverDelayMs({ 'x-ratelimit-reset': new Date(NOW + 45_000).toISOString() }, NOW)).toBe(45_000);
    expect(serverDelayMs({ 'ratelimit-reset': '20' }, NOW)).toBe(20_000);
    expect(serverDelayMs({ ratelimit: '"default";r=0;t=9' }, NOW)).toBe(9000);
    expect(serverDelayMs({ 'retry-after': '3', 'x-ratelimit-reset': String(NOW / 1000 + 30) }, NOW)).toBe(3000);
    expect(serverDelayMs({}, NOW)).toBeUndefined();
  });
});

describe('decideRetry', () => {
  it('retries 429 for any method, honouring the server delay', () => {
    const decision = decideRetry(input({ method: 'POST', status: 429, headers: { 'retry-after': '2' } }));
    expect(decision.retry).toBe(true);
    if (decision.retry) expect(decision.delayMs).toBeGreaterThanOrEqual(2000);
  });

  it('returns the 429 instead of waiting past the cap', () => {
    expect(decideRetry(input({ status: 429, headers: { 'retry-after': '3600' } }))).toMatchObject({ retry: false });
  });

  it('treats GitHub 403 rate-limit responses as 429, other 403s as final', () => {
    const reset = String(NOW / 1000 + 10);
    expect(decideRetry(input({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset } })))
      .toMatchObject({ retry: true });
    expect(decideRetry(input({ status: 403, headers: { 'x-ratelimit-remaining': '10' } }))).toMatchObject({
      retry: false,
    });
  });

  it('retries 502/503/504 only for idempotent methods unless told otherwise', () => {
    for (const status of [502, 503, 504]) expect(decideRetry(input({ status })).retry).toBe(true);
    expect(decideRetry(input({ method: 'POST', status: 503 })).retry).toBe(false);
    expect(decideRetry(input({ method: 'POST', status: 503, idempotent: true })).retry).toBe(true);
    expect(decideRetry(input({ status: 500 })).retry).toBe(false);
  });

  it('never retries other 4xx, even when listed', () => {
    for (const status of [400, 401, 404, 409, 422]) {
      expect(decideRetry(input({ status, retryOn: [...DEFAULT_RETRY_ON, status] })).retry).toBe(false);
    }
  });

  it('retries connect failures for any method, broken connections only when idempotent, tls never', () => {
    expect(decideRetry(input({ method: 'POST', failure: 'connect' })).retry).toBe(true);
    expect(decideRetry(input({ method: 'POST', failure: 'network' })).retry).toBe(false);
    expect(decideRetry(input({ method: 'POST', failure: 'timeout' })).retry).toBe(false);
    expect(decideRetry(input({ method: 'PUT', failure: 'timeout' })).retry).toBe(true);
    expect(decideRetry(input({ failure: 'tls' })).retry).toBe(false);
  });

  it('stops when attempts are exhausted', () => {
    expect(decideRetry(input({ attempt: 4, status: 503 }))).toMatchObject({ retry: false, reason: 'attempts exhausted' });
  });

  it('uses full jitter under an exponential ceiling', () => {
    const backoff = { baseDelayMs: 100, maxBackoffMs: 1000, maxRetryDelayMs: 60_000 };
    expect(backoffDelayMs(1, backoff, () => 0.999)).toBeLessThan(100);
    expect(backoffDelayMs(3, backoff, () => 0.999)).toBeLessThan(400);
    expect(backoffDelayMs(3, backoff, () => 0.999)).toBeGreaterThan(390);
    expect(backoffDelayMs(10, backoff, () => 0.999)).toBeLessThan(1000);
    expect(backoffDelayMs(10, backoff, () => 0)).toBe(0);
  });
});
