/**
 * A position-reporting JSON reader for package.json: JSON.parse loses offsets, and an updater must
 * know the exact span of each string value to rewrite it without re-serialising the file.
 * Strict JSON only (package.json allows no comments); a leading BOM is skipped.
 */

export type JsonNode =
  | { type: 'object'; entries: JsonEntry[]; start: number; end: number }
  | { type: 'array'; items: JsonNode[]; start: number; end: number }
  | { type: 'string'; value: string; start: number; end: number }
  | { type: 'literal'; start: number; end: number };

/** A property; `value.start/end` of a string node exclude its quotes. */
export interface JsonEntry {
  key: string;
  value: JsonNode;
}

export function parseJson(text: string): JsonNode {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (what: string): never => {
    throw new Error(`invalid JSON at offset ${pos}: ${what}`);
  };
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\r\n'.includes(text[pos]!)) pos++;
  };
  const expect = (ch: string): void => {
    if (text[pos] !== ch) fail(`expected '${ch}'`);
    pos++;
  };

  const readString = (): { type: 'string'; value: string; start: number; end: number } => {
    expect('"');
    const start = pos;
    while (pos < text.length && text[pos] !== '"') {
      if (text[pos] === '\\') pos++;
      if (text[pos] === '\n') fail('newline in string');
      pos++;
    }
    if (pos >= text.length) fail('unterminated string');
    const end = pos;
    pos++;
    return { type: 'string', value: JSON.parse(text.slice(start - 1, end + 1)) as string, start, end };
  };

  const readValue = (): JsonNode => {
    skipSpace();
    const start = pos;
    const ch = text[pos];
    if (ch === '"') return readString();
    if (ch === '{') {
      pos++;
      const entries: JsonEntry[] = [];
      skipSpace();
      if (text[pos] === '}') return { type: 'object', entries, start, end: ++pos };
      for (;;) {
        skipSpace();
        const key = readString().value;
        skipSpace();
        expect(':');
        entries.push({ key, value: readValue() });
        skipSpace();
        if (text[pos] === ',') pos++;
        else break;
      }
      expect('}');
      return { type: 'object', entries, start, end: pos };
    }
    if (ch === '[') {
      pos++;
      const items: JsonNode[] = [];
      skipSpace();
      if (text[pos] === ']') return { type: 'array', items, start, end: ++pos };
      for (;;) {
        items.push(readValue());
        skipSpace();
        if (text[pos] === ',') pos++;
        else break;
      }
      expect(']');
      return { type: 'array', items, start, end: pos };
    }
    const literal = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(pos, pos + 64));
    if (!literal) fail('unexpected character');
    pos += literal![0].length;
    return { type: 'literal', start, end: pos };
  };

  const root = readValue();
  skipSpace();
  if (pos !== text.length) fail('trailing content');
  return root;
}
