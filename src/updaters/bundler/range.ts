/**
 * The RubyGems requirement policy: raise the floor requirement (`~>`, `>=`, `=`) to the fixed version,
 * keeping operator, spacing and precision (`~> 0.17` + 0.19 → `~> 0.19`), then check that every other
 * requirement of the declaration (`< 3`, `!= 1.2.4`) still admits the fixed version.
 */
import { releaseCount, withPrecision } from '../precision.ts';
import { type BumpDecision, type ExtractedDependency, type Note, refuse } from '../types.ts';
import { compareGemVersions, satisfiesGem } from './versioning.ts';

const PARTS = /^(\s*)(=|!=|>=|<=|~>|>|<)?(\s*)([0-9][0-9A-Za-z.-]*)(\s*)$/;

export function bumpGemRequirement(dep: ExtractedDependency, fixed: string): BumpDecision {
  const m = PARTS.exec(dep.currentValue);
  if (!m) return refuse('unsupported-requirement', `'${dep.currentValue}' is not a RubyGems requirement`);
  const [, lead, op = '', gap, version, tail] = m as unknown as [string, string, string | undefined, string, string, string];
  if (op === '<' || op === '<=' || op === '!=') return refuse('no-floor', `'${dep.currentValue}' has no lower bound to raise`);
  if (compareGemVersions(version, fixed) >= 0) return { kind: 'satisfied' };

  const notes: Note[] = [];
  let newOp = op;
  let text = fixed;
  if (op === '~>' || op === '>=' || op === '>') {
    const shaped = withPrecision(fixed, releaseCount(version));
    text = shaped.value;
    if (shaped.widened && op === '~>') {
      notes.push({ code: 'precision-raised', message: `'~> ${version}' became '~> ${text}', which also lowers its upper bound` });
    }
  }
  if (op === '>') {
    newOp = '>=';
    notes.push({ code: 'operator-changed', message: `'>' would exclude ${fixed}; wrote '>='` });
  }
  const value = `${lead}${newOp}${gap}${text}${tail}`;
  for (const requirement of [value, ...(dep.constraints ?? [])]) {
    const parts = PARTS.exec(requirement);
    if (parts && !satisfiesGem(fixed, parts[2] ?? '', parts[4]!)) {
      const code = parts[2] === '!=' ? 'excluded-version' : 'upper-bound-excludes-fix';
      return refuse(code, `requirement '${requirement}' of ${dep.name} excludes ${fixed}`);
    }
  }
  return { kind: 'bump', value, notes };
}
