/**
 * Maven version ordering after ComparableVersion: tokens split at `.`, `-`, `_` and digit/letter
 * boundaries; qualifiers alpha < beta < milestone < rc = cr < snapshot < release ("", ga, final)
 * < sp, unknown qualifiers after known ones; qualifiers sort before numbers; missing parts are 0 or
 * "release". It ignores ComparableVersion's distinction between `.` and `-` separators (`1-1` vs
 * `1.1`), which does not matter for deciding whether a version is below a fix.
 */

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { a: 'alpha', b: 'beta', m: 'milestone', cr: 'rc', ga: '', final: '', release: '' };

type Item = number | string;

function items(version: string): Item[] {
  const tokens = version.toLowerCase().match(/\d+|[a-z]+/g) ?? [];
  return tokens.map((token, i) => {
    if (/^\d/.test(token)) return Number(token);
    const alias = ALIASES[token];
    // `a`, `b`, `m` only mean alpha/beta/milestone when a number follows (`1-a1`).
    if (alias !== undefined && (token.length > 1 || /^\d/.test(tokens[i + 1] ?? ''))) return alias;
    return token;
  });
}

function qualifierRank(q: string): [number, string] {
  const known = QUALIFIERS.indexOf(q);
  return known === -1 ? [QUALIFIERS.length, q] : [known, ''];
}

function compareItem(x: Item | undefined, y: Item | undefined): number {
  const a = x ?? (typeof y === 'number' ? 0 : '');
  const b = y ?? (typeof x === 'number' ? 0 : '');
  if (typeof a === 'number' && typeof b === 'number') return Math.sign(a - b);
  if (typeof a === 'number') return 1;
  if (typeof b === 'number') return -1;
  const [ra, sa] = qualifierRank(a);
  const [rb, sb] = qualifierRank(b);
  return ra !== rb ? Math.sign(ra - rb) : sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function compareMavenVersions(left: string, right: string): number {
  const a = items(left);
  const b = items(right);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const c = compareItem(a[i], b[i]);
    if (c !== 0) return c;
  }
  return 0;
}

/** A concrete version (not a range, property or dynamic selector). */
export const isMavenVersion = (text: string): boolean => /^[0-9][0-9A-Za-z._+-]*$/.test(text.trim());
