/** The side-by-side comparison's arithmetic: which summary fields it compares, and their medians. */
import { describe, expect, it } from 'vitest';
import { flatten } from '../../bench/compare.ts';
import { median } from '../../bench/lib/stats.ts';

describe('bench:compare', () => {
  it('flattens a summary to its finite numeric leaves by dotted path', () => {
    expect(flatten({ ok: true, wall_ms: 12.5, embedded: { jobs_per_s: 900, open_ms: 40, note: 'x' }, list: [1, 2], nan: Number.NaN, none: null })).toEqual({
      wall_ms: 12.5,
      'embedded.jobs_per_s': 900,
      'embedded.open_ms': 40,
    });
  });

  it('takes the median of odd and even counts without reordering its input', () => {
    const values = [5, 1, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
