/**
 * Finding severities (SPEC section 2) and how scanner input becomes one. Scanners disagree on
 * spelling ("CRITICAL", "Moderate", "Informational", "Negligible"), so the API boundary accepts the
 * common ones case-insensitively; a missing severity falls back to the CVSS v3/v4 qualitative
 * rating of the score (FIRST's table: 9.0+ critical, 7.0+ high, 4.0+ medium, 0.1+ low, 0 none→info).
 */
export const severityLevels = ['critical', 'high', 'medium', 'low', 'info'] as const;

export type Severity = (typeof severityLevels)[number];

const spellings: Record<string, Severity> = {
  critical: 'critical',
  crit: 'critical',
  high: 'high',
  important: 'high',
  medium: 'medium',
  moderate: 'medium',
  med: 'medium',
  low: 'low',
  minor: 'low',
  info: 'info',
  informational: 'info',
  information: 'info',
  negligible: 'info',
  none: 'info',
};

/** The severity a scanner's spelling means, or null when it is not one we know. */
export function parseSeverity(input: string): Severity | null {
  return spellings[input.trim().toLowerCase()] ?? null;
}

/** The accepted spellings, for error messages and API docs. */
export const severitySpellings: readonly string[] = Object.keys(spellings);

export function isCvssScore(score: number): boolean {
  return Number.isFinite(score) && score >= 0 && score <= 10;
}

/** CVSS base score (0.0–10.0) → severity. Throws on scores outside the scale. */
export function severityFromCvss(score: number): Severity {
  if (!isCvssScore(score)) throw new RangeError(`CVSS score must be between 0.0 and 10.0, got ${score}`);
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'info';
}

/** Orders severities most severe first (for sorting and "at least" filters). */
export function severityRank(severity: Severity): number {
  return severityLevels.indexOf(severity);
}
