/**
 * The Maven (and Gradle) requirement policy. A plain version is a soft requirement and becomes the fixed
 * version; a hard `[1.2]` becomes `[fixed]`; a single interval `[1.0,2.0)` gets its lower bound
 * raised and must still admit the fixed version. Unions of intervals and open floors are refused.
 */
import { type BumpDecision, refuse } from '../types.ts';
import { compareMavenVersions, isMavenVersion } from './versioning.ts';

const INTERVAL = /^([[(\]])(\s*)([^,\s]*)(\s*)(?:(,)(\s*)([^,\s]*)\s*)?([\])[])$/;

export function bumpMavenRequirement(requirement: string, fixed: string): BumpDecision {
  if (isMavenVersion(requirement)) {
    return compareMavenVersions(requirement, fixed) >= 0 ? { kind: 'satisfied' } : { kind: 'bump', value: fixed };
  }
  const m = INTERVAL.exec(requirement);
  if (!m) return refuse('unsupported-requirement', `'${requirement}' is not a version or a single version range`);
  const [, open, lead, lower, gap, comma, , upper, close] = m;
  if (!comma) {
    if (!lower || compareMavenVersions(lower, fixed) >= 0) return { kind: 'satisfied' };
    return { kind: 'bump', value: `${open}${lead}${fixed}${requirement.slice(open!.length + lead!.length + lower.length)}` };
  }
  if (!lower) return refuse('no-floor', `'${requirement}' has no lower bound to raise`);
  if (compareMavenVersions(lower, fixed) >= 0) return { kind: 'satisfied' };
  if (upper) {
    const c = compareMavenVersions(fixed, upper);
    if (c > 0 || (c === 0 && close !== ']')) {
      return refuse('upper-bound-excludes-fix', `'${requirement}' has an upper bound that excludes ${fixed}`);
    }
  }
  // An exclusive lower bound would exclude the fixed version itself.
  return { kind: 'bump', value: `[${lead}${fixed}${gap}${requirement.slice(1 + lead!.length + lower.length + gap!.length)}` };
}
