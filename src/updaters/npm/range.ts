/**
 * The npm requirement policy (SPEC 5): raise the range's floor to the fixed version even when the
 * range already admits it, keeping the operator, any `v`, the spacing and the precision
 * (`^4.17.15` + 4.17.21 → `^4.17.21`, `~4.17.1` + 4.19.2 → `~4.19.2`, `>= 1.0` + 1.2.0 → `>= 1.2`).
 * Ordering and satisfaction come from node-semver, the library npm itself uses.
 */
import semver from 'semver';
import { withPrecision } from '../precision.ts';
import { type BumpDecision, type Note, refuse } from '../types.ts';

const TOKEN = /(\^|~|>=|<=|>|<|=)?(\s*)(v?)([0-9xX*]+(?:\.[0-9xX*]+){0,2})(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?/g;
const HYPHEN = /^(\s*)(v?[0-9][^\s]*)(\s+-\s+)([^\s]+)(\s*)$/;

interface Token {
  op: string;
  opIndex: number;
  index: number;
  length: number;
  numbers: string[];
  prerelease: string;
}

export function bumpNpmRange(range: string, fixed: string): BumpDecision {
  if (range.includes('||')) {
    return refuse('unsupported-requirement', `'${range}' has || alternatives; choose the new range by hand`);
  }
  const hyphen = HYPHEN.exec(range);
  if (hyphen) {
    const lower = hyphen[2]!;
    const start = hyphen[1]!.length;
    return raise(range, fixed, { op: '', opIndex: start, index: start, length: lower.length, numbers: lower.replace(/^v/, '').split('.'), prerelease: '' });
  }
  const tokens = tokenize(range);
  if (!tokens) return refuse('unsupported-requirement', `'${range}' is not a range this updater can rewrite`);
  const floor = tokens.find((t) => !t.op.startsWith('<'));
  if (!floor || floor.numbers.every(isWild)) {
    return refuse('no-floor', `'${range}' has no lower bound to raise; write the new requirement by hand`);
  }
  return raise(range, fixed, floor);
}

function tokenize(range: string): Token[] | null {
  const tokens: Token[] = [];
  let cursor = 0;
  for (const match of range.matchAll(TOKEN)) {
    if (range.slice(cursor, match.index).trim() !== '') return null;
    const op = match[1] ?? '';
    const versionStart = match.index + op.length + match[2]!.length + match[3]!.length;
    const versionText = match[4]! + (match[5] ?? '') + (match[6] ?? '');
    tokens.push({ op, opIndex: match.index, index: versionStart, length: versionText.length, numbers: match[4]!.split('.'), prerelease: match[5] ?? '' });
    cursor = match.index + match[0].length;
  }
  if (range.slice(cursor).trim() !== '' || tokens.length === 0) return null;
  return tokens;
}

const isWild = (part: string): boolean => /^[xX*]$/.test(part);

function raise(range: string, fixed: string, floor: Token): BumpDecision {
  const notes: Note[] = [];
  const concrete = floor.numbers.filter((n) => !isWild(n));
  const floorVersion = semver.coerce(concrete.join('.'))?.version;
  if (!floorVersion) return refuse('unsupported-requirement', `cannot read the floor of '${range}'`);
  const floorFull = floor.prerelease ? `${floorVersion}${floor.prerelease}` : floorVersion;
  const exclusive = floor.op === '>';
  if (semver.gte(floorFull, fixed)) return { kind: 'satisfied' };

  let op = floor.op;
  let text: string;
  const wild = floor.numbers.some(isWild);
  if (wild) {
    const shaped = withPrecision(fixed, concrete.length);
    if (!shaped.widened && !semver.prerelease(fixed)) {
      text = [...shaped.value.split('.'), ...floor.numbers.slice(concrete.length)].join('.');
    } else {
      // An x-range cannot hold a floor inside it; `1.2.x` ≡ `~1.2.0`, `1.x` ≡ `^1.0.0`, so say it that way.
      text = fixed;
      if (op === '') op = concrete.length >= 2 ? '~' : '^';
      notes.push({ code: 'range-rewritten', message: `x-range '${range}' rewritten with ${op} so its floor is ${fixed}` });
    }
  } else {
    const shaped = semver.prerelease(fixed) ? { value: fixed, widened: false } : withPrecision(fixed, floor.numbers.length);
    text = shaped.value;
    if (shaped.widened) notes.push({ code: 'precision-raised', message: `'${range}' needs ${text} to reach the fixed version` });
  }
  if (exclusive) {
    op = '>=';
    notes.push({ code: 'operator-changed', message: `'>' would exclude ${fixed}; wrote '>='` });
  }
  const before = range.slice(0, floor.opIndex) + op + range.slice(floor.opIndex + floor.op.length, floor.index);
  const value = before + text + range.slice(floor.index + floor.length);
  if (!semver.satisfies(fixed, value)) {
    return refuse('upper-bound-excludes-fix', `'${range}' has an upper bound below ${fixed}; raising it is a manual decision`);
  }
  return { kind: 'bump', value, notes };
}
