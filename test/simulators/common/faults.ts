/**
 * Fault injection shared by every simulator: added latency, a token-bucket rate limit, a fraction of
 * 5xx answers, hung requests and connection resets. Deterministic for a given seed, so a failing test
 * can be replayed exactly. The provider-specific part (how a 429 or a 5xx looks on the wire) stays in
 * each simulator: this module only decides what happens to a request.
 */
export interface FaultConfig {
  /** Added to every answered request, in milliseconds. */
  latencyMs: number;
  /** Token bucket: `capacity` requests at once, refilled at `refillPerSecond`. Null = unlimited. */
  rateLimit: { capacity: number; refillPerSecond: number } | null;
  /** Fraction (0..1) of requests answered with one of `errorStatuses`. */
  errorRate: number;
  errorStatuses: number[];
  /** Fraction (0..1) of requests that never get an answer. */
  hangRate: number;
  /** Fraction (0..1) of requests whose connection is reset. */
  resetRate: number;
  seed: number;
}

export type FaultDecision =
  | { kind: 'pass'; delayMs: number }
  | { kind: 'rate-limited'; delayMs: number; retryAfterSeconds: number; limit: number; remaining: number; resetAtEpochSeconds: number }
  | { kind: 'error'; delayMs: number; status: number }
  | { kind: 'hang' }
  | { kind: 'reset' };

export const noFaults: FaultConfig = {
  latencyMs: 0,
  rateLimit: null,
  errorRate: 0,
  errorStatuses: [500, 502, 503],
  hangRate: 0,
  resetRate: 0,
  seed: 1,
};

/** mulberry32: a tiny seeded PRNG; good enough to spread faults, and reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultInjector {
  decide(): FaultDecision;
  configure(patch: Partial<FaultConfig>): void;
  readonly config: FaultConfig;
}

export function createFaultInjector(initial: Partial<FaultConfig> = {}, now: () => number = Date.now): FaultInjector {
  let config: FaultConfig = { ...noFaults, ...initial };
  let random = seededRandom(config.seed);
  let tokens = config.rateLimit?.capacity ?? 0;
  let lastRefill = now();

  function refill(): void {
    const limit = config.rateLimit;
    if (!limit) return;
    const t = now();
    tokens = Math.min(limit.capacity, tokens + ((t - lastRefill) / 1000) * limit.refillPerSecond);
    lastRefill = t;
  }

  return {
    get config() {
      return config;
    },
    configure(patch) {
      const seedChanged = patch.seed !== undefined && patch.seed !== config.seed;
      config = { ...config, ...patch };
      if (seedChanged) random = seededRandom(config.seed);
      if (patch.rateLimit !== undefined) {
        tokens = config.rateLimit?.capacity ?? 0;
        lastRefill = now();
      }
    },
    decide() {
      const delayMs = config.latencyMs;
      const limit = config.rateLimit;
      if (limit) {
        refill();
        if (tokens < 1) {
          const waitSeconds = Math.max(1, Math.ceil((1 - tokens) / limit.refillPerSecond));
          return {
            kind: 'rate-limited',
            delayMs,
            retryAfterSeconds: waitSeconds,
            limit: limit.capacity,
            remaining: 0,
            resetAtEpochSeconds: Math.ceil(now() / 1000) + waitSeconds,
          };
        }
        tokens -= 1;
      }
      const roll = random();
      if (roll < config.resetRate) return { kind: 'reset' };
      if (roll < config.resetRate + config.hangRate) return { kind: 'hang' };
      if (roll < config.resetRate + config.hangRate + config.errorRate) {
        const statuses = config.errorStatuses.length > 0 ? config.errorStatuses : [500];
        const status = statuses[Math.floor(random() * statuses.length)] ?? 500;
        return { kind: 'error', delayMs, status };
      }
      return { kind: 'pass', delayMs };
    },
  };
}

/** Remaining tokens, for X-RateLimit-Remaining style headers on successful answers. */
export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
