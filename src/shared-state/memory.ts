/**
 * In-process SharedState for the single-process default (embedded database, worker in the same
 * process). TTLs are honoured lazily on read, with an occasional sweep so expired keys do not pile up.
 */
import {
  checkKey,
  checkTtl,
  checkValue,
  SHARED_STATE_CLOSED,
  SHARED_STATE_NOT_A_COUNTER,
  SharedStateError,
} from './errors.ts';
import { type LockPrimitives, withLock } from './lock.ts';
import type { SharedState } from './types.ts';

export interface MemorySharedStateOptions {
  /** Clock in ms; injectable so TTL tests need not sleep. */
  now?: () => number;
}

interface Entry {
  value: string;
  expiresAt: number;
}

const SWEEP_EVERY_WRITES = 256;

export function createMemorySharedState(options: MemorySharedStateOptions = {}): SharedState {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let writes = 0;
  let closed = false;

  const open = () => {
    if (closed) throw new SharedStateError(SHARED_STATE_CLOSED, 'shared state is closed');
  };
  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const write = (key: string, value: string, ttlMs: number) => {
    entries.set(key, { value, expiresAt: now() + ttlMs });
    if (++writes % SWEEP_EVERY_WRITES === 0) {
      const at = now();
      for (const [k, entry] of entries) if (entry.expiresAt <= at) entries.delete(k);
    }
  };

  // Everything below is synchronous between awaits, so each operation is atomic in one process.
  const primitives: LockPrimitives = {
    acquire: async (key, token, ttlMs) => {
      open();
      if (live(key)) return false;
      write(key, token, ttlMs);
      return true;
    },
    release: async (key, token) => {
      if (live(key)?.value !== token) return false;
      entries.delete(key);
      return true;
    },
    extend: async (key, token, ttlMs) => {
      open();
      const entry = live(key);
      if (entry?.value !== token) return false;
      entry.expiresAt = now() + ttlMs;
      return true;
    },
  };

  return {
    async get(key) {
      open();
      checkKey(key);
      return live(key)?.value ?? null;
    },
    async ttl(key) {
      open();
      checkKey(key);
      const entry = live(key);
      return entry ? entry.expiresAt - now() : null;
    },
    async set(key, value, ttlMs) {
      open();
      checkKey(key);
      checkValue(value);
      checkTtl(ttlMs);
      write(key, value, ttlMs);
    },
    async setIfAbsent(key, value, ttlMs) {
      open();
      checkKey(key);
      checkValue(value);
      checkTtl(ttlMs);
      if (live(key)) return false;
      write(key, value, ttlMs);
      return true;
    },
    async take(key) {
      open();
      checkKey(key);
      const entry = live(key);
      entries.delete(key);
      return entry?.value ?? null;
    },
    async delete(key) {
      open();
      checkKey(key);
      entries.delete(key);
    },
    async incr(key, ttlMs) {
      open();
      checkKey(key);
      checkTtl(ttlMs);
      const entry = live(key);
      if (!entry) {
        write(key, '1', ttlMs);
        return 1;
      }
      if (!/^-?\d+$/.test(entry.value)) {
        throw new SharedStateError(SHARED_STATE_NOT_A_COUNTER, `key '${key}' does not hold a counter`);
      }
      const next = Number(entry.value) + 1;
      entry.value = String(next);
      return next;
    },
    async withLock(key, ttlMs, fn, lockOptions) {
      open();
      return withLock(primitives, key, ttlMs, fn, lockOptions);
    },
    backend: 'memory',
    async ping() {
      open();
    },
    async close() {
      closed = true;
      entries.clear();
    },
  };
}
