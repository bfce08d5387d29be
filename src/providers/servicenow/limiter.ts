/**
 * Per-connection rate limiting for ServiceNow. ServiceNow's rate-limit rules (admin-configured, per
 * hour, per user/role/all) answer every Table API call with `X-RateLimit-Limit` and
 * `X-RateLimit-Reset` (Unix seconds of the window's end) but no "remaining" count, and refuse with
 * 429 + `Retry-After` (seconds) once the window is spent (../../shared/PROVIDER-FACTS.md §5). So:
 *
 * - a concurrency cap per connection in this process (a semaphore);
 * - a "paused until" time in SharedState that every process reads before calling: a 429 sets it to
 *   Retry-After, so one refusal holds back every caller of the connection;
 * - our own count of the calls sent in the rule's current window (learnt from the last answer's
 *   headers; a SharedState counter keyed by the window's reset time, so every process counts
 *   together): when it reaches the limit, the connection pauses until the reset instead of spending
 *   calls on 429s. Calls sent before a window was known are counted when their answer names it. ServiceNow commits its counts every 30 s per node, so the instance may let
 *   a few more through or refuse a few earlier; the 429 path stays authoritative.
 */
import { createLimiterRegistry, createPauseGate, type LimiterRegistry, parseDelayHeader } from '../../http-client/index.ts';
import type { SharedState } from '../../shared-state/index.ts';

export { RateLimitWaitTooLong, type Semaphore } from '../../http-client/index.ts';

/** Semaphores by connection key; one registry per process is what makes the cap per process. */
export type ServiceNowLimiterRegistry = LimiterRegistry;

export const createServiceNowLimiterRegistry = createLimiterRegistry;

export const processLimiters: ServiceNowLimiterRegistry = createServiceNowLimiterRegistry();

export interface ServiceNowLimiterOptions {
  key: string;
  sharedState: SharedState;
  registry: ServiceNowLimiterRegistry;
  maxConcurrent: number;
  /** A pause longer than this is not waited for: the caller gets PROVIDER_RATE_LIMITED with the delay. */
  maxPauseMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Which rule window a call was counted in when it started (null: no window known yet). */
export interface LimiterTicket {
  countedIn: number | null;
  /** Sent while no window was known: counted when its answer names the window. */
  uncounted: boolean;
}

export interface ServiceNowLimiter {
  /** Runs `task` in a concurrency slot, after any shared pause, counted in the rule's current window when one is known. */
  run<T>(task: (ticket: LimiterTicket) => Promise<T>): Promise<T>;
  pausedForMs(): Promise<number>;
  pauseFor(ms: number): Promise<void>;
  /** Reads a response's rate-limit headers; returns the pause it recorded, if any. */
  observe(status: number, headers: Record<string, string>, ticket?: LimiterTicket): Promise<number | undefined>;
}

const MIN_429_PAUSE_MS = 250;
const DEFAULT_429_PAUSE_MS = 1000;

/** How long a 429 asks us to hold off: Retry-After (seconds), else X-RateLimit-Reset (epoch seconds), floored. */
export function pauseAfter429(headers: Record<string, string>, now: number): number {
  const retryAfter = headers['retry-after'] === undefined ? undefined : parseDelayHeader(headers['retry-after'], now, false);
  const reset = headers['x-ratelimit-reset'] === undefined ? undefined : parseDelayHeader(headers['x-ratelimit-reset'], now, true);
  const asked = retryAfter ?? reset;
  return asked === undefined ? DEFAULT_429_PAUSE_MS : Math.max(asked, MIN_429_PAUSE_MS);
}

export function createServiceNowLimiter(options: ServiceNowLimiterOptions): ServiceNowLimiter {
  const now = options.now ?? Date.now;
  const semaphore = options.registry.semaphore(options.key, options.maxConcurrent);
  const gate = createPauseGate({
    stateKey: `servicenow:pause:${options.key}`,
    sharedState: options.sharedState,
    maxPauseMs: options.maxPauseMs,
    // A little jitter so the waiters released by one pause do not arrive as one burst.
    jitterMs: (left, random) => Math.floor(random * Math.min(50, left * 0.1 + 5)),
    now,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
  const { pausedForMs, pauseFor } = gate;

  const windowKey = `servicenow:window:${options.key}`;
  const usedKey = (reset: number) => `servicenow:used:${options.key}:${reset}`;

  /** The rule window learnt from the last answer, while it lasts. */
  async function currentWindow(): Promise<{ limit: number; reset: number } | null> {
    const raw = await options.sharedState.get(windowKey);
    if (!raw) return null;
    const [limit, reset] = raw.split(':').map(Number) as [number, number];
    return limit > 0 && reset * 1000 > now() ? { limit, reset } : null;
  }

  /** Calls of this process in flight that were sent while no window was known (not counted yet). */
  let uncountedInFlight = 0;

  /** Counts one call in a window (with the uncounted ones in flight); when it is spent, pauses every caller until it resets. */
  async function count(window: { limit: number; reset: number }): Promise<boolean> {
    const left = window.reset * 1000 - now();
    const used = (await options.sharedState.incr(usedKey(window.reset), Math.max(1, left) + 1000)) + uncountedInFlight;
    if (used >= window.limit) await pauseFor(left);
    return used <= window.limit;
  }

  /**
   * From an answer's X-RateLimit-Limit/Reset: remembers the window, and counts the call in it unless it
   * was counted there when it started (it started before the window was known).
   */
  async function countAnswered(headers: Record<string, string>, ticket: LimiterTicket | undefined): Promise<number | undefined> {
    const limit = Number(headers['x-ratelimit-limit']);
    const reset = Number(headers['x-ratelimit-reset']);
    if (!(limit > 0) || !(reset > 1_000_000_000)) return undefined;
    const left = reset * 1000 - now();
    if (left <= 0) return undefined;
    await options.sharedState.set(windowKey, `${limit}:${reset}`, left);
    if (ticket?.uncounted) {
      ticket.uncounted = false;
      uncountedInFlight--;
    }
    if (ticket?.countedIn !== reset) await count({ limit, reset });
    const paused = await pausedForMs();
    return paused > 0 ? paused : undefined;
  }

  return {
    pausedForMs,
    pauseFor,
    async run(task) {
      const release = await semaphore.acquire();
      try {
        const ticket: LimiterTicket = { countedIn: null, uncounted: false };
        for (;;) {
          await gate.waitOut();
          const window = await currentWindow();
          if (!window) {
            ticket.uncounted = true;
            uncountedInFlight++;
            break;
          }
          // Over the window's limit: count() has set the pause to its reset; wait it out and look again.
          if (await count(window)) {
            ticket.countedIn = window.reset;
            break;
          }
        }
        try {
          return await task(ticket);
        } finally {
          if (ticket.uncounted) uncountedInFlight--;
        }
      } finally {
        release();
      }
    },
    async observe(status, headers, ticket) {
      if (status === 429) {
        const pause = pauseAfter429(headers, now());
        await pauseFor(pause);
        return pause;
      }
      return countAnswered(headers, ticket);
    },
  };
}
