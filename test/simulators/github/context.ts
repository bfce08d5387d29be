/**
 * The simulator's shared context handed to every route plugin: state, URLs (known once listening),
 * the rate limiter, the fault injector, webhooks, and a tracker for background work (webhook payload
 * building and delivery) so tests can wait until everything a request triggered has happened.
 */
import type { FaultInjector } from '../common/faults.ts';
import type { AppRecord } from './app-auth.ts';
import type { RequestLog } from '../common/request-log.ts';
import type { RateLimiter } from './rate-limits.ts';
import type { Urls } from './render.ts';
import type { SimState } from './state.ts';
import type { WebhookDispatcher } from './webhooks.ts';

export interface SimContext {
  state: SimState;
  /** The GitHub App (JWT and installation tokens), when the simulator has one. */
  app: AppRecord | null;
  urls: Urls;
  reposDir: string;
  webhooks: WebhookDispatcher;
  limits: RateLimiter;
  faults: FaultInjector;
  requestLog: RequestLog | null;
  /** Runs `work` without making the caller wait, but keeps it visible to `settle()`. */
  background(work: () => Promise<void>): void;
  settle(): Promise<void>;
  /** Serialises writes per repository so compare-and-swap checks and ref updates do not interleave. */
  withRepoLock<T>(repo: string, work: () => Promise<T>): Promise<T>;
}

export function createBackgroundTracker(onError: (error: unknown) => void): Pick<SimContext, 'background' | 'settle'> {
  const pending = new Set<Promise<void>>();
  return {
    background(work) {
      const promise = work().catch(onError);
      pending.add(promise);
      void promise.finally(() => pending.delete(promise));
    },
    async settle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

export function createRepoLocks(): SimContext['withRepoLock'] {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(repo: string, work: () => Promise<T>): Promise<T> => {
    const key = repo.toLowerCase();
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
