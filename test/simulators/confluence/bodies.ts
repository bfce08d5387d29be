/**
 * Page bodies: what a write may carry (`storage` XHTML, `atlas_doc_format` as a JSON string, `wiki`
 * converted to storage on write) and how a stored body is shown in another `body-format`. Confluence
 * converts between representations with its full renderer; the simulator converts block text only
 * (paragraphs and headings), enough for a reader to see what was written.
 */
import type { Representation } from './store.ts';

export type BodyProblem = string;

const VOID = new Set(['br', 'hr', 'img', 'col', 'input', 'meta', 'link']);

/** Storage format must be well-formed XHTML: every tag closed in order. Returns the problem, if any. */
export function checkStorage(value: string): BodyProblem | null {
  const stack: string[] = [];
  const tags = /<(\/?)([A-Za-z][\w:.-]*)([^>]*?)(\/?)>|<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->/g;
  for (const match of value.matchAll(tags)) {
    const [, closing, name = '', , selfClosing] = match;
    if (!name) continue;
    const tag = name.toLowerCase();
    if (selfClosing || (!closing && VOID.has(tag))) continue;
    if (!closing) {
      stack.push(tag);
      continue;
    }
    const open = stack.pop();
    if (open !== tag) return open ? `Unexpected close tag </${tag}>; expected </${open}>.` : `Unexpected close tag </${tag}>.`;
  }
  if (stack.length > 0) return `Unexpected end of input; expected </${stack.at(-1)}>.`;
  return null;
}

interface AdfNode {
  type?: unknown;
  text?: unknown;
  attrs?: { level?: unknown };
  content?: unknown;
}

/** `atlas_doc_format` values are a JSON string holding an ADF document (version 1, type doc). */
export function checkAdf(value: string): BodyProblem | null {
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    return 'The atlas_doc_format value is not valid JSON.';
  }
  if (!doc || typeof doc !== 'object') return 'The atlas_doc_format value must be an ADF document.';
  const node = doc as AdfNode & { version?: unknown };
  if (node.type !== 'doc' || node.version !== 1 || !Array.isArray(node.content)) return 'The atlas_doc_format value must be an ADF document (type doc, version 1, content).';
  return null;
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const unescapeXml = (text: string): string => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

export function wikiToStorage(value: string): string {
  return value
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const heading = /^h([1-6])\.\s*(.*)$/.exec(line);
      return heading ? `<h${heading[1]}>${escapeXml(heading[2] ?? '')}</h${heading[1]}>` : `<p>${escapeXml(line)}</p>`;
    })
    .join('');
}

function adfText(node: AdfNode): string {
  if (node.type === 'text' && typeof node.text === 'string') return node.text;
  return Array.isArray(node.content) ? (node.content as AdfNode[]).map(adfText).join('') : '';
}

function adfToStorage(value: string): string {
  const doc = JSON.parse(value) as AdfNode;
  return ((doc.content as AdfNode[]) ?? [])
    .map((block) => {
      const text = escapeXml(adfText(block));
      if (block.type === 'heading') {
        const level = Number(block.attrs?.level) || 1;
        return `<h${level}>${text}</h${level}>`;
      }
      return `<p>${text}</p>`;
    })
    .join('');
}

function storageToAdf(value: string): string {
  const blocks = [...value.matchAll(/<(p|h[1-6])(?:\s[^>]*)?>([\s\S]*?)<\/\1>/gi)].map((m) => ({ tag: (m[1] ?? 'p').toLowerCase(), text: unescapeXml((m[2] ?? '').replace(/<[^>]+>/g, '')) }));
  const content = blocks.map((b) => {
    const inline = b.text === '' ? [] : [{ type: 'text', text: b.text }];
    return b.tag === 'p' ? { type: 'paragraph', content: inline } : { type: 'heading', attrs: { level: Number(b.tag.slice(1)) }, content: inline };
  });
  return JSON.stringify({ type: 'doc', version: 1, content });
}

/** The stored body in the representation asked for (`storage`, `atlas_doc_format`, `view`, ...). */
export function render(body: { representation: Representation; value: string }, format: string): { representation: string; value: string } {
  const storage = body.representation === 'storage' ? body.value : body.representation === 'atlas_doc_format' ? adfToStorage(body.value) : wikiToStorage(body.value);
  if (format === 'atlas_doc_format') return { representation: format, value: body.representation === 'atlas_doc_format' ? body.value : storageToAdf(storage) };
  return { representation: format, value: storage };
}
