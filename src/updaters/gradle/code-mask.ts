/**
 * Blanks `//` and `/* *\/` comments out of Groovy / Kotlin build scripts (same length, newlines kept),
 * so a commented-out declaration — or a comment that mimics one — is never mistaken for code.
 * Strings (single, double, triple-quoted) are skipped so `"https://…"` keeps its `//`.
 */
export function maskComments(source: string): string {
  let out = '';
  let i = 0;
  const blank = (text: string): string => text.replace(/[^\r\n]/g, ' ');
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'") {
      const triple = source.startsWith(ch.repeat(3), i);
      const close = triple ? ch.repeat(3) : ch;
      let j = i + close.length;
      while (j < source.length && !source.startsWith(close, j) && (triple || source[j] !== '\n')) j += source[j] === '\\' ? 2 : 1;
      j = Math.min(j + close.length, source.length);
      out += source.slice(i, j);
      i = j;
    } else if (source.startsWith('//', i)) {
      let j = i;
      while (j < source.length && source[j] !== '\n' && source[j] !== '\r') j++;
      out += blank(source.slice(i, j));
      i = j;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      const j = end === -1 ? source.length : end + 2;
      out += blank(source.slice(i, j));
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}
