/**
 * Per-connection rate limiting for Jira. Two parts: a concurrency cap per connection in this process
 * (a semaphore), and a "paused until" time in SharedState that every process reads before calling, so
 * one 429 (or an exhausted `X-RateLimit-Remaining`) holds back all callers of that connection instead
 * of each discovering the limit on its own and making the burst worse.
 */
import { createLimiterRegistry, createPauseGate, type LimiterRegistry, parseDelayHeader } from '../../http-client/index.ts';
import type { SharedState } from '../../shared-state/index.ts';

export { RateLimitWaitTooLong, type Semaphore } from '../../http-client/index.ts';

/** Semaphores by connection key; one registry per process is what makes the cap per process. */
export type JiraLimiterRegistry = LimiterRegistry;

export const createJiraLimiterRegistry = createLimiterRegistry;

export const processLimiters: JiraLimiterRegistry = createJiraLimiterRegistry();

export interface JiraLimiterOptions {
  /** Connection id, or base URL + user: who shares one budget at Jira. */
  key: string;
  sharedState: SharedState;
  registry: JiraLimiterRegistry;
  maxConcurrent: number;
  /** A pause longer than this is not waited for: the caller gets JIRA_RATE_LIMITED with the delay. */
  maxPauseMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface JiraLimiter {
  /** Runs `task` in a concurrency slot, after any shared pause has passed. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Ms left of the shared pause, 0 when calls may go. */
  pausedForMs(): Promise<number>;
  /** Records a pause for every caller of this connection (keeps a later one already set). */
  pauseFor(ms: number): Promise<void>;
  /** Reads a response's rate-limit headers; returns the pause it recorded, if any. */
  observe(status: number, headers: Record<string, string>): Promise<number | undefined>;
}

const delay = (value: string | undefined, now: number, epochSecondsAllowed: boolean) =>
  value === undefined ? undefined : parseDelayHeader(value, now, epochSecondsAllowed);

const MIN_429_PAUSE_MS = 250;

/**
 * How long Jira asked us to hold off. On a 429: Retry-After, else the reset headers. On a success with
 * nothing left in the budget: the reset time, or on DC one token's refill time (1 / X-RateLimit-FillRate).
 */
export function requestedPauseMs(status: number, headers: Record<string, string>, now: number): number | undefined {
  if (status === 429 || status === 503) {
    const asked = delay(headers['retry-after'], now, false) ?? delay(headers['ratelimit-reset'], now, true) ?? delay(headers['x-ratelimit-reset'], now, true);
    // A floor, so a `Retry-After: 0` cannot turn the retry loop into a hot loop against Jira.
    if (asked !== undefined) return status === 429 ? Math.max(asked, MIN_429_PAUSE_MS) : asked;
    return status === 429 ? 1000 : undefined;
  }
  if (headers['x-ratelimit-remaining'] === '0') {
    const fillRate = Number(headers['x-ratelimit-fillrate']);
    const interval = Number(headers['x-ratelimit-interval-seconds'] ?? '1');
    if (fillRate > 0) return Math.ceil(((interval > 0 ? interval : 1) * 1000) / fillRate);
    return delay(headers['ratelimit-reset'], now, true) ?? delay(headers['x-ratelimit-reset'], now, true) ?? 1000;
  }
  return undefined;
}

export function createJiraLimiter(options: JiraLimiterOptions): JiraLimiter {
  const now = options.now ?? Date.now;
  const semaphore = options.registry.semaphore(options.key, options.maxConcurrent);
  const gate = createPauseGate({
    stateKey: `jira:pause:${options.key}`,
    sharedState: options.sharedState,
    maxPauseMs: options.maxPauseMs,
    // A little jitter so every waiter released by the same pause does not hit Jira in one burst.
    jitterMs: (left, random) => Math.floor(random * Math.min(250, left * 0.2 + 50)),
    now,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
  });

  return {
    pausedForMs: gate.pausedForMs,
    pauseFor: gate.pauseFor,
    async run(task) {
      const release = await semaphore.acquire();
      try {
        await gate.waitOut();
        return await task();
      } finally {
        release();
      }
    },
    async observe(status, headers) {
      const pause = requestedPauseMs(status, headers, now());
      if (pause !== undefined && pause > 0) await gate.pauseFor(pause);
      return pause;
    },
  };
}
