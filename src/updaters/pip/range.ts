/**
 * The pip requirement policy: raise the floor clause (`==`, `>=`, `~=`, `>`) of a specifier set to the
 * fixed version, keeping the operator, spacing, other clauses and precision (`==3.2.4` → `==3.2.25`,
 * `>=2.0, <3` → `>=2.1, <3`), then check with PEP 440 that every clause admits the fixed version.
 */
import { releaseCount, withPrecision } from '../precision.ts';
import { type BumpDecision, type Note, refuse } from '../types.ts';
import { comparePep440, satisfiesClause } from './versioning.ts';

interface Clause {
  op: string;
  version: string;
  /** Offset of the operator and of the version inside the specifier text. */
  opIndex: number;
  index: number;
}

function parseClauses(spec: string): Clause[] {
  const clauses: Clause[] = [];
  let offset = 0;
  for (const part of spec.split(',')) {
    const m = /^(\s*)(~=|===|==|!=|<=|>=|<|>)(\s*)([^\s,;]+)/.exec(part);
    if (m) {
      const opIndex = offset + m[1]!.length;
      clauses.push({ op: m[2]!, version: m[4]!, opIndex, index: opIndex + m[2]!.length + m[3]!.length });
    }
    offset += part.length + 1;
  }
  return clauses;
}

export function bumpPipSpec(spec: string, fixed: string): BumpDecision {
  const clauses = parseClauses(spec);
  const floor = clauses.find((c) => ['==', '>=', '~=', '>'].includes(c.op) && !c.version.endsWith('.*'));
  if (!floor) {
    if (clauses.some((c) => c.op === '===' || c.version.endsWith('.*'))) {
      return refuse('unsupported-requirement', `'${spec}' uses === or a .* prefix; write the new requirement by hand`);
    }
    return refuse('no-floor', `'${spec}' has no lower bound to raise`);
  }
  if (comparePep440(floor.version, fixed) >= 0) return { kind: 'satisfied' };

  const notes: Note[] = [];
  let op = floor.op;
  let text = fixed;
  if (op !== '==') {
    const shaped = withPrecision(fixed, releaseCount(floor.version), op === '~=' ? 2 : 1);
    text = shaped.value;
    if (shaped.widened && op === '~=') {
      notes.push({ code: 'precision-raised', message: `'${spec}' became ~=${text}, which also lowers its upper bound` });
    }
  }
  if (op === '>') {
    op = '>=';
    notes.push({ code: 'operator-changed', message: `'>' would exclude ${fixed}; wrote '>='` });
  }
  const value =
    spec.slice(0, floor.opIndex) + op + spec.slice(floor.opIndex + floor.op.length, floor.index) + text + spec.slice(floor.index + floor.version.length);
  for (const clause of parseClauses(value)) {
    if (!satisfiesClause(fixed, clause.op, clause.version)) {
      const code = clause.op === '!=' ? 'excluded-version' : 'upper-bound-excludes-fix';
      return refuse(code, `'${spec}' has a clause (${clause.op}${clause.version}) that excludes ${fixed}`);
    }
  }
  return { kind: 'bump', value, notes };
}
