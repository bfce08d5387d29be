/**
 * RubyGems version ordering and requirement checks (Gem::Version / Gem::Requirement): segments split at
 * dots and letter/digit boundaries, a letter makes a prerelease that sorts below the release, missing
 * segments count as 0, and `~> 1.2` means `>= 1.2, < 2`.
 */

const VERSION = /^\s*[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\s*$/;

export const isGemVersion = (text: string): boolean => VERSION.test(text);

function segments(version: string): Array<number | string> {
  const text = version.trim().replace(/-/g, '.pre.');
  return (text.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^\d/.test(s) ? Number(s) : s));
}

export function compareGemVersions(left: string, right: string): number {
  const a = segments(left);
  const b = segments(right);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y);
    if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : 1;
    return typeof x === 'string' ? -1 : 1;
  }
  return 0;
}

/** The exclusive upper bound of `~> version`: drop prerelease parts and the last segment, bump the new last one. */
function pessimisticCeiling(version: string): string {
  const release = version.split('.').filter((s) => /^\d+$/.test(s));
  const kept = release.length > 1 ? release.slice(0, -1) : release;
  kept[kept.length - 1] = String(Number(kept.at(-1) ?? 0) + 1);
  return kept.join('.');
}

export function satisfiesGem(version: string, op: string, target: string): boolean {
  const c = compareGemVersions(version, target);
  switch (op) {
    case '':
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '>':
      return c > 0;
    case '<':
      return c < 0;
    case '>=':
      return c >= 0;
    case '<=':
      return c <= 0;
    case '~>':
      return c >= 0 && compareGemVersions(version, pessimisticCeiling(target)) < 0;
    default:
      return false;
  }
}
