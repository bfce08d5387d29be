/**
 * Due dates from a per-severity SLA policy (days to remediate), the common security-team default;
 * findings of severity `info` get no due date.
 */
import type { Severity } from '../../domain/mapping.ts';

export const defaultSlaDays: Record<Severity, number | null> = { critical: 7, high: 30, medium: 90, low: 180, info: null };

/** `yyyy-MM-dd`, the format Jira's `duedate` field takes. */
export function dueDateFor(severity: Severity, from: Date, policy: Record<Severity, number | null> = defaultSlaDays): string | null {
  const days = policy[severity];
  if (days === null || days === undefined) return null;
  const due = new Date(from.getTime() + days * 86_400_000);
  return due.toISOString().slice(0, 10);
}
