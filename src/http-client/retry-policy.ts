/**
 * When an outbound call is retried and how long to wait: pure functions, so the rules can be
 * tested without a server or a clock. Server instructions (Retry-After, GitHub's and Atlassian's
 * rate-limit reset headers) win over our own backoff; past the cap we give the 429 back to the
 * caller instead of sleeping for an hour inside a request.
 */

export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
export const DEFAULT_RETRY_ON: readonly number[] = [429, 502, 503, 504];

export interface BackoffOptions {
  /** The first retry waits up to this long; each later one up to twice the previous. */
  baseDelayMs: number;
  /** Ceiling of our own exponential backoff. */
  maxBackoffMs: number;
  /** A server may ask for at most this long; beyond it the response is returned, not retried. */
  maxRetryDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseDelayMs: 250, maxBackoffMs: 20_000, maxRetryDelayMs: 60_000 };

/**
 * connect: the connection never opened (nothing was sent); tls: the handshake or certificate failed
 * (retrying cannot help); network: the connection broke mid-request; timeout: no answer in time.
 */
export type FailureKind = 'connect' | 'tls' | 'network' | 'timeout';

export interface RetryInput {
  method: string;
  /** 1-based number of the attempt that just finished. */
  attempt: number;
  maxAttempts: number;
  status?: number;
  headers?: Record<string, string>;
  failure?: FailureKind;
  retryOn: readonly number[];
  /** Overrides the method's idempotency, e.g. a POST that carries an idempotency key. */
  idempotent?: boolean;
  backoff: BackoffOptions;
  now: number;
  random: () => number;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/** Full jitter: a uniform wait between 0 and the exponential ceiling. */
export function backoffDelayMs(attempt: number, backoff: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(backoff.maxBackoffMs, backoff.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Milliseconds to wait from a delay header: seconds (Retry-After), an HTTP or ISO date, or — for
 * reset headers, `epochSecondsAllowed` — epoch seconds. Shared with the providers' rate limiters.
 */
export function parseDelayHeader(value: string, now: number, epochSecondsAllowed: boolean): number | undefined {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const seconds = Number(text);
    // Reset headers carry either a delta or an epoch time; no delta is anywhere near 10^9 s.
    if (epochSecondsAllowed && seconds > 1_000_000_000) return Math.max(0, seconds * 1000 - now);
    return Math.max(0, seconds * 1000);
  }
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * How long the server asked us to wait, in ms, or undefined if it did not say. Retry-After
 * (seconds or HTTP date) first; then X-RateLimit-Reset (GitHub: epoch seconds; Atlassian: ISO
 * time), RateLimit-Reset (delta seconds) and the structured RateLimit header's reset (`t=`).
 */
export function serverDelayMs(headers: Record<string, string>, now: number): number | undefined {
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined) {
    const delay = parseDelayHeader(retryAfter, now, false);
    if (delay !== undefined) return delay;
  }
  const candidates: number[] = [];
  for (const name of ['x-ratelimit-reset', 'ratelimit-reset']) {
    const value = headers[name];
    const delay = value === undefined ? undefined : parseDelayHeader(value, now, true);
    if (delay !== undefined) candidates.push(delay);
  }
  const structured = headers.ratelimit && /(?:^|[;,\s])(?:t|reset)=(\d+)/.exec(headers.ratelimit);
  if (structured) candidates.push(Number(structured[1]) * 1000);
  return candidates.length > 0 ? Math.max(...candidates) : undefined;
}

/**
 * 429, and GitHub's way of saying the same with 403: a primary limit (`x-ratelimit-remaining: 0`)
 * or a secondary limit (`retry-after`). Other 403s are real permission errors and are never retried.
 */
export function isRateLimited(status: number, headers: Record<string, string>): boolean {
  if (status === 429) return true;
  return status === 403 && (headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined);
}

export function decideRetry(input: RetryInput): RetryDecision {
  if (input.attempt >= input.maxAttempts) return { retry: false, reason: 'attempts exhausted' };
  const idempotent = input.idempotent ?? IDEMPOTENT_METHODS.has(input.method.toUpperCase());
  const backoff = () => backoffDelayMs(input.attempt, input.backoff, input.random);

  if (input.failure) {
    if (input.failure === 'tls') return { retry: false, reason: 'tls failure' };
    // Nothing reached the server when the connection never opened, so even a POST is safe to resend.
    if (input.failure === 'connect' || idempotent) return { retry: true, delayMs: backoff() };
    return { retry: false, reason: 'not idempotent' };
  }
  const status = input.status ?? 0;
  const headers = input.headers ?? {};
  const rateLimited = isRateLimited(status, headers);
  if (rateLimited && !input.retryOn.includes(429)) return { retry: false, reason: 'status not retryable' };
  if (!rateLimited) {
    if (status >= 400 && status < 500) return { retry: false, reason: 'client error' };
    if (!input.retryOn.includes(status)) return { retry: false, reason: 'status not retryable' };
    if (!idempotent) return { retry: false, reason: 'not idempotent' };
  }
  const asked = serverDelayMs(headers, input.now);
  if (asked !== undefined) {
    if (asked > input.backoff.maxRetryDelayMs) return { retry: false, reason: 'server asked to wait too long' };
    // A little jitter on top, so clients released by the same reset do not all arrive at once.
    const jitter = Math.floor(input.random() * Math.min(1000, asked * 0.1));
    return { retry: true, delayMs: Math.min(input.backoff.maxRetryDelayMs, asked + jitter) };
  }
  return { retry: true, delayMs: backoff() };
}
