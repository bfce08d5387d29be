/**
 * The Go requirement policy: Go has no ranges, a requirement is a minimum version, so a vulnerable
 * requirement becomes the fixed version. When the fixed version has a higher major, the module path
 * changes too (`/v2`, or `gopkg.in/x.v3`), as Go requires; `+incompatible` requirements stay so.
 */
import { type BumpDecision, type ExtractedDependency, refuse } from '../types.ts';
import { compareGoVersions, goMajor, normalizeGoVersion, parseModulePath, pathForMajor } from './versioning.ts';

export function bumpGoRequirement(dep: ExtractedDependency, fixed: string): BumpDecision {
  const current = normalizeGoVersion(dep.currentValue);
  if (!current || !dep.currentValue.startsWith('v')) {
    return refuse('unsupported-requirement', `${dep.name} ${dep.currentValue} is not a canonical module version`);
  }
  if (compareGoVersions(current, fixed) >= 0) return { kind: 'satisfied' };

  const path = parseModulePath(dep.name);
  const major = goMajor(fixed);
  const incompatible = current.endsWith('+incompatible') || fixed.endsWith('+incompatible');
  if (incompatible && !path.gopkgIn && path.major === 1 && major >= 2) {
    const value = fixed.endsWith('+incompatible') ? fixed : `${fixed}+incompatible`;
    return { kind: 'bump', value, notes: [{ code: 'incompatible', message: `${dep.name} has no go.mod at v2+; kept +incompatible` }] };
  }
  const sameMajor = path.major === Math.max(major, 1);
  if (sameMajor) return { kind: 'bump', value: fixed };
  const newPath = pathForMajor(path, major);
  return {
    kind: 'bump',
    value: fixed,
    newName: newPath,
    notes: [{ code: 'module-path-changed', message: `${dep.name} became ${newPath}; Go imports of the module must change to the new path` }],
  };
}
