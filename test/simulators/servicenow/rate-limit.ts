/**
 * Inbound REST rate-limit rules (PROVIDER-FACTS §5, SN-RATELIMIT): a rule allows N Table API requests per
 * window, counted per user (or for everyone). Each answered Table API request carries `X-RateLimit-Limit`,
 * `X-RateLimit-Reset` (Unix seconds when the window ends) and `X-RateLimit-Rule` (the rule's sys_id); a
 * request over the limit gets 429 with `Retry-After` and ServiceNow's body. ServiceNow's rules are per
 * hour; `per: 'second'` is the simulator's addition so benchmarks can run a 20 req/s rule in seconds.
 * Windows are fixed and aligned to the clock. The real instance commits counts every 30 s per node (so it
 * can let a burst overshoot); the simulator counts exactly.
 */
import { seedSysId } from './store.ts';

export interface RateLimitRule {
  limit: number;
  per: 'second' | 'hour';
  /** Count per authenticated user (default) or all requests together. */
  scope?: 'user' | 'all';
  /** sys_id reported in X-RateLimit-Rule (default a stable one). */
  sysId?: string;
}

export interface RateVerdict {
  allowed: boolean;
  headers: Record<string, string>;
  detail: string;
}

export interface RateLimiter {
  rule: RateLimitRule | null;
  set(rule: RateLimitRule | null): void;
  check(userName: string): RateVerdict | null;
  reset(): void;
}

export function createRateLimiter(now: () => number, initial: RateLimitRule | null = null): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const limiter: RateLimiter = {
    rule: initial,
    set(rule) {
      limiter.rule = rule;
      windows.clear();
    },
    reset() {
      windows.clear();
    },
    check(userName) {
      const rule = limiter.rule;
      if (!rule) return null;
      const periodMs = rule.per === 'second' ? 1000 : 3_600_000;
      const t = now();
      const start = Math.floor(t / periodMs) * periodMs;
      const key = rule.scope === 'all' ? '*' : userName;
      let window = windows.get(key);
      if (!window || window.start !== start) {
        window = { start, count: 0 };
        windows.set(key, window);
      }
      const resetAt = start + periodMs;
      const headers: Record<string, string> = {
        'x-ratelimit-limit': String(rule.limit),
        'x-ratelimit-reset': String(Math.ceil(resetAt / 1000)),
        'x-ratelimit-rule': rule.sysId ?? seedSysId('sys_rate_limit_rules', 'table-api'),
      };
      const detail = `Rate limit of ${rule.limit} requests per ${rule.per} for Table API exceeded`;
      if (window.count >= rule.limit) {
        headers['retry-after'] = String(Math.max(1, Math.ceil((resetAt - t) / 1000)));
        return { allowed: false, headers, detail };
      }
      window.count += 1;
      return { allowed: true, headers, detail };
    },
  };
  return limiter;
}
