/**
 * "Keep the precision" for requirement policies: `^4.17` + fix 4.17.0 stays two components
 * (`^4.17`), but + fix 4.17.21 needs three, because the floor must reach the fixed version.
 * Works on the dotted numeric release prefix that semver, PEP 440, RubyGems and Maven share.
 */

export interface Precise {
  value: string;
  /** True when more components were written than the original had (the floor needed them). */
  widened: boolean;
}

const RELEASE = /^(\d+(?:\.\d+)*)(.*)$/s;

/** Writes `fixed` with `count` release components when that loses nothing, else with as many as it needs. */
export function withPrecision(fixed: string, count: number, minimum = 1): Precise {
  const match = RELEASE.exec(fixed);
  if (match?.[2] !== '') return { value: fixed, widened: false };
  const parts = match[1]!.split('.');
  const want = Math.max(count, minimum);
  if (parts.length <= want) {
    while (parts.length < want) parts.push('0');
    return { value: parts.join('.'), widened: false };
  }
  let needed = parts.length;
  while (needed > want && /^0+$/.test(parts[needed - 1]!)) needed--;
  return { value: parts.slice(0, needed).join('.'), widened: needed > want };
}

/** Number of dotted release components at the start of a version (`1.2.3-rc1` → 3). */
export function releaseCount(version: string): number {
  const match = /^\d+(?:\.\d+)*/.exec(version);
  return match ? match[0].split('.').length : 0;
}
