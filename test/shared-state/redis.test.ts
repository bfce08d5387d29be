import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisSharedState, SHARED_STATE_UNAVAILABLE } from '../../src/shared-state/index.ts';
import { describeSharedState } from './shared-state.case.ts';

// A fixed test instance; the URL is an argument to the module, never read from the environment there.
const REDIS_URL = 'redis://127.0.0.1:6379';
// One random prefix per run, so leftovers from a crashed run never clash and cleanup finds all keys.
const RUN_PREFIX = `test:shared-state:${randomBytes(6).toString('hex')}:`;
let instance = 0;
const nextPrefix = () => `${RUN_PREFIX}${++instance}:`;

// These tests need a real Redis (README, "Tests": `npm test` expects PostgreSQL and Redis). Say so
// up front instead of letting each test time out on a connection error.
let redisAvailable = false;
beforeAll(async () => {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    redisAvailable = true;
  } catch (error) {
    throw new Error(
      `The Redis contract tests need Redis at ${REDIS_URL} and none answered (${(error as Error).message}). ` +
        'Start one (e.g. `redis-server` or `docker run -p 6379:6379 redis:7`); README.md lists the services `npm test` expects.',
      { cause: error },
    );
  } finally {
    probe.disconnect();
  }
});

afterAll(async () => {
  if (!redisAvailable) return;
  const raw = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', `${RUN_PREFIX}*`, 'COUNT', 500);
    if (keys.length > 0) await raw.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await raw.quit();
});

describeSharedState('redis', async () => createRedisSharedState(REDIS_URL, { keyPrefix: nextPrefix() }));

describe('redis shared state', () => {
  it('stores keys under the prefix with a real expiry', async () => {
    const prefix = nextPrefix();
    const state = createRedisSharedState(REDIS_URL, { keyPrefix: prefix });
    const raw = new Redis(REDIS_URL);
    try {
      await state.set('k', 'v', 60_000);
      await state.incr('n', 60_000);
      expect(await raw.get(`${prefix}k`)).toBe('v');
      expect(await raw.pttl(`${prefix}n`)).toBeGreaterThan(50_000);
    } finally {
      await state.close();
      await raw.quit();
    }
  });

  it('two clients racing for one lock never hold it at the same time', async () => {
    const prefix = nextPrefix();
    const a = createRedisSharedState(REDIS_URL, { keyPrefix: prefix });
    const b = createRedisSharedState(REDIS_URL, { keyPrefix: prefix });
    let holders = 0;
    let maxHolders = 0;
    const acquisitions: string[] = [];
    const work = (client: typeof a, name: string) =>
      client.withLock(
        'refresh:conn-42',
        5000,
        async () => {
          holders++;
          maxHolders = Math.max(maxHolders, holders);
          acquisitions.push(name);
          await new Promise((resolve) => setTimeout(resolve, 15));
          holders--;
        },
        { waitTimeoutMs: 10_000, retryDelayMs: 5 },
      );
    try {
      await Promise.all([0, 1, 2, 3, 4, 5].flatMap(() => [work(a, 'a'), work(b, 'b')]));
      expect(maxHolders).toBe(1);
      expect(acquisitions.filter((name) => name === 'a')).toHaveLength(6);
      expect(acquisitions.filter((name) => name === 'b')).toHaveLength(6);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('one-use state: two clients take the same value, exactly one gets it', async () => {
    const prefix = nextPrefix();
    const a = createRedisSharedState(REDIS_URL, { keyPrefix: prefix });
    const b = createRedisSharedState(REDIS_URL, { keyPrefix: prefix });
    try {
      await a.set('oauth:xyz', 'user-1', 60_000);
      const [fromA, fromB] = await Promise.all([a.take('oauth:xyz'), b.take('oauth:xyz')]);
      expect([fromA, fromB].filter((value) => value !== null)).toEqual(['user-1']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('ping answers when Redis does, and rejects within its bound when Redis is unreachable', async () => {
    const up = createRedisSharedState(REDIS_URL, { keyPrefix: nextPrefix() });
    const down = createRedisSharedState('redis://127.0.0.1:1');
    try {
      expect(up.backend).toBe('redis');
      await expect(up.ping()).resolves.toBeUndefined();
      await expect(down.ping()).rejects.toMatchObject({ code: SHARED_STATE_UNAVAILABLE });
    } finally {
      await up.close();
      await down.close();
    }
  });

  it('fails with a coded error when Redis is unreachable', async () => {
    const state = createRedisSharedState('redis://127.0.0.1:1', {
      redis: { maxRetriesPerRequest: 0, retryStrategy: () => null },
    });
    try {
      await expect(state.get('k')).rejects.toMatchObject({ code: SHARED_STATE_UNAVAILABLE });
    } finally {
      await state.close();
    }
  });
});
