/**
 * Per-connection rate limiting for Jira. Two parts: a concurrency cap per connection in this process
 * (a semaphore), and a "paused until" time in SharedState that every process reads before calling, so
 * one 429 (or an exhausted `X-RateLimit-Remaining`) holds back all callers of that connection instead
 * of each discovering the limit on its own and making the burst worse.
 */
import { parseDelayHeader } from '../../http-client/index.ts';
import type { SharedState } from '../../shared-state/index.ts';

export interface Semaphore {
  acquire(): Promise<() => void>;
}

function createSemaphore(limit: number): Semaphore {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return {
    acquire() {
      if (active < limit) {
        active++;
        return Promise.resolve(release);
      }
      // The releasing caller hands its slot straight to the next waiter, so `active` stays put.
      return new Promise((resolve) => waiting.push(() => resolve(release)));
    },
  };
}

/** Semaphores by connection key; one registry per process is what makes the cap per process. */
export interface JiraLimiterRegistry {
  semaphore(key: string, limit: number): Semaphore;
}

export function createJiraLimiterRegistry(): JiraLimiterRegistry {
  const semaphores = new Map<string, Semaphore>();
  return {
    semaphore(key, limit) {
      let found = semaphores.get(key);
      if (!found) {
        found = createSemaphore(limit);
        semaphores.set(key, found);
      }
      return found;
    },
  };
}

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

export class RateLimitWaitTooLong extends Error {
  readonly waitMs: number;
  constructor(waitMs: number) {
    super(`rate-limit pause of ${waitMs} ms exceeds the wait budget`);
    this.waitMs = waitMs;
  }
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
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const stateKey = `jira:pause:${options.key}`;
  const semaphore = options.registry.semaphore(options.key, options.maxConcurrent);

  async function pausedForMs(): Promise<number> {
    const until = Number((await options.sharedState.get(stateKey)) ?? 0);
    return Math.max(0, until - now());
  }

  async function pauseFor(ms: number): Promise<void> {
    if (ms <= 0) return;
    const until = now() + ms;
    const current = Number((await options.sharedState.get(stateKey)) ?? 0);
    // Races between processes only ever lose a shorter pause to a longer one or vice versa by a few ms.
    if (current >= until) return;
    await options.sharedState.set(stateKey, String(until), ms + 1000);
  }

  async function waitOutPause(): Promise<void> {
    for (;;) {
      const left = await pausedForMs();
      if (left <= 0) return;
      if (left > options.maxPauseMs) throw new RateLimitWaitTooLong(left);
      // A little jitter so every waiter released by the same pause does not hit Jira in one burst.
      await sleep(left + Math.floor(random() * Math.min(250, left * 0.2 + 50)));
    }
  }

  return {
    pausedForMs,
    pauseFor,
    async run(task) {
      const release = await semaphore.acquire();
      try {
        await waitOutPause();
        return await task();
      } finally {
        release();
      }
    },
    async observe(status, headers) {
      const pause = requestedPauseMs(status, headers, now());
      if (pause !== undefined && pause > 0) await pauseFor(pause);
      return pause;
    },
  };
}
