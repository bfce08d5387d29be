/**
 * Ticket resolution metrics computed from the findings list (the API has no analytics endpoint
 * yet): open vs resolved over time, time to resolve by severity, SLA breaches, per target.
 */
import type { Finding, Severity } from '../api/types.ts';
import { severityOrder, slaStatus } from '../components/format.ts';

const DAY = 86_400_000;

export interface Metrics {
  overTime: { date: string; open: number; resolved: number }[];
  timeToResolve: { severity: Severity; median: number; count: number }[];
  breaches: { severity: Severity; open: number; resolvedLate: number }[];
  perTarget: { target: string; open: number; resolved: number; breached: number }[];
}

function isResolved(finding: Finding): boolean {
  return finding.resolved_at !== null || finding.state === 'done' || finding.state === 'wont_fix';
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const dayKey = (time: number) => new Date(time).toISOString().slice(0, 10);

export function computeMetrics(findings: Finding[], now = Date.now(), days = 30): Metrics {
  const start = Math.floor(now / DAY) * DAY - (days - 1) * DAY;
  const overTime = Array.from({ length: days }, (_, index) => {
    const end = start + (index + 1) * DAY;
    let open = 0;
    let resolved = 0;
    for (const finding of findings) {
      if (new Date(finding.first_seen_at).getTime() >= end) continue;
      const resolvedAt = finding.resolved_at ? new Date(finding.resolved_at).getTime() : null;
      if (resolvedAt !== null && resolvedAt < end) resolved += 1;
      else open += 1;
    }
    return { date: dayKey(start + index * DAY), open, resolved };
  });

  const timeToResolve = severityOrder.map((severity) => {
    const durations = findings
      .filter((finding) => finding.severity === severity && finding.resolved_at)
      .map((finding) => (new Date(finding.resolved_at!).getTime() - new Date(finding.first_seen_at).getTime()) / DAY);
    return { severity, median: Math.round(median(durations) * 10) / 10, count: durations.length };
  });

  const breaches = severityOrder.map((severity) => {
    let open = 0;
    let resolvedLate = 0;
    for (const finding of findings) {
      if (finding.severity !== severity || !slaStatus(finding.severity, finding.first_seen_at, finding.resolved_at, now).breached) continue;
      if (isResolved(finding)) resolvedLate += 1;
      else open += 1;
    }
    return { severity, open, resolvedLate };
  });

  const targets = new Map<string, { open: number; resolved: number; breached: number }>();
  for (const finding of findings) {
    const target = finding.repo_url ?? (finding.framework ? `${finding.framework} (audit)` : (finding.source ?? 'unknown'));
    const entry = targets.get(target) ?? { open: 0, resolved: 0, breached: 0 };
    if (isResolved(finding)) entry.resolved += 1;
    else entry.open += 1;
    if (slaStatus(finding.severity, finding.first_seen_at, finding.resolved_at, now).breached) entry.breached += 1;
    targets.set(target, entry);
  }
  const perTarget = [...targets.entries()]
    .map(([target, counts]) => ({ target, ...counts }))
    .sort((a, b) => b.open + b.resolved - (a.open + a.resolved))
    .slice(0, 10);

  return { overTime, timeToResolve, breaches, perTarget };
}
