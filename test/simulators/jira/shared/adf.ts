/**
 * Structural check of Atlassian Document Format, the subset a ticket integration writes: paragraphs,
 * headings, lists, code blocks, quotes, panels, rules, tables, task lists and the common inline nodes and
 * marks. Jira answers a non-document value with a field error and a malformed document with a bare
 * `INVALID_INPUT`, so the checker distinguishes the two. Unknown node types are malformed: a fake that
 * let them through would hide documents the real site refuses.
 */
export type AdfVerdict = { ok: true } | { ok: false; reason: 'not-a-document' | 'invalid'; detail: string };

type Node = { type?: unknown; content?: unknown; attrs?: unknown; marks?: unknown; text?: unknown };

class Invalid extends Error {}

const INLINE = new Set(['text', 'hardBreak', 'mention', 'emoji', 'inlineCard', 'date', 'status']);
const BLOCK = new Set([
  'paragraph',
  'heading',
  'bulletList',
  'orderedList',
  'codeBlock',
  'blockquote',
  'rule',
  'panel',
  'table',
  'taskList',
  'mediaSingle',
  'expand',
]);
const MARKS = new Set(['strong', 'em', 'code', 'strike', 'underline', 'link', 'textColor', 'subsup']);
/** `code` may only be combined with `link` (CodeTextMarks vs FormattedTextMarks). */
const CODE_COMPATIBLE = new Set(['code', 'link']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function attrs(node: Node): Record<string, unknown> {
  if (node.attrs === undefined) return {};
  if (!isObject(node.attrs)) throw new Invalid('attrs must be an object');
  return node.attrs;
}

function children(node: Node, required: boolean): Node[] {
  if (node.content === undefined) {
    if (required) throw new Invalid(`${String(node.type)} needs content`);
    return [];
  }
  if (!Array.isArray(node.content)) throw new Invalid('content must be an array');
  for (const child of node.content) if (!isObject(child)) throw new Invalid('content items must be nodes');
  return node.content as Node[];
}

function checkMarks(node: Node, allowed: boolean): void {
  if (node.marks === undefined) return;
  if (!Array.isArray(node.marks)) throw new Invalid('marks must be an array');
  if (!allowed && node.marks.length > 0) throw new Invalid('marks not allowed here');
  const seen = new Set<string>();
  for (const mark of node.marks) {
    if (!isObject(mark) || typeof mark.type !== 'string' || !MARKS.has(mark.type)) throw new Invalid('unknown mark');
    if (seen.has(mark.type)) throw new Invalid('duplicate mark');
    seen.add(mark.type);
    const markAttrs = mark.attrs === undefined ? {} : mark.attrs;
    if (!isObject(markAttrs)) throw new Invalid('mark attrs must be an object');
    if (mark.type === 'link' && typeof markAttrs.href !== 'string') throw new Invalid('link needs href');
    if (mark.type === 'textColor' && !/^#[0-9a-fA-F]{6}$/.test(String(markAttrs.color))) throw new Invalid('bad color');
    if (mark.type === 'subsup' && markAttrs.type !== 'sub' && markAttrs.type !== 'sup') throw new Invalid('bad subsup');
  }
  if (seen.has('code') && [...seen].some((m) => !CODE_COMPATIBLE.has(m))) throw new Invalid('code mark combined with formatting');
}

function checkInline(node: Node, marksAllowed: boolean): void {
  switch (node.type) {
    case 'text':
      // "Empty text nodes are not permitted" (schema minLength 1).
      if (typeof node.text !== 'string' || node.text.length === 0) throw new Invalid('text must be a non-empty string');
      checkMarks(node, marksAllowed);
      return;
    case 'hardBreak':
      return;
    case 'mention':
      if (typeof attrs(node).id !== 'string') throw new Invalid('mention needs attrs.id');
      return;
    case 'emoji':
      if (typeof attrs(node).shortName !== 'string') throw new Invalid('emoji needs attrs.shortName');
      return;
    case 'inlineCard':
      if (typeof attrs(node).url !== 'string' && attrs(node).data === undefined) throw new Invalid('inlineCard needs url');
      return;
    case 'date':
      if (typeof attrs(node).timestamp !== 'string') throw new Invalid('date needs attrs.timestamp');
      return;
    case 'status':
      if (typeof attrs(node).text !== 'string' || typeof attrs(node).color !== 'string') throw new Invalid('status needs text, color');
      return;
    default:
      throw new Invalid(`inline node expected, got ${String(node.type)}`);
  }
}

function inlineContent(node: Node): void {
  for (const child of children(node, false)) checkInline(child, true);
}

function checkListItem(node: Node): void {
  if (node.type !== 'listItem') throw new Invalid('lists contain listItem only');
  const items = children(node, true);
  const first = items[0];
  // A nested list cannot be the first child of a list item.
  if (!first || !['paragraph', 'codeBlock', 'mediaSingle'].includes(String(first.type))) throw new Invalid('listItem must start with a paragraph');
  for (const item of items) checkBlock(item);
}

function checkTableCell(node: Node): void {
  if (node.type !== 'tableCell' && node.type !== 'tableHeader') throw new Invalid('tableRow contains tableCell/tableHeader only');
  const a = attrs(node);
  for (const span of ['colspan', 'rowspan'] as const) {
    if (a[span] !== undefined && (!Number.isInteger(a[span]) || (a[span] as number) < 1)) throw new Invalid(`bad ${span}`);
  }
  if (a.colwidth !== undefined && !Array.isArray(a.colwidth)) throw new Invalid('colwidth must be an array');
  const blocks = children(node, true);
  if (blocks.length === 0) throw new Invalid('table cells need block content');
  for (const block of blocks) {
    if (block.type === 'table') throw new Invalid('tables cannot nest');
    checkBlock(block);
  }
}

function checkBlock(node: Node): void {
  switch (node.type) {
    case 'paragraph':
      inlineContent(node);
      return;
    case 'heading': {
      const level = attrs(node).level;
      if (!Number.isInteger(level) || (level as number) < 1 || (level as number) > 6) throw new Invalid('heading level 1-6');
      inlineContent(node);
      return;
    }
    case 'bulletList':
    case 'orderedList': {
      const items = children(node, true);
      if (items.length === 0) throw new Invalid('lists need at least one listItem');
      const order = attrs(node).order;
      if (node.type === 'orderedList' && order !== undefined && (!Number.isInteger(order) || (order as number) < 0)) throw new Invalid('bad order');
      for (const item of items) checkListItem(item);
      return;
    }
    case 'codeBlock':
      // No marks on text inside a code block.
      for (const child of children(node, false)) {
        if (child.type !== 'text') throw new Invalid('codeBlock holds text only');
        checkInline(child, false);
      }
      return;
    case 'blockquote':
    case 'panel':
    case 'expand': {
      if (node.type === 'panel') {
        const panelType = attrs(node).panelType;
        if (!['info', 'note', 'warning', 'success', 'error', 'tip', 'custom'].includes(String(panelType))) throw new Invalid('bad panelType');
      }
      const blocks = children(node, true);
      if (blocks.length === 0) throw new Invalid(`${node.type} needs content`);
      for (const block of blocks) checkBlock(block);
      return;
    }
    case 'rule':
      if (node.content !== undefined) throw new Invalid('rule has no content');
      return;
    case 'table': {
      const rows = children(node, true);
      if (rows.length === 0) throw new Invalid('table needs rows');
      for (const row of rows) {
        if (row.type !== 'tableRow') throw new Invalid('table contains tableRow only');
        const cells = children(row, true);
        if (cells.length === 0) throw new Invalid('tableRow needs cells');
        for (const cell of cells) checkTableCell(cell);
      }
      return;
    }
    case 'taskList': {
      // localId is required on taskList and taskItem; omitting it is a known INVALID_INPUT.
      if (typeof attrs(node).localId !== 'string') throw new Invalid('taskList needs localId');
      const items = children(node, true);
      if (items.length === 0) throw new Invalid('taskList needs items');
      for (const item of items) {
        if (item.type === 'taskList') {
          checkBlock(item);
          continue;
        }
        if (item.type !== 'taskItem') throw new Invalid('taskList contains taskItem');
        const a = attrs(item);
        if (typeof a.localId !== 'string' || (a.state !== 'TODO' && a.state !== 'DONE')) throw new Invalid('taskItem needs localId, state');
        inlineContent(item);
      }
      return;
    }
    case 'mediaSingle': {
      const media = children(node, true);
      if (media.length !== 1 || media[0]?.type !== 'media') throw new Invalid('mediaSingle holds one media');
      const a = attrs(media[0]);
      if (a.type === 'external' ? typeof a.url !== 'string' : typeof a.id !== 'string') throw new Invalid('media needs id or url');
      return;
    }
    default:
      if (INLINE.has(String(node.type))) throw new Invalid(`inline node ${String(node.type)} at block level`);
      throw new Invalid(`unknown node type ${String(node.type)}`);
  }
}

export function validateAdf(value: unknown): AdfVerdict {
  if (!isObject(value)) return { ok: false, reason: 'not-a-document', detail: 'not an object' };
  try {
    if (value.type !== 'doc') throw new Invalid('top-level type must be doc');
    if (value.version !== 1) throw new Invalid('version must be 1');
    if (!Array.isArray(value.content)) throw new Invalid('doc needs content');
    for (const block of children(value as Node, true)) {
      if (!BLOCK.has(String(block.type))) throw new Invalid(`doc content must be block nodes, got ${String(block.type)}`);
      checkBlock(block);
    }
    return { ok: true };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, reason: 'invalid', detail: error.message };
    throw error;
  }
}

/** Plain text of a document (for `~` style matching and for webhook payloads, which carry strings). */
export function adfToWiki(value: unknown): string {
  if (!isObject(value)) return '';
  const out: string[] = [];
  const walk = (node: Node, prefix: string): string => {
    const kids = Array.isArray(node.content) ? (node.content as Node[]) : [];
    switch (node.type) {
      case 'text':
        return String(node.text ?? '');
      case 'hardBreak':
        return '\n';
      case 'paragraph':
        return kids.map((k) => walk(k, prefix)).join('');
      case 'heading':
        return `h${String(attrs(node).level ?? 1)}. ${kids.map((k) => walk(k, prefix)).join('')}`;
      case 'codeBlock':
        return `{code}\n${kids.map((k) => walk(k, prefix)).join('')}\n{code}`;
      case 'bulletList':
      case 'orderedList': {
        const marker = node.type === 'bulletList' ? '*' : '#';
        return kids.map((k) => `${prefix}${marker} ${walk(k, prefix + marker)}`).join('\n');
      }
      case 'listItem':
        return kids.map((k) => walk(k, prefix)).join('\n');
      case 'tableRow':
        return `|${kids.map((k) => walk(k, prefix)).join('|')}|`;
      default:
        return kids.map((k) => walk(k, prefix)).join(node.type === 'table' || node.type === 'doc' ? '\n' : '');
    }
  };
  for (const block of Array.isArray(value.content) ? (value.content as Node[]) : []) out.push(walk(block, ''));
  return out.join('\n\n');
}
