/**
 * The contract every SharedState implementation must meet; each implementation's test file calls
 * `describeSharedState` with a factory. Timing tests use real sleeps of tens of ms so they also
 * exercise Redis' own expiry.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  SHARED_STATE_INVALID_ARGUMENT,
  SHARED_STATE_LOCK_TIMEOUT,
  SHARED_STATE_NOT_A_COUNTER,
  type SharedState,
} from '../../src/shared-state/index.ts';

export type SharedStateFactory = () => Promise<SharedState>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeSharedState(name: string, create: SharedStateFactory): void {
  describe(`SharedState contract: ${name}`, () => {
    const opened: SharedState[] = [];
    const open = async () => {
      const state = await create();
      opened.push(state);
      return state;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((state) => state.close()));
    });

    it('gets, sets, overwrites and deletes', async () => {
      const state = await open();
      expect(await state.get('missing')).toBeNull();
      await state.set('k', 'v1', 10_000);
      expect(await state.get('k')).toBe('v1');
      await state.set('k', 'v2', 10_000);
      expect(await state.get('k')).toBe('v2');
      await state.delete('k');
      expect(await state.get('k')).toBeNull();
      await state.delete('k');
    });

    it('expires values after their ttl', async () => {
      const state = await open();
      await state.set('short', 'v', 40);
      await state.set('long', 'v', 10_000);
      await sleep(80);
      expect(await state.get('short')).toBeNull();
      expect(await state.get('long')).toBe('v');
    });

    it('ttl tells how long a value has left, and null once it is gone or was never set', async () => {
      const state = await open();
      expect(await state.ttl('missing')).toBeNull();
      await state.set('k', 'v', 10_000);
      const left = await state.ttl('k');
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(10_000);
      await state.set('k', 'v', 3_000);
      expect(await state.ttl('k')).toBeLessThanOrEqual(3_000);
      await state.set('short', 'v', 40);
      await sleep(80);
      expect(await state.ttl('short')).toBeNull();
      await state.set('deleted', 'v', 10_000);
      await state.delete('deleted');
      expect(await state.ttl('deleted')).toBeNull();
    });

    it('setIfAbsent stores only once until the value expires', async () => {
      const state = await open();
      expect(await state.setIfAbsent('once', 'a', 40)).toBe(true);
      expect(await state.setIfAbsent('once', 'b', 40)).toBe(false);
      expect(await state.get('once')).toBe('a');
      await sleep(80);
      expect(await state.setIfAbsent('once', 'c', 1000)).toBe(true);
      expect(await state.get('once')).toBe('c');
    });

    it('setIfAbsent lets exactly one of many concurrent callers win', async () => {
      const state = await open();
      const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => state.setIfAbsent('race', `${i}`, 10_000)));
      expect(wins.filter(Boolean)).toHaveLength(1);
    });

    it('take returns the value once and deletes it', async () => {
      const state = await open();
      await state.set('oauth-state', 'user-1', 10_000);
      const results = await Promise.all(Array.from({ length: 10 }, () => state.take('oauth-state')));
      expect(results.filter((value) => value !== null)).toEqual(['user-1']);
      expect(await state.get('oauth-state')).toBeNull();
      expect(await state.take('never-set')).toBeNull();
    });

    it('take does not return an expired value', async () => {
      const state = await open();
      await state.set('gone', 'v', 30);
      await sleep(60);
      expect(await state.take('gone')).toBeNull();
    });

    it('incr counts a fixed window', async () => {
      const state = await open();
      expect(await state.incr('window', 300)).toBe(1);
      await sleep(100);
      expect(await state.incr('window', 300)).toBe(2);
      // Increments must not push the expiry out: the window closes 300 ms after the first one,
      // not 300 ms after the latest (which would still be open at 350 ms).
      await sleep(250);
      expect(await state.incr('window', 300)).toBe(1);
    });

    it('incr is atomic under concurrency', async () => {
      const state = await open();
      const values = await Promise.all(Array.from({ length: 50 }, () => state.incr('hits', 10_000)));
      expect(new Set(values).size).toBe(50);
      expect(Math.max(...values)).toBe(50);
    });

    it('incr refuses a key that holds text', async () => {
      const state = await open();
      await state.set('text', 'hello', 10_000);
      await expect(state.incr('text', 10_000)).rejects.toMatchObject({ code: SHARED_STATE_NOT_A_COUNTER });
    });

    it('rejects bad arguments with a coded error', async () => {
      const state = await open();
      await expect(state.set('k', 'v', 0)).rejects.toMatchObject({ code: SHARED_STATE_INVALID_ARGUMENT });
      await expect(state.set('', 'v', 10)).rejects.toMatchObject({ code: SHARED_STATE_INVALID_ARGUMENT });
      await expect(state.incr('k', 1.5)).rejects.toMatchObject({ code: SHARED_STATE_INVALID_ARGUMENT });
    });

    it('withLock runs one holder at a time and returns the result', async () => {
      const state = await open();
      let inside = 0;
      let maxInside = 0;
      const order: number[] = [];
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          state.withLock(
            'refresh:conn-1',
            5000,
            async () => {
              inside++;
              maxInside = Math.max(maxInside, inside);
              await sleep(10);
              order.push(i);
              inside--;
              return i * 10;
            },
            { waitTimeoutMs: 5000, retryDelayMs: 5 },
          ),
        ),
      );
      expect(maxInside).toBe(1);
      expect(results).toEqual([0, 10, 20, 30, 40]);
      expect(order.sort()).toEqual([0, 1, 2, 3, 4]);
    });

    it('withLock releases when fn throws, and keeps lock keys apart from data keys', async () => {
      const state = await open();
      await state.set('job', 'data', 10_000);
      await expect(
        state.withLock('job', 5000, async () => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await state.withLock('job', 5000, async () => 'again', { waitTimeoutMs: 0 })).toBe('again');
      expect(await state.get('job')).toBe('data');
    });

    it('withLock times out with a coded error while another holds the lock', async () => {
      const state = await open();
      let release!: () => void;
      const held = state.withLock('busy', 5000, () => new Promise<void>((resolve) => (release = resolve)));
      await sleep(10);
      const started = performance.now();
      await expect(
        state.withLock('busy', 5000, async () => 'never', { waitTimeoutMs: 100, retryDelayMs: 10 }),
      ).rejects.toMatchObject({ code: SHARED_STATE_LOCK_TIMEOUT });
      expect(performance.now() - started).toBeLessThan(1000);
      release();
      await held;
    });

    it('an expired holder cannot release the lock its successor now holds', async () => {
      const state = await open();
      let releaseFirst!: () => void;
      const first = state.withLock('short-lock', 40, async (lock) => {
        await new Promise<void>((resolve) => (releaseFirst = resolve));
        return lock.extend(1000);
      });
      await sleep(80); // the first holder's lock has expired
      let releaseSecond!: () => void;
      let secondHolding = false;
      const second = state.withLock('short-lock', 5000, async () => {
        secondHolding = true;
        await new Promise<void>((resolve) => (releaseSecond = resolve));
      });
      await sleep(20);
      expect(secondHolding).toBe(true);
      releaseFirst();
      expect(await first).toBe(false); // extend reports the loss
      // The first holder's release must not have freed the second holder's lock.
      await expect(
        state.withLock('short-lock', 1000, async () => 'stolen', { waitTimeoutMs: 50, retryDelayMs: 10 }),
      ).rejects.toMatchObject({ code: SHARED_STATE_LOCK_TIMEOUT });
      releaseSecond();
      await second;
    });

    it('extend keeps a long-running holder in possession', async () => {
      const state = await open();
      const outcome = await state.withLock('long', 200, async (lock) => {
        for (let i = 0; i < 4; i++) {
          await sleep(100);
          if (!(await lock.extend(200))) return 'lost';
        }
        return 'kept';
      });
      expect(outcome).toBe('kept');
    });
  });
}
