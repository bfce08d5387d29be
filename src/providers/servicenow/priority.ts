/**
 * Severity → impact and urgency. ServiceNow computes `priority` from impact × urgency with the base
 * system's data lookup (I1U1=1 Critical, I1U2=I2U1=2 High, I1U3=I2U2=I3U1=3 Moderate, I2U3=I3U2=4 Low,
 * I3U3=5 Planning; ../../shared/PROVIDER-FACTS.md §5), and the priority field is read-only there, so
 * we never write `priority`: we write the pair that yields the wanted one.
 *
 * Defaults: critical 1/1 (1 Critical), high 1/2 (2 High: the whole service is affected — impact 1 —
 * but it is not an outage — urgency 2; 2/1 gives the same priority), medium 2/2 (3 Moderate), low 3/3
 * and info 3/3 (5 Planning; the lookup has nothing lower). A connection's mapping overrides any of
 * them with a `priority` row whose source is the severity and whose target is either an
 * impact/urgency pair (`2/3`, `2x3`, `2,3`), a priority number (`1`…`5`) or name (`Critical`, `High`,
 * `Moderate`, `Low`, `Planning`, also `4 - Low`); the `default` row applies to severities without
 * a row of their own only when the built-in table has none (never, today), as for Jira.
 */
import type { MappingRow, Severity } from '../../domain/mapping.ts';

export interface ImpactUrgency {
  impact: '1' | '2' | '3';
  urgency: '1' | '2' | '3';
}

export const defaultImpactUrgency: Record<Severity, ImpactUrgency> = {
  critical: { impact: '1', urgency: '1' },
  high: { impact: '1', urgency: '2' },
  medium: { impact: '2', urgency: '2' },
  low: { impact: '3', urgency: '3' },
  info: { impact: '3', urgency: '3' },
};

/** The pair that yields each priority under the base lookup (the first of equal ones, impact first). */
const pairForPriority: Record<string, ImpactUrgency> = {
  '1': { impact: '1', urgency: '1' },
  '2': { impact: '1', urgency: '2' },
  '3': { impact: '2', urgency: '2' },
  '4': { impact: '2', urgency: '3' },
  '5': { impact: '3', urgency: '3' },
};

const priorityNames: Record<string, string> = { critical: '1', high: '2', moderate: '3', medium: '3', low: '4', planning: '5' };

/** The base system's lookup: the priority ServiceNow will compute from a pair. */
export function priorityOf(pair: ImpactUrgency): string {
  const table: Record<string, string> = { '11': '1', '12': '2', '13': '3', '21': '2', '22': '3', '23': '4', '31': '3', '32': '4', '33': '5' };
  return table[`${pair.impact}${pair.urgency}`] ?? '5';
}

/** The base system's display value of a priority code (`2` → `2 - High`), as the record shows it. */
export function priorityLabel(code: string): string {
  const label = { '1': 'Critical', '2': 'High', '3': 'Moderate', '4': 'Low', '5': 'Planning' }[code];
  return label ? `${code} - ${label}` : code;
}

/** Reads a mapping target: `I/U`, a priority number or name; null when it is none of them. */
export function parseImpactUrgency(target: string): ImpactUrgency | null {
  const text = target.trim().toLowerCase();
  const pair = /^([123])\s*[/x,]\s*([123])$/.exec(text);
  if (pair) return { impact: pair[1] as ImpactUrgency['impact'], urgency: pair[2] as ImpactUrgency['urgency'] };
  const numbered = /^([1-5])(?:\s*-\s*[a-z ]+)?$/.exec(text);
  if (numbered) return pairForPriority[numbered[1]!] ?? null;
  const named = priorityNames[text];
  return named ? (pairForPriority[named] ?? null) : null;
}

/** Impact and urgency for a severity: the connection's `priority` row for it, else the defaults above. */
export function impactUrgencyFor(rows: readonly MappingRow[], severity: Severity): ImpactUrgency {
  const row = rows.find((r) => r.kind === 'priority' && r.source.trim().toLowerCase() === severity);
  const configured = row ? parseImpactUrgency(row.target) : null;
  if (configured) return configured;
  const fallback = rows.find((r) => r.kind === 'priority' && r.source.trim().toLowerCase() === 'default');
  return defaultImpactUrgency[severity] ?? (fallback ? parseImpactUrgency(fallback.target) : null) ?? defaultImpactUrgency.medium;
}
