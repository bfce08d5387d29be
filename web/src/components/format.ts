/** Dates, durations and the SLA policy, formatted the same way on every page. */
import type { Severity } from '../api/types.ts';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function formatDateTime(value: string | null | undefined): string {
  return value ? dateTime.format(new Date(value)) : '—';
}

export function formatDate(value: string | null | undefined): string {
  return value ? dateOnly.format(new Date(value)) : '—';
}

export function timeAgo(value: string | null | undefined, now = Date.now()): string {
  if (!value) return 'never';
  const seconds = Math.round((new Date(value).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return relative.format(seconds, 'second');
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86_400), 'day');
}

/**
 * Days to remediate per severity: the service's default policy (src/services/tickets/sla.ts,
 * defaultSlaDays), used only when the service does not send `due_at` (before the policies API).
 */
export const slaDays: Record<Severity, number | null> = { critical: 7, high: 30, medium: 90, low: 180, info: null };

export interface SlaStatus {
  due: Date | null;
  breached: boolean;
}

/** The finding's SLA: the service's due date and breach when it sends them, else the default policy. */
export function findingSla(finding: { severity: Severity; first_seen_at: string; resolved_at: string | null; due_at?: string | null; sla_breached?: boolean }): SlaStatus {
  if (finding.due_at !== undefined) {
    const due = finding.due_at ? new Date(finding.due_at) : null;
    return { due, breached: finding.sla_breached ?? false };
  }
  return slaStatus(finding.severity, finding.first_seen_at, finding.resolved_at);
}

/** Due from first sight; breached when still open past the due date, or resolved after it. */
export function slaStatus(severity: Severity, firstSeen: string, resolvedAt: string | null, now = Date.now()): SlaStatus {
  const days = slaDays[severity];
  if (days === null) return { due: null, breached: false };
  const due = new Date(new Date(firstSeen).getTime() + days * 86_400_000);
  const end = resolvedAt ? new Date(resolvedAt).getTime() : now;
  return { due, breached: end > due.getTime() };
}

export const severityOrder: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
export const severityColor: Record<Severity, string> = { critical: 'red', high: 'orange', medium: 'yellow', low: 'blue', info: 'gray' };

export function humanize(value: string): string {
  return value.replace(/_/g, ' ');
}
