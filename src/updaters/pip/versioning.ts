/**
 * PEP 440 version ordering and specifier matching, enough to decide whether a requirement's floor is
 * below a fixed version and whether the rewritten specifier admits it: epochs, zero-padded releases,
 * dev < a < b < rc < final < post, local versions after their public version, `==X.*` prefixes.
 */

const PEP440 =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

export interface Pep440Version {
  epoch: number;
  release: number[];
  pre: [number, number] | null;
  post: number | null;
  dev: number | null;
  local: string[];
}

const PRE_RANK: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 };

export function parsePep440(text: string): Pep440Version | null {
  const m = PEP440.exec(text);
  if (!m) return null;
  const num = (s: string | undefined): number => (s ? Number(s) : 0);
  return {
    epoch: num(m[1]),
    release: m[2]!.split('.').map(Number),
    pre: m[3] ? [PRE_RANK[m[3].toLowerCase()]!, num(m[4])] : null,
    post: m[5] !== undefined ? Number(m[5]) : m[6] ? num(m[7]) : null,
    dev: m[8] ? num(m[9]) : null,
    local: m[10] ? m[10].toLowerCase().split(/[-_.]/) : [],
  };
}

export const isPep440 = (text: string): boolean => parsePep440(text) !== null;

function compareNumbers(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Sort keys per PEP 440: a dev release of a final sorts before its pre-releases. */
function preKey(v: Pep440Version): number[] {
  if (v.pre) return [0, ...v.pre];
  return v.post === null && v.dev !== null ? [-1] : [1];
}

function compareLocal(a: string[], b: string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn !== yn) return xn ? 1 : -1;
    const d = xn ? Number(x) - Number(y) : x.localeCompare(y);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export function comparePep440(left: string, right: string): number {
  const a = parsePep440(left);
  const b = parsePep440(right);
  if (!a || !b) throw new Error(`not a PEP 440 version: ${a ? right : left}`);
  return (
    Math.sign(a.epoch - b.epoch) ||
    compareNumbers(a.release, b.release) ||
    compareNumbers(preKey(a), preKey(b)) ||
    compareNumbers([a.post ?? -1], [b.post ?? -1]) ||
    compareNumbers([a.dev ?? Number.POSITIVE_INFINITY], [b.dev ?? Number.POSITIVE_INFINITY]) ||
    compareLocal(a.local, b.local)
  );
}

/** Whether `version` satisfies one clause (`>=1.2`, `==1.4.*`, `~=2.2`, …). */
export function satisfiesClause(version: string, op: string, target: string): boolean {
  if (op === '===') return version.trim().toLowerCase() === target.trim().toLowerCase();
  if (target.endsWith('.*')) {
    const prefix = parsePep440(target.slice(0, -2))?.release ?? [];
    const release = parsePep440(version)?.release ?? [];
    const match = prefix.every((n, i) => (release[i] ?? 0) === n);
    return op === '!=' ? !match : match;
  }
  const c = comparePep440(version, target);
  switch (op) {
    case '==':
      return c === 0;
    case '!=':
      return c !== 0;
    case '>=':
      return c >= 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '<':
      return c < 0;
    case '~=': {
      const release = parsePep440(target)?.release ?? [];
      const prefix = release.slice(0, Math.max(release.length - 1, 1));
      const own = parsePep440(version)?.release ?? [];
      return c >= 0 && prefix.every((n, i) => (own[i] ?? 0) === n);
    }
    default:
      return false;
  }
}
