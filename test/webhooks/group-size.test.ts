/** How the ingest's group commit sizes a group: by count, and by the payload bytes it carries. */
import { describe, expect, it } from 'vitest';
import { groupSize } from '../../src/services/webhooks/ingest.ts';

const waiting = (...sizes: (number | null)[]) => sizes.map((size) => ({ row: { payload: size === null ? null : Buffer.alloc(size) } }));

describe('groupSize', () => {
  it('takes every waiting delivery up to the count', () => {
    expect(groupSize(waiting(10, 10, 10), 500, 1000)).toBe(3);
    expect(groupSize(waiting(10, 10, 10), 2, 1000)).toBe(2);
    expect(groupSize([], 500, 1000)).toBe(0);
  });

  it('stops once the payloads reach the byte budget, the delivery that reached it included', () => {
    expect(groupSize(waiting(400, 400, 400, 400), 500, 1000)).toBe(3);
    expect(groupSize(waiting(1000, 1, 1), 500, 1000)).toBe(1);
    expect(groupSize(waiting(null, null, 999, 1, 1), 500, 1000)).toBe(4);
  });

  it('always takes one, even a delivery larger than the budget', () => {
    expect(groupSize(waiting(5000, 10), 500, 1000)).toBe(1);
  });
});
