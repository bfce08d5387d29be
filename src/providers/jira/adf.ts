/**
 * Small builders for Atlassian Document Format nodes, limited to what Jira Cloud accepts in
 * descriptions and comments. They never emit an empty text node (Jira answers INVALID_INPUT) and keep
 * link hrefs to http(s), so any input string gives a valid document.
 */
export interface AdfMark {
  type: 'strong' | 'em' | 'code' | 'link';
  attrs?: { href: string };
}
export interface AdfNode {
  type: string;
  attrs?: Record<string, unknown>;
  content?: AdfNode[];
  text?: string;
  marks?: AdfMark[];
}
export interface AdfDoc {
  version: 1;
  type: 'doc';
  content: AdfNode[];
}

/** Only absolute http(s) URLs become links; anything else (javascript:, relative) stays text. */
export function safeHref(url: string | undefined | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null;
  } catch {
    return null;
  }
}

/** Control characters other than newline and tab are dropped: Jira stores them badly or refuses them. */
export function cleanText(value: string): string {
  return value.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').replace(/\r\n?/g, '\n');
}

/** Cuts to at most `max` UTF-16 units without splitting a surrogate pair, adding an ellipsis when cut. */
export function clip(value: string, max: number): string {
  if (value.length <= max) return value;
  if (max <= 1) return '…'.slice(0, Math.max(0, max));
  let end = max - 1;
  const code = value.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${value.slice(0, end)}…`;
}

export function text(value: string, marks?: AdfMark[]): AdfNode[] {
  const clean = cleanText(value);
  if (clean === '') return [];
  return [marks && marks.length > 0 ? { type: 'text', text: clean, marks } : { type: 'text', text: clean }];
}

export function strong(value: string): AdfNode[] {
  return text(value, [{ type: 'strong' }]);
}

export function code(value: string): AdfNode[] {
  return text(value, [{ type: 'code' }]);
}

export function link(value: string, url: string | null | undefined): AdfNode[] {
  const href = safeHref(url);
  const label = cleanText(value).trim() === '' ? (href ?? '') : value;
  return text(label, href ? [{ type: 'link', attrs: { href } }] : undefined);
}

/** Lines of a text joined by hardBreaks (single newlines), so line structure survives. */
export function lines(value: string): AdfNode[] {
  const out: AdfNode[] = [];
  cleanText(value)
    .split('\n')
    .forEach((line, index) => {
      if (index > 0 && out.length > 0) out.push({ type: 'hardBreak' });
      out.push(...text(line));
    });
  while (out.at(-1)?.type === 'hardBreak') out.pop();
  return out;
}

export function paragraph(...inline: AdfNode[][]): AdfNode {
  const content = inline.flat();
  return content.length > 0 ? { type: 'paragraph', content } : { type: 'paragraph' };
}

/** Paragraphs split on blank lines; empty paragraphs are dropped. */
export function paragraphs(value: string): AdfNode[] {
  return cleanText(value)
    .split(/\n[ \t]*\n/)
    .map((block) => lines(block.trim()))
    .filter((inline) => inline.length > 0)
    .map((inline) => paragraph(inline));
}

export function heading(level: 1 | 2 | 3 | 4 | 5 | 6, value: string): AdfNode {
  const content = text(value);
  return content.length > 0 ? { type: 'heading', attrs: { level }, content } : { type: 'heading', attrs: { level } };
}

export function bulletList(items: AdfNode[][]): AdfNode | null {
  const listItems = items.filter((inline) => inline.length > 0).map((inline) => ({ type: 'listItem', content: [paragraph(inline)] }));
  return listItems.length > 0 ? { type: 'bulletList', content: listItems } : null;
}

function cell(type: 'tableHeader' | 'tableCell', inline: AdfNode[]): AdfNode {
  return { type, attrs: {}, content: [paragraph(inline)] };
}

/** A table with a header row; cells are inline content (an empty cell is an empty paragraph). */
export function table(header: string[], rows: AdfNode[][][]): AdfNode {
  return {
    type: 'table',
    attrs: { isNumberColumnEnabled: false, layout: 'default' },
    content: [
      { type: 'tableRow', content: header.map((h) => cell('tableHeader', strong(h))) },
      ...rows.map((row) => ({ type: 'tableRow', content: row.map((inline) => cell('tableCell', inline)) })),
    ],
  };
}

export function doc(content: (AdfNode | null | undefined)[]): AdfDoc {
  const blocks = content.filter((node): node is AdfNode => node !== null && node !== undefined);
  return { version: 1, type: 'doc', content: blocks.length > 0 ? blocks : [paragraph()] };
}

/** What Jira counts against the 32,767 limit: the serialized document (the stricter reading). */
export function adfSize(value: AdfDoc): number {
  return JSON.stringify(value).length;
}
