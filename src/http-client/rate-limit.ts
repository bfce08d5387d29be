/**
 * The rate-limit pieces every provider client shares (Jira, ServiceNow): a concurrency cap per
 * connection in this process (a semaphore, from a registry: one registry per process is what makes
 * the cap per process), a "paused until" time in SharedState that every process reads before calling
 * (so one 429 holds back every caller of the connection instead of each discovering the limit on its
 * own), and the 429 loop that waits a refusal out within a total budget and then gives up with the
 * provider's own error. What a provider's headers mean (which pause a 429 or an exhausted budget
 * asks for) stays in the provider's folder.
 */
import type { SharedState } from '../shared-state/index.ts';

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

/** Semaphores by connection key. */
export interface LimiterRegistry {
  semaphore(key: string, limit: number): Semaphore;
}

export function createLimiterRegistry(): LimiterRegistry {
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

/** A shared pause longer than the caller's budget: not waited for. */
export class RateLimitWaitTooLong extends Error {
  readonly waitMs: number;
  constructor(waitMs: number) {
    super(`rate-limit pause of ${waitMs} ms exceeds the wait budget`);
    this.waitMs = waitMs;
  }
}

export interface PauseGateOptions {
  /** The SharedState key holding the "paused until" epoch ms (per provider and connection). */
  stateKey: string;
  sharedState: SharedState;
  /** A pause longer than this is not waited for: RateLimitWaitTooLong. */
  maxPauseMs: number;
  /** Random extra wait after a pause of `leftMs`, so the waiters it releases do not arrive as one burst. */
  jitterMs(leftMs: number, random: number): number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface PauseGate {
  /** Ms left of the shared pause, 0 when calls may go. */
  pausedForMs(): Promise<number>;
  /** Records a pause for every caller of this connection (keeps a later one already set). */
  pauseFor(ms: number): Promise<void>;
  /** Waits until no pause is set; throws RateLimitWaitTooLong for a pause over the budget. */
  waitOut(): Promise<void>;
}

export function createPauseGate(options: PauseGateOptions): PauseGate {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;

  async function pausedForMs(): Promise<number> {
    const until = Number((await options.sharedState.get(options.stateKey)) ?? 0);
    return Math.max(0, until - now());
  }

  return {
    pausedForMs,
    async pauseFor(ms) {
      if (ms <= 0) return;
      const until = now() + ms;
      const current = Number((await options.sharedState.get(options.stateKey)) ?? 0);
      // Races between processes only ever lose a shorter pause to a longer one or vice versa by a few ms.
      if (current >= until) return;
      await options.sharedState.set(options.stateKey, String(until), ms + 1000);
    },
    async waitOut() {
      for (;;) {
        const left = await pausedForMs();
        if (left <= 0) return;
        if (left > options.maxPauseMs) throw new RateLimitWaitTooLong(left);
        await sleep(left + options.jitterMs(left, random()));
      }
    },
  };
}

/**
 * Sends until the answer is not a 429: each 429 has already set the shared pause (through `send`'s
 * observation), which the next `send` waits out in its limiter. Gives up with `tooLong(waitMs)` when
 * the total wait would pass `maxWaitMs` or a shared pause is over the budget. Default wait 1 s when a
 * 429 named none.
 */
export async function sendThrough429<R extends { status: number }>(options: {
  maxWaitMs: number;
  send(): Promise<{ response: R; pause: number | undefined }>;
  tooLong(waitMs: number): Error;
  onWait(waitMs: number): void;
}): Promise<{ response: R; pause: number | undefined }> {
  const started = Date.now();
  for (;;) {
    let answer: { response: R; pause: number | undefined };
    try {
      answer = await options.send();
    } catch (error) {
      if (error instanceof RateLimitWaitTooLong) throw options.tooLong(error.waitMs);
      throw error;
    }
    if (answer.response.status !== 429) return answer;
    const waited = Date.now() - started;
    const wait = answer.pause ?? 1000;
    if (waited + wait > options.maxWaitMs) throw options.tooLong(wait);
    options.onWait(wait);
  }
}
