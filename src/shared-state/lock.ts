/**
 * `withLock` written once over three owner-checked primitives that each implementation supplies
 * atomically. The random token is what makes release safe: a holder whose lock expired and was
 * taken by someone else cannot delete the new holder's lock.
 */
import { randomBytes } from 'node:crypto';
import { checkKey, checkTtl, SHARED_STATE_LOCK_TIMEOUT, SharedStateError } from './errors.ts';
import type { LockHandle, WithLockOptions } from './types.ts';

export interface LockPrimitives {
  acquire(key: string, token: string, ttlMs: number): Promise<boolean>;
  release(key: string, token: string): Promise<boolean>;
  extend(key: string, token: string, ttlMs: number): Promise<boolean>;
}

const MAX_RETRY_DELAY_MS = 500;

/** Lock keys live apart from data keys so `withLock('x')` and `set('x')` never collide. */
export function lockKey(key: string): string {
  return `lock:${key}`;
}

export async function withLock<T>(
  primitives: LockPrimitives,
  key: string,
  ttlMs: number,
  fn: (lock: LockHandle) => Promise<T>,
  options: WithLockOptions = {},
): Promise<T> {
  checkKey(key);
  checkTtl(ttlMs);
  const storeKey = lockKey(key);
  const token = randomBytes(16).toString('base64url');
  const waitTimeoutMs = options.waitTimeoutMs ?? ttlMs;
  const deadline = performance.now() + waitTimeoutMs;
  let delay = Math.max(1, options.retryDelayMs ?? 25);
  while (!(await primitives.acquire(storeKey, token, ttlMs))) {
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      throw new SharedStateError(SHARED_STATE_LOCK_TIMEOUT, `lock '${key}' not acquired within ${waitTimeoutMs} ms`);
    }
    // Jitter spreads out waiters that all saw the lock free up at the same moment.
    const sleep = Math.min(remaining, delay / 2 + Math.random() * (delay / 2));
    await new Promise((resolve) => setTimeout(resolve, sleep));
    delay = Math.min(MAX_RETRY_DELAY_MS, delay * 2);
  }
  const handle: LockHandle = {
    key,
    token,
    extend: (extendTtlMs: number) => {
      checkTtl(extendTtlMs);
      return primitives.extend(storeKey, token, extendTtlMs);
    },
  };
  try {
    return await fn(handle);
  } finally {
    await primitives.release(storeKey, token);
  }
}
