/**
 * CVSS v3.0/v3.1 base score from a vector string (FIRST's specification, section 7 formulas and
 * the v3.1 Roundup). Scanners such as OSV-Scanner give only the vector; severity then follows from
 * the score. v2 and v4 vectors, and malformed ones, give null (the caller falls back).
 */
const weights = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

function roundUp(value: number): number {
  const scaled = Math.round(value * 100000);
  return scaled % 10000 === 0 ? scaled / 100000 : (Math.floor(scaled / 10000) + 1) / 10;
}

export function cvss3BaseScore(vector: string): number | null {
  const match = /^CVSS:3\.[01]\/(.+)$/.exec(vector.trim());
  if (!match) return null;
  const metrics = new Map<string, string>();
  for (const part of match[1]!.split('/')) {
    const [key, value] = part.split(':');
    if (key && value) metrics.set(key, value);
  }
  const get = <T extends Record<string, number>>(table: T, key: string): number | null => {
    const value = metrics.get(key);
    return value !== undefined && value in table ? table[value as keyof T]! : null;
  };
  const scope = metrics.get('S');
  if (scope !== 'U' && scope !== 'C') return null;
  const av = get(weights.AV, 'AV');
  const ac = get(weights.AC, 'AC');
  const ui = get(weights.UI, 'UI');
  const c = get(weights.CIA, 'C');
  const i = get(weights.CIA, 'I');
  const a = get(weights.CIA, 'A');
  const prTable = scope === 'C' ? { N: 0.85, L: 0.68, H: 0.5 } : { N: 0.85, L: 0.62, H: 0.27 };
  const pr = get(prTable, 'PR');
  if (av === null || ac === null || ui === null || c === null || i === null || a === null || pr === null) return null;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return scope === 'U' ? roundUp(Math.min(impact + exploitability, 10)) : roundUp(Math.min(1.08 * (impact + exploitability), 10));
}

/** A score given as a number or a numeric string ("7.5"), or computed from a v3 vector; null otherwise. */
export function cvssScoreOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 && value <= 10 ? Math.round(value * 10) / 10 : null;
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return cvssScoreOf(Number(trimmed));
  return cvss3BaseScore(trimmed);
}
