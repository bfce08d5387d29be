/**
 * A position-aware reader for the subset of TOML that version catalogs use: `[table]` headers,
 * `key = "string"` and single-line inline tables `{ a = "x", b.c = "y", d = { e = "z" } }`, with
 * comments. Values are flattened to dotted keys with the span of each string's contents; arrays
 * (`[bundles]`) and other value kinds are skipped.
 */
import type { Span } from '../types.ts';

export type TomlString = Span & { value: string };

export interface TomlEntry {
  table: string;
  key: string;
  /** `""` for a plain string value, else dotted sub-keys (`version.ref`, `version.strictly`). */
  values: Map<string, TomlString>;
  inline: boolean;
}

const KEY = /\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+))*\s*/y;
const STRING = /"((?:[^"\\\n]|\\.)*)"|'([^'\n]*)'/y;

const unquote = (part: string): string => part.replace(/^["']|["']$/g, '');

function readKey(line: string, pos: number): { key: string; end: number } | null {
  KEY.lastIndex = pos;
  const m = KEY.exec(line);
  if (!m) return null;
  const parts = m[0].trim().split(/\s*\.\s*(?=(?:[^"']|"[^"]*"|'[^']*')*$)/).map(unquote);
  return { key: parts.join('.'), end: KEY.lastIndex };
}

/** Reads a value at `pos`; strings and inline tables are recorded into `into` under `prefix`. */
function readValue(line: string, pos: number, offset: number, prefix: string, into: Map<string, TomlString>): number {
  while (line[pos] === ' ' || line[pos] === '\t') pos++;
  STRING.lastIndex = pos;
  const s = STRING.exec(line);
  if (s) {
    const value = s[1] ?? s[2]!;
    into.set(prefix, { start: offset + pos + 1, end: offset + pos + 1 + value.length, value });
    return STRING.lastIndex;
  }
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      while (/[\s,]/.test(line[pos] ?? '')) pos++;
      if (line[pos] === '}' || pos >= line.length) return pos + 1;
      const key = readKey(line, pos);
      if (!key || line[key.end] !== '=') return line.length;
      pos = readValue(line, key.end + 1, offset, prefix ? `${prefix}.${key.key}` : key.key, into);
    }
  }
  const other = /^[^,}#]*/.exec(line.slice(pos))!;
  return pos + other[0].length;
}

export function scanToml(content: string): TomlEntry[] {
  const entries: TomlEntry[] = [];
  let table = '';
  let offset = 0;
  let inArray = false;
  for (const raw of content.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const lineOffset = offset;
    offset += raw.length + 1;
    if (inArray) {
      if (/^[^#]*\]/.test(line)) inArray = false;
      continue;
    }
    const header = /^\s*\[\s*([^\]]+?)\s*\]/.exec(line);
    if (header) {
      table = header[1]!;
      continue;
    }
    const key = readKey(line, 0);
    if (!key || line[key.end] !== '=') continue;
    const values = new Map<string, TomlString>();
    const rest = line.slice(key.end + 1).trimStart();
    if (rest.startsWith('[') && !/\]/.test(rest.replace(/#.*$/, ''))) inArray = true;
    readValue(line, key.end + 1, lineOffset, '', values);
    entries.push({ table, key: key.key, values, inline: rest.startsWith('{') });
  }
  return entries;
}
