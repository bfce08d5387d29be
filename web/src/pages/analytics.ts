/**
 * Resolution metrics for the charts, from GET /api/v1/analytics, or, on a service without that
 * endpoint, computed from the findings list with the default SLA policy.
 */
import type { AnalyticsView, Finding, Severity } from '../api/types.ts';
import { findingSla, severityOrder } from '../components/format.ts';

const DAY = 86_400_000;

export interface Metrics {
  /** Per day: findings open at its end, and findings resolved since the start of the range. */
  overTime: { date: string; open: number; resolved: number }[];
  /** Days from first seen to resolved, mean and 90th percentile. */
  timeToResolve: { severity: Severity; mean: number; p90: number; count: number }[];
  /** Open findings past their SLA due date. */
  breaches: { severity: Severity; open: number }[];
  perTarget: { target: string; open: number; resolved: number; breached: number }[];
}

const sum = (values: Record<string, number>) => Object.values(values).reduce((total, value) => total + value, 0);
const days = (seconds: number | null) => (seconds === null ? 0 : Math.round((seconds / 86_400) * 10) / 10);

/** Open at the end of each bucket, walking back from the open count now; resolved, accumulated. */
function openAndResolved(buckets: { date: string; opened: number; resolved: number }[], openNow: number): Metrics['overTime'] {
  const open: number[] = new Array<number>(buckets.length).fill(0);
  let current = openNow;
  for (let index = buckets.length - 1; index >= 0; index -= 1) {
    open[index] = Math.max(0, current);
    current -= buckets[index]!.opened - buckets[index]!.resolved;
  }
  let resolved = 0;
  return buckets.map((bucket, index) => {
    resolved += bucket.resolved;
    return { date: bucket.date, open: open[index]!, resolved };
  });
}

const closedStates = new Set(['done', 'wont_fix']);

export function fromView(view: AnalyticsView): Metrics {
  const openNow = view.states.filter((row) => !closedStates.has(row.state)).reduce((total, row) => total + row.total, 0);
  return {
    overTime: openAndResolved(
      view.buckets.map((bucket) => ({ date: bucket.start.slice(0, 10), opened: sum(bucket.opened), resolved: sum(bucket.resolved) })),
      openNow,
    ),
    timeToResolve: severityOrder.map((severity) => {
      const row = view.time_to_resolve.find((entry) => entry.severity === severity);
      return { severity, mean: days(row?.mean_seconds ?? null), p90: days(row?.p90_seconds ?? null), count: row?.resolved ?? 0 };
    }),
    breaches: severityOrder.map((severity) => ({ severity, open: view.open_breaches[severity] ?? 0 })),
    perTarget: view.targets.slice(0, 10).map((row) => ({ target: row.target, open: row.open, resolved: row.resolved, breached: row.open_breaches })),
  };
}

function isResolved(finding: Finding): boolean {
  return finding.resolved_at !== null || finding.state === 'done' || finding.state === 'wont_fix';
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * p;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

const dayKey = (time: number) => new Date(time).toISOString().slice(0, 10);

export function computeMetrics(findings: Finding[], now = Date.now(), span = 30): Metrics {
  const start = Math.floor(now / DAY) * DAY - (span - 1) * DAY;
  const perDay = Array.from({ length: span }, (_, index) => ({ date: dayKey(start + index * DAY), opened: 0, resolved: 0 }));
  for (const finding of findings) {
    const opened = Math.floor((new Date(finding.first_seen_at).getTime() - start) / DAY);
    if (opened >= 0 && opened < span) perDay[opened]!.opened += 1;
    if (finding.resolved_at) {
      const resolved = Math.floor((new Date(finding.resolved_at).getTime() - start) / DAY);
      if (resolved >= 0 && resolved < span) perDay[resolved]!.resolved += 1;
    }
  }
  const overTime = openAndResolved(perDay, findings.filter((finding) => !isResolved(finding)).length);
  const timeToResolve = severityOrder.map((severity) => {
    const durations = findings
      .filter((finding) => finding.severity === severity && finding.resolved_at)
      .map((finding) => (new Date(finding.resolved_at!).getTime() - new Date(finding.first_seen_at).getTime()) / DAY);
    const mean = durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : 0;
    return { severity, mean: Math.round(mean * 10) / 10, p90: Math.round(percentile(durations, 0.9) * 10) / 10, count: durations.length };
  });
  const breaches = severityOrder.map((severity) => ({
    severity,
    open: findings.filter((finding) => finding.severity === severity && !isResolved(finding) && findingSla(finding).breached).length,
  }));
  const targets = new Map<string, { open: number; resolved: number; breached: number }>();
  for (const finding of findings) {
    const target = finding.repo_url ?? (finding.framework ? `${finding.framework} (audit)` : (finding.source ?? 'unknown'));
    const entry = targets.get(target) ?? { open: 0, resolved: 0, breached: 0 };
    if (isResolved(finding)) entry.resolved += 1;
    else {
      entry.open += 1;
      if (findingSla(finding).breached) entry.breached += 1;
    }
    targets.set(target, entry);
  }
  const perTarget = [...targets.entries()]
    .map(([target, counts]) => ({ target, ...counts }))
    .sort((a, b) => b.open - a.open || b.resolved - a.resolved)
    .slice(0, 10);
  return { overTime, timeToResolve, breaches, perTarget };
}
