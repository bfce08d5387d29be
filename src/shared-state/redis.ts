/**
 * SharedState on Redis, for when several API and worker processes run side by side. Each
 * operation is one atomic command (SET NX PX, GETDEL) or a short Lua script, so there is no
 * read-then-write window between processes.
 */
import { Redis, type RedisOptions } from 'ioredis';
import {
  checkKey,
  checkTtl,
  checkValue,
  SHARED_STATE_NOT_A_COUNTER,
  SHARED_STATE_UNAVAILABLE,
  SharedStateError,
} from './errors.ts';
import { type LockPrimitives, withLock } from './lock.ts';
import type { SharedState } from './types.ts';

export interface RedisSharedStateOptions {
  /** Prepended to every key, so several deployments (or test runs) can share one Redis. */
  keyPrefix?: string;
  /** Extra ioredis options; the URL and keyPrefix above take precedence. */
  redis?: RedisOptions;
}

// The expiry is set only when the counter is new, so later increments do not stretch the window.
const INCR_SCRIPT = `
local value = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return value`;
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const EXTEND_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const PING_TIMEOUT_MS = 2000;

export function createRedisSharedState(url: string, options: RedisSharedStateOptions = {}): SharedState {
  const client = new Redis(url, {
    // Fail a command after a few reconnect attempts rather than queueing it forever.
    maxRetriesPerRequest: 3,
    ...options.redis,
    keyPrefix: options.keyPrefix ?? options.redis?.keyPrefix ?? '',
  });
  // ioredis reports connection trouble as 'error' events; without a listener node would crash the process.
  // Commands still reject, and that is where callers see the failure.
  client.on('error', () => {});

  const run = async <T>(operation: string, command: () => Promise<T>): Promise<T> => {
    try {
      return await command();
    } catch (error) {
      if (error instanceof SharedStateError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (/not an integer/i.test(message)) {
        throw new SharedStateError(SHARED_STATE_NOT_A_COUNTER, 'key does not hold a counter', { cause: error });
      }
      throw new SharedStateError(SHARED_STATE_UNAVAILABLE, `redis ${operation} failed`, { cause: error });
    }
  };

  const primitives: LockPrimitives = {
    acquire: (key, token, ttlMs) => run('lock', async () => (await client.set(key, token, 'PX', ttlMs, 'NX')) === 'OK'),
    release: (key, token) => run('unlock', async () => Number(await client.eval(RELEASE_SCRIPT, 1, key, token)) === 1),
    extend: (key, token, ttlMs) =>
      run('extend lock', async () => Number(await client.eval(EXTEND_SCRIPT, 1, key, token, ttlMs)) === 1),
  };

  return {
    async get(key) {
      checkKey(key);
      return run('get', () => client.get(key));
    },
    async ttl(key) {
      checkKey(key);
      // PTTL: -2 when the key is absent, -1 when it has no expiry.
      const remaining = await run('pttl', () => client.pttl(key));
      return remaining >= 0 ? remaining : null;
    },
    async set(key, value, ttlMs) {
      checkKey(key);
      checkValue(value);
      checkTtl(ttlMs);
      await run('set', () => client.set(key, value, 'PX', ttlMs));
    },
    async setIfAbsent(key, value, ttlMs) {
      checkKey(key);
      checkValue(value);
      checkTtl(ttlMs);
      return run('set', async () => (await client.set(key, value, 'PX', ttlMs, 'NX')) === 'OK');
    },
    async take(key) {
      checkKey(key);
      return run('getdel', () => client.getdel(key));
    },
    async delete(key) {
      checkKey(key);
      await run('del', () => client.del(key));
    },
    async incr(key, ttlMs) {
      checkKey(key);
      checkTtl(ttlMs);
      return run('incr', async () => Number(await client.eval(INCR_SCRIPT, 1, key, ttlMs)));
    },
    async withLock(key, ttlMs, fn, lockOptions) {
      return withLock(primitives, key, ttlMs, fn, lockOptions);
    },
    backend: 'redis',
    async ping() {
      // Bounded: with Redis down ioredis would keep the command queued while it reconnects.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SharedStateError(SHARED_STATE_UNAVAILABLE, 'redis ping timed out')), PING_TIMEOUT_MS);
      });
      try {
        await Promise.race([run('ping', () => client.ping()), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
