/**
 * GitHub's two rate limits, per token (per IP when anonymous):
 * - primary: a fixed window of `limit` requests per resource (`core`, `graphql`), reported on every
 *   answer in X-RateLimit-*; exceeding it answers 403 (or 429) with `x-ratelimit-remaining: 0`.
 * - secondary: content-creating requests (REST POST/PATCH/PUT/DELETE, GraphQL mutations), about 80 a
 *   minute and 500 an hour (PROVIDER-FACTS §4.4); exceeding it answers 403 (or 429) with `retry-after`
 *   and the secondary-limit message while `x-ratelimit-remaining` stays above zero, which is how
 *   clients (octokit's throttling plugin included) tell the two apart.
 * Tests configure both small to exercise a client's back-off without waiting an hour.
 */

export type RateResource = 'core' | 'graphql';

export interface RateLimitConfig {
  /** Primary limit per window for authenticated callers (GitHub: 5000/h). */
  primaryLimit: number;
  /** Primary limit for anonymous callers (GitHub: 60/h). */
  anonymousLimit: number;
  primaryWindowSeconds: number;
  /** 403 or 429: GitHub documents both. */
  primaryStatus: 403 | 429;
  secondaryPerMinute: number;
  secondaryPerHour: number;
  secondaryStatus: 403 | 429;
  /** GitHub says `retry-after` "may be present"; turn it off to test the client's fallback wait. */
  secondaryRetryAfter: boolean;
}

export const defaultRateLimits: RateLimitConfig = {
  primaryLimit: 5000,
  anonymousLimit: 60,
  primaryWindowSeconds: 3600,
  primaryStatus: 403,
  secondaryPerMinute: 80,
  secondaryPerHour: 500,
  secondaryStatus: 403,
  secondaryRetryAfter: true,
};

export interface PrimaryState {
  limit: number;
  used: number;
  remaining: number;
  reset: number;
  resource: RateResource;
}

export type RateDecision =
  | { kind: 'ok'; primary: PrimaryState }
  | { kind: 'primary-exceeded'; primary: PrimaryState }
  | { kind: 'secondary-exceeded'; primary: PrimaryState; retryAfterSeconds: number };

interface Window {
  used: number;
  resetAt: number;
}

export interface RateLimiter {
  readonly config: RateLimitConfig;
  configure(patch: Partial<RateLimitConfig>): void;
  reset(): void;
  /** Counts one request and says whether it may proceed. */
  check(key: string, authenticated: boolean, resource: RateResource, contentCreating: boolean): RateDecision;
  /** Current state without counting (for GET /rate_limit, which does not count). */
  peek(key: string, authenticated: boolean, resource: RateResource): PrimaryState;
}

export function createRateLimiter(initial: Partial<RateLimitConfig> = {}, now: () => number = Date.now): RateLimiter {
  let config: RateLimitConfig = { ...defaultRateLimits, ...initial };
  const windows = new Map<string, Window>();
  const creations = new Map<string, number[]>();

  function windowFor(key: string, resource: RateResource): Window {
    const id = `${resource}:${key}`;
    const t = now();
    let w = windows.get(id);
    if (!w || w.resetAt <= t) {
      w = { used: 0, resetAt: t + config.primaryWindowSeconds * 1000 };
      windows.set(id, w);
    }
    return w;
  }

  function state(w: Window, authenticated: boolean, resource: RateResource): PrimaryState {
    const limit = authenticated ? config.primaryLimit : config.anonymousLimit;
    return { limit, used: Math.min(w.used, limit), remaining: Math.max(0, limit - w.used), reset: Math.ceil(w.resetAt / 1000), resource };
  }

  return {
    get config() {
      return config;
    },
    configure(patch) {
      config = { ...config, ...patch };
    },
    reset() {
      windows.clear();
      creations.clear();
    },
    peek(key, authenticated, resource) {
      return state(windowFor(key, resource), authenticated, resource);
    },
    check(key, authenticated, resource, contentCreating) {
      const w = windowFor(key, resource);
      const limit = authenticated ? config.primaryLimit : config.anonymousLimit;
      if (w.used >= limit) return { kind: 'primary-exceeded', primary: state(w, authenticated, resource) };
      if (contentCreating) {
        const t = now();
        const times = (creations.get(key) ?? []).filter((at) => at > t - 3_600_000);
        creations.set(key, times);
        const lastMinute = times.filter((at) => at > t - 60_000);
        const overMinute = lastMinute.length >= config.secondaryPerMinute;
        const overHour = times.length >= config.secondaryPerHour;
        if (overMinute || overHour) {
          // Wait until the oldest request in the exceeded window leaves it.
          const oldest = overHour ? (times[0] ?? t) + 3_600_000 : (lastMinute[0] ?? t) + 60_000;
          w.used += 1;
          return { kind: 'secondary-exceeded', primary: state(w, authenticated, resource), retryAfterSeconds: Math.max(1, Math.ceil((oldest - t) / 1000)) };
        }
        times.push(t);
      }
      w.used += 1;
      return { kind: 'ok', primary: state(w, authenticated, resource) };
    },
  };
}

export function rateLimitHeaders(primary: PrimaryState): Record<string, string> {
  return {
    'x-ratelimit-limit': String(primary.limit),
    'x-ratelimit-remaining': String(primary.remaining),
    'x-ratelimit-used': String(primary.used),
    'x-ratelimit-reset': String(primary.reset),
    'x-ratelimit-resource': primary.resource,
  };
}

export const SECONDARY_MESSAGE = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
export const SECONDARY_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits';
export const PRIMARY_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

export function primaryMessage(userId: number | null, ip: string, requestIdValue: string): string {
  if (userId === null) {
    return `API rate limit exceeded for ${ip}. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)`;
  }
  const stamp = new Date().toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
  return `API rate limit exceeded for user ID ${userId}. If you reach out to GitHub Support for help, please include the request ID ${requestIdValue} and timestamp ${stamp}.`;
}
