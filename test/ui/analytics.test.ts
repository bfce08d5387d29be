/** The analytics page's arithmetic (web/src/pages/analytics.ts): from the API's view, and the fallback from findings. */
import { describe, expect, it } from 'vitest';
import type { AnalyticsView, Finding } from '../../web/src/api/types.ts';
import { computeMetrics, fromView } from '../../web/src/pages/analytics.ts';

const zero = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };

describe('analytics metrics', () => {
  it('walks the open count back from now through each bucket and accumulates resolved', () => {
    const view: AnalyticsView = {
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-04T00:00:00.000Z',
      bucket: 'day',
      target: null,
      buckets: [
        { start: '2026-11-01T00:00:00.000Z', opened: { ...zero, high: 3 }, resolved: zero },
        { start: '2026-11-02T00:00:00.000Z', opened: { ...zero, low: 1 }, resolved: { ...zero, high: 2 } },
        { start: '2026-11-03T00:00:00.000Z', opened: zero, resolved: { ...zero, low: 1 } },
      ],
      states: [
        { state: 'todo', by_severity: { ...zero, high: 1 }, total: 1 },
        { state: 'done', by_severity: { ...zero, high: 2, low: 1 }, total: 3 },
      ],
      time_to_resolve: [{ severity: 'high', resolved: 2, mean_seconds: 86_400 * 1.5, p90_seconds: 86_400 * 2 }],
      open_breaches: { ...zero, high: 1 },
      targets: [{ target: 'repo', open: 1, opened: 4, resolved: 3, open_breaches: 1 }],
    };
    const metrics = fromView(view);
    expect(metrics.overTime).toEqual([
      { date: '2026-11-01', open: 3, resolved: 0 },
      { date: '2026-11-02', open: 2, resolved: 2 },
      { date: '2026-11-03', open: 1, resolved: 3 },
    ]);
    expect(metrics.timeToResolve.find((row) => row.severity === 'high')).toEqual({ severity: 'high', mean: 1.5, p90: 2, count: 2 });
    expect(metrics.breaches.find((row) => row.severity === 'high')?.open).toBe(1);
    expect(metrics.perTarget).toEqual([{ target: 'repo', open: 1, resolved: 3, breached: 1 }]);
  });

  it('computes the same series from findings when the service has no analytics endpoint', () => {
    const now = Date.parse('2026-11-10T12:00:00.000Z');
    const day = (n: number) => new Date(Date.parse('2026-11-10T00:00:00.000Z') - n * 86_400_000 + 3_600_000).toISOString();
    const finding = (severity: Finding['severity'], seen: number, resolved: number | null): Finding =>
      ({ severity, first_seen_at: day(seen), resolved_at: resolved === null ? null : day(resolved), state: resolved === null ? 'todo' : 'done', repo_url: 'repo' }) as Finding;
    const metrics = computeMetrics([finding('critical', 20, null), finding('high', 2, 1), finding('high', 1, null)], now, 3);
    expect(metrics.overTime).toEqual([
      { date: '2026-11-08', open: 2, resolved: 0 },
      { date: '2026-11-09', open: 2, resolved: 1 },
      { date: '2026-11-10', open: 2, resolved: 1 },
    ]);
    expect(metrics.breaches.find((row) => row.severity === 'critical')?.open).toBe(1); // 20 days > 7-day SLA
    expect(metrics.timeToResolve.find((row) => row.severity === 'high')).toMatchObject({ mean: 1, count: 1 });
    expect(metrics.perTarget).toEqual([{ target: 'repo', open: 2, resolved: 1, breached: 1 }]);
  });
});
