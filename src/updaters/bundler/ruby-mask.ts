/**
 * Blanks Ruby comments out of a Gemfile (same length, newlines kept) so that declaration patterns
 * never match commented-out code, while string contents (`"#{x}"`, `'a#b'`) are left as they are.
 * Offsets in the masked text are offsets in the original.
 */
export function maskRubyComments(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (j < source.length && source[j] !== ch && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '#') {
      let j = i;
      while (j < source.length && source[j] !== '\n' && source[j] !== '\r') j++;
      out += ' '.repeat(j - i);
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}
