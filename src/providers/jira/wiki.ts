/**
 * Jira wiki markup (Server/Data Center rich text): escaping of user text and the few constructs the
 * descriptions and comments use. User text can never open a link, macro, table cell or heading.
 */
import { cleanText, safeHref } from './adf.ts';

/** Characters with meaning in Jira wiki markup; a backslash makes each literal. */
const SPECIAL = /[\\{}[\]|*_+\-^~?!#]/g;

export function escapeWiki(value: string): string {
  return (
    cleanText(value)
      // `\\` is a forced line break in wiki, so a literal backslash goes in as an entity.
      .replace(SPECIAL, (ch) => (ch === '\\' ? '&#92;' : `\\${ch}`))
      // `h1.`, `bq.` at a line start would turn the line into a heading or quote.
      .replace(/^(\s*)(h[1-6]|bq)\./gm, '$1$2&#46;')
  );
}

/** Escaped text on one line: for table cells and headings, where a newline would end the construct. */
export function escapeInline(value: string): string {
  return escapeWiki(value.replace(/\s*\n\s*/g, ' '));
}

/** `[text|url]`; the URL is percent-encoded where wiki would read it as syntax. Non-http(s) URLs stay text. */
export function wikiLink(label: string, url: string | null | undefined): string {
  const href = safeHref(url);
  const shown = escapeInline(label.trim() === '' ? (href ?? '') : label);
  if (!href) return shown;
  const encoded = href.replace(/[|[\]{} ]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `[${shown}|${encoded}]`;
}

export function wikiHeading(level: 1 | 2 | 3 | 4 | 5 | 6, value: string): string {
  return `h${level}. ${escapeInline(value)}`;
}

export function wikiTable(header: string[], rows: string[][]): string {
  const cell = (value: string) => (value.trim() === '' ? ' ' : value);
  return [`||${header.map((h) => escapeInline(h)).join('||')}||`, ...rows.map((row) => `|${row.map(cell).join('|')}|`)].join('\n');
}

export function wikiBullets(items: string[]): string {
  return items
    .filter((item) => item.trim() !== '')
    .map((item) => `* ${item}`)
    .join('\n');
}

/** `{{monospace}}` with the content escaped (braces inside would close it early). */
export function wikiMonospace(value: string): string {
  const escaped = escapeInline(value);
  return escaped === '' ? '' : `{{${escaped}}}`;
}
