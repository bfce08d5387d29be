/**
 * Version handling for imported findings: the scanner's spelling cleaned (`v1.2.3` → `1.2.3` except
 * for Go modules, which spell versions with `v`), and the fixed version to propose chosen among the
 * scanner's candidates with each ecosystem's ordering (the updaters' versioning modules): the lowest
 * fixing version greater than the installed one, in the installed version's major when one exists
 * there (a patch release before a major upgrade), otherwise the lowest above it.
 */
import semver from 'semver';
import { compareGemVersions } from '../updaters/bundler/versioning.ts';
import { compareGoVersions, normalizeGoVersion } from '../updaters/gomod/versioning.ts';
import { compareMavenVersions } from '../updaters/maven/versioning.ts';
import { comparePep440, isPep440 } from '../updaters/pip/versioning.ts';

/** `v1.2.3` → `1.2.3` (Go: `1.2.3` → `v1.2.3`); other spellings trimmed. */
export function cleanVersion(ecosystem: string, version: string): string {
  const trimmed = version.trim();
  if (ecosystem === 'gomod') return normalizeGoVersion(trimmed) ?? trimmed;
  return /^[vV]\d/.test(trimmed) ? trimmed.slice(1) : trimmed;
}

/** Generic ordering for ecosystems without their own: numeric runs compared as numbers, the rest as text. */
function compareGeneric(left: string, right: string): number {
  const a = left.match(/\d+|[A-Za-z]+/g) ?? [];
  const b = right.match(/\d+|[A-Za-z]+/g) ?? [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d/.test(x);
    const yn = /^\d/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d !== 0) return Math.sign(d);
    } else if (xn !== yn) {
      return xn ? 1 : -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

type Compare = (a: string, b: string) => number;

function comparatorFor(ecosystem: string, sample: string[]): Compare {
  switch (ecosystem) {
    case 'npm':
      if (sample.every((v) => semver.valid(v, { loose: true }) !== null)) return (a, b) => semver.compare(a, b, { loose: true });
      return compareGeneric;
    case 'gomod':
      if (sample.every((v) => normalizeGoVersion(v) !== null)) return compareGoVersions;
      return compareGeneric;
    case 'pip':
      if (sample.every(isPep440)) return comparePep440;
      return compareGeneric;
    case 'maven':
    case 'gradle':
      return compareMavenVersions;
    case 'bundler':
      return compareGemVersions;
    default:
      return compareGeneric;
  }
}

const majorOf = (version: string): string | null => /^\D*(\d+)/.exec(version)?.[1] ?? null;

/**
 * The fixed version to propose: among `candidates` (any spelling; empty and duplicate ones ignored),
 * the lowest greater than `installed` in the same major if there is one, else the lowest greater;
 * when `installed` is not a version (a range, "unknown") the lowest candidate. Null without candidates
 * or when none is above the installed version.
 */
export function chooseFixedVersion(ecosystem: string, installed: string, candidates: readonly string[]): string | null {
  const cleaned = [...new Set(candidates.map((c) => cleanVersion(ecosystem, c)).filter((c) => c !== ''))];
  if (cleaned.length === 0) return null;
  const current = cleanVersion(ecosystem, installed);
  const installedIsVersion = /^v?\d/.test(current) && !/[\s<>=|,^~*]/.test(current);
  let compare: Compare;
  try {
    compare = comparatorFor(ecosystem, installedIsVersion ? [current, ...cleaned] : cleaned);
  } catch {
    compare = compareGeneric;
  }
  const safe = (a: string, b: string): number => {
    try {
      return compare(a, b);
    } catch {
      return compareGeneric(a, b);
    }
  };
  const sorted = [...cleaned].sort(safe);
  if (!installedIsVersion) return sorted[0]!;
  const above = sorted.filter((c) => safe(c, current) > 0);
  if (above.length === 0) return null;
  const major = majorOf(current);
  return above.find((c) => major !== null && majorOf(c) === major) ?? above[0]!;
}

/** Split a scanner's fixed-version field ("1.2.3, 2.0.1", "1.2.3 || 2.0.1") into candidates. */
export function splitVersions(text: string | null | undefined): string[] {
  if (!text) return [];
  return text
    .split(/\s*(?:,|\|\||;)\s*/)
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** The lower bounds of a range such as `>=1.10.2` or `>=2.0.2 <3 || >=3.1.0`: candidate fixed versions. */
export function lowerBounds(range: string): string[] {
  const out: string[] = [];
  for (const match of range.matchAll(/>=?\s*v?(\d[\w.+-]*)/g)) out.push(match[1]!);
  return out;
}
