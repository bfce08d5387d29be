/**
 * A unified diff (`diff -u` / `git diff` shape) of one file, for dry runs: what the PR would change,
 * exactly. Manifest bumps change a few lines, so common prefix and suffix are trimmed first and the
 * middle gets an LCS; a middle too large for that is shown as one replaced block (still a correct
 * diff, just not a minimal one).
 */

const CONTEXT = 3;
const LCS_CELL_LIMIT = 4_000_000;

interface Line {
  text: string;
  /** False only for a last line without a final newline. */
  newline: boolean;
}

type Op = { kind: ' ' | '-' | '+'; line: Line };

function splitLines(content: string): Line[] {
  if (content.length === 0) return [];
  const parts = content.split('\n');
  const last = parts.pop()!;
  const lines = parts.map((text) => ({ text, newline: true }));
  if (last.length > 0) lines.push({ text: last, newline: false });
  return lines;
}

const same = (a: Line, b: Line) => a.text === b.text && a.newline === b.newline;

function middleOps(a: Line[], b: Line[]): Op[] {
  const n = a.length;
  const m = b.length;
  if (n * m > LCS_CELL_LIMIT) return [...a.map((line): Op => ({ kind: '-', line })), ...b.map((line): Op => ({ kind: '+', line }))];
  // lengths[i][j] = LCS of a[i..] and b[j..], in one flat array.
  const width = m + 1;
  const lengths = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] = same(a[i]!, b[j]!) ? lengths[(i + 1) * width + j + 1]! + 1 : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (same(a[i]!, b[j]!)) {
      ops.push({ kind: ' ', line: a[i]! });
      i++;
      j++;
    } else if (lengths[(i + 1) * width + j]! >= lengths[i * width + j + 1]!) ops.push({ kind: '-', line: a[i++]! });
    else ops.push({ kind: '+', line: b[j++]! });
  }
  while (i < n) ops.push({ kind: '-', line: a[i++]! });
  while (j < m) ops.push({ kind: '+', line: b[j++]! });
  return ops;
}

function render(op: Op): string {
  return `${op.kind}${op.line.text}\n${op.line.newline ? '' : '\\ No newline at end of file\n'}`;
}

/** `''` when the contents are equal; otherwise `--- a/path`, `+++ b/path` and the hunks. */
export function unifiedDiff(path: string, before: string, after: string): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && same(a[prefix]!, b[prefix]!)) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && same(a[a.length - 1 - suffix]!, b[b.length - 1 - suffix]!)) suffix++;
  const ops: Op[] = [
    ...a.slice(0, prefix).map((line): Op => ({ kind: ' ', line })),
    ...middleOps(a.slice(prefix, a.length - suffix), b.slice(prefix, b.length - suffix)),
    ...a.slice(a.length - suffix).map((line): Op => ({ kind: ' ', line })),
  ];

  const changed = ops.map((op, index) => (op.kind === ' ' ? -1 : index)).filter((index) => index >= 0);
  let out = `--- ${before.length === 0 ? '/dev/null' : `a/${path}`}\n+++ b/${path}\n`;
  let index = 0;
  while (index < changed.length) {
    // A hunk spans changes closer than 2 × CONTEXT unchanged lines apart.
    let last = index;
    while (last + 1 < changed.length && changed[last + 1]! - changed[last]! <= 2 * CONTEXT + 1) last++;
    const start = Math.max(0, changed[index]! - CONTEXT);
    const end = Math.min(ops.length, changed[last]! + CONTEXT + 1);
    let oldStart = 1;
    let newStart = 1;
    for (let k = 0; k < start; k++) {
      if (ops[k]!.kind !== '+') oldStart++;
      if (ops[k]!.kind !== '-') newStart++;
    }
    const slice = ops.slice(start, end);
    const oldCount = slice.filter((op) => op.kind !== '+').length;
    const newCount = slice.filter((op) => op.kind !== '-').length;
    const range = (from: number, count: number) => (count === 1 ? `${from}` : `${count === 0 ? from - 1 : from},${count}`);
    out += `@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@\n`;
    out += slice.map(render).join('');
    index = last + 1;
  }
  return out;
}
