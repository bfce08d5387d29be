/**
 * The provider versions that order reports of a ticket (src/services/webhooks/remote-version.ts):
 * the times Jira and ServiceNow really send, hostile values refused, and the rule itself: applied in
 * any order, reports leave the newest.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advancedVersion, isOlder, providerSequence, providerTime, type RemoteVersion, remoteVersion, type StoredVersion } from '../../src/services/webhooks/remote-version.ts';

describe('provider times and sequences', () => {
  it('reads Jira’s and ServiceNow’s own formats and epoch milliseconds', () => {
    expect(providerTime('2026-03-01T10:00:00.123+0000')?.toISOString()).toBe('2026-03-01T10:00:00.123Z');
    expect(providerTime('2026-03-01T15:30:00.000+0530')?.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(providerTime('2026-03-01T10:00:00.000-05:00')?.toISOString()).toBe('2026-03-01T15:00:00.000Z');
    expect(providerTime('2026-03-01T10:00:00Z')?.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    // ServiceNow's Table API and Business Rules (getValue): UTC, no zone written.
    expect(providerTime('2026-03-01 10:00:05')?.toISOString()).toBe('2026-03-01T10:00:05.000Z');
    expect(providerTime(Date.UTC(2026, 2, 1, 10))?.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(providerSequence('10042')).toBe(10042);
    expect(providerSequence(7)).toBe(7);
    expect(providerSequence(' 3 ')).toBe(3);
  });

  it('refuses what is not a real modification time or sequence', () => {
    for (const value of [
      '2026-02-30 10:00:00',
      '2026-13-01 00:00:00',
      '2026-03-01 24:00:00',
      '2026-03-01 10:00:61',
      '2026-03-01T10:00:00', // no zone: ambiguous
      '1999-12-31 23:59:59',
      '2200-01-01T00:00:00Z',
      'yesterday',
      '',
      Number.NaN,
      Number.POSITIVE_INFINITY,
      -1,
      1e20,
      null,
      undefined,
      {},
      ['2026-03-01 10:00:05'],
      true,
    ]) {
      expect(providerTime(value), String(value)).toBeNull();
    }
    for (const value of ['-1', '1.5', '1e3', '9999999999999999', 'abc', '', -1, 1.5, Number.NaN, null, {}, '٣']) {
      expect(providerSequence(value), String(value)).toBeNull();
    }
    expect(remoteVersion('not a time', '5')).toBeNull();
    expect(remoteVersion('2026-03-01 10:00:05', 'x')).toEqual({ at: new Date('2026-03-01T10:00:05Z'), sequence: null });
  });

  it('never throws, whatever the value', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const time = providerTime(value);
        expect(time === null || Number.isFinite(time.getTime())).toBe(true);
        const sequence = providerSequence(value);
        expect(sequence === null || Number.isSafeInteger(sequence)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ordering reports', () => {
  const at = (seconds: number) => new Date(Date.UTC(2026, 2, 1, 10, 0, seconds));
  const none: StoredVersion = { remoteChangedAt: null, remoteSequence: null };
  const stored = (seconds: number, sequence: number | null): StoredVersion => ({ remoteChangedAt: at(seconds), remoteSequence: sequence });

  it('is older only when the provider says so', () => {
    expect(isOlder({ at: at(1), sequence: null }, stored(2, null))).toBe(true);
    expect(isOlder({ at: at(2), sequence: 4 }, stored(2, 5))).toBe(true);
    expect(isOlder({ at: at(2), sequence: 5 }, stored(2, 5))).toBe(false);
    expect(isOlder({ at: at(3), sequence: 1 }, stored(2, 5))).toBe(false);
    // Not told: applied.
    expect(isOlder(null, stored(2, 5))).toBe(false);
    expect(isOlder({ at: at(1), sequence: 1 }, none)).toBe(false);
    expect(isOlder({ at: at(2), sequence: null }, stored(2, 5))).toBe(false);
    expect(isOlder({ at: at(2), sequence: 4 }, stored(2, null))).toBe(false);
  });

  it('keeps the newest version, and the highest sequence of the same instant', () => {
    expect(advancedVersion({ at: at(3), sequence: null }, stored(2, 9))).toEqual(stored(3, null));
    expect(advancedVersion({ at: at(2), sequence: 7 }, stored(2, 5))).toEqual(stored(2, 7));
    expect(advancedVersion({ at: at(2), sequence: null }, stored(2, 5))).toBeNull();
    expect(advancedVersion({ at: at(2), sequence: 5 }, stored(2, 5))).toBeNull();
    expect(advancedVersion({ at: at(1), sequence: 9 }, stored(2, 5))).toBeNull();
    expect(advancedVersion(null, stored(2, 5))).toBeNull();
    expect(advancedVersion({ at: at(1), sequence: 2 }, none)).toEqual(stored(1, 2));
  });

  it('applied in any order, fully versioned reports leave the newest applied last', () => {
    const version = fc.record({ seconds: fc.integer({ min: 0, max: 3 }), sequence: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(fc.uniqueArray(version, { minLength: 1, maxLength: 12, selector: (v) => `${v.seconds}:${v.sequence}` }), fc.infiniteStream(fc.nat()), (versions, picks) => {
        const reports: RemoteVersion[] = versions.map((v) => ({ at: at(v.seconds), sequence: v.sequence }));
        const pending = [...reports];
        const iterator = picks[Symbol.iterator]();
        let kept: StoredVersion = none;
        let lastApplied: RemoteVersion | null = null;
        while (pending.length > 0) {
          const [report] = pending.splice(iterator.next().value % pending.length, 1);
          if (isOlder(report!, kept)) continue;
          lastApplied = report!;
          kept = advancedVersion(report!, kept) ?? kept;
        }
        const newest = [...reports].sort((a, b) => a.at.getTime() - b.at.getTime() || a.sequence! - b.sequence!).at(-1)!;
        expect(lastApplied).toEqual(newest);
        expect(kept).toEqual({ remoteChangedAt: newest.at, remoteSequence: newest.sequence });
      }),
      { numRuns: 1000 },
    );
  });
});
