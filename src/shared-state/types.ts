/**
 * The contract for short-lived state that several processes must share: rate-limit budgets,
 * cached provider metadata, one-use OAuth `state` values, cross-process locks. Values are strings
 * (callers serialise) and everything expires: nothing here is a database.
 */

export interface LockHandle {
  readonly key: string;
  /** Random per acquisition; only the holder of this token can release or extend the lock. */
  readonly token: string;
  /** Pushes the expiry to `ttlMs` from now; false when the lock was already lost (expired and retaken). */
  extend(ttlMs: number): Promise<boolean>;
}

export interface WithLockOptions {
  /** How long to keep retrying before failing with SHARED_STATE_LOCK_TIMEOUT; default: the lock's ttl. */
  waitTimeoutMs?: number;
  /** First retry delay; doubles (with jitter) up to 500 ms. Default 25 ms. */
  retryDelayMs?: number;
}

export interface SharedState {
  get(key: string): Promise<string | null>;
  /**
   * How many ms the key has left before it expires; null when it is absent (or holds no expiry, which
   * no write through this interface leaves).
   */
  ttl(key: string): Promise<number | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Stores only when the key is absent; true when this call stored it (one-use tokens, locks). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Atomic get-and-delete: of several concurrent takers, exactly one gets the value. */
  take(key: string): Promise<string | null>;
  delete(key: string): Promise<void>;
  /**
   * Increments a counter and returns the new value. The expiry is set when the counter is created
   * and not moved by later increments, so it counts a fixed window.
   */
  incr(key: string, ttlMs: number): Promise<number>;
  /**
   * Runs `fn` while holding an exclusive lock on `key` (a namespace separate from `get`/`set` keys).
   * The lock expires after `ttlMs` even if its holder dies, so `ttlMs` must outlast `fn` or `fn`
   * must call `lock.extend`. Waits and retries until acquired, else rejects with SHARED_STATE_LOCK_TIMEOUT.
   */
  withLock<T>(key: string, ttlMs: number, fn: (lock: LockHandle) => Promise<T>, options?: WithLockOptions): Promise<T>;
  /** Where the state lives: readiness names Redis when it is the one that fails. */
  readonly backend: 'memory' | 'redis';
  /** Resolves when the store answers (a round trip to Redis; at once in process), else rejects. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
