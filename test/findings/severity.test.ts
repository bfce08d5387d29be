import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSeverity, severityFromCvss, severityLevels } from '../../src/domain/severity.ts';

describe('severity', () => {
  it('maps CVSS scores to the qualitative rating', () => {
    expect(severityFromCvss(10)).toBe('critical');
    expect(severityFromCvss(9.0)).toBe('critical');
    expect(severityFromCvss(8.9)).toBe('high');
    expect(severityFromCvss(7.0)).toBe('high');
    expect(severityFromCvss(6.9)).toBe('medium');
    expect(severityFromCvss(4.0)).toBe('medium');
    expect(severityFromCvss(3.9)).toBe('low');
    expect(severityFromCvss(0.1)).toBe('low');
    expect(severityFromCvss(0)).toBe('info');
    expect(() => severityFromCvss(10.1)).toThrow(RangeError);
    expect(() => severityFromCvss(Number.NaN)).toThrow(RangeError);
  });

  it('is monotonic in the score (property)', () => {
    const rank = (score: number) => severityLevels.indexOf(severityFromCvss(score));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (a, b) => {
        const [lo, hi] = a <= b ? [a / 10, b / 10] : [b / 10, a / 10];
        return rank(hi) <= rank(lo);
      }),
    );
  });

  it('accepts scanner spellings case-insensitively', () => {
    expect(parseSeverity('CRITICAL')).toBe('critical');
    expect(parseSeverity(' High ')).toBe('high');
    expect(parseSeverity('Moderate')).toBe('medium');
    expect(parseSeverity('informational')).toBe('info');
    expect(parseSeverity('NEGLIGIBLE')).toBe('info');
    expect(parseSeverity('urgent')).toBeNull();
    for (const level of severityLevels) expect(parseSeverity(level.toUpperCase())).toBe(level);
  });
});
