/**
 * A CommentBody (plain text plus links) rendered for each flavour: ADF paragraphs with link marks for
 * Cloud, wiki markup for Server. Capped to Jira's 32,767 limit by shortening the text, never the links.
 */
import { type AdfDoc, adfSize, clip, doc, link, paragraph, paragraphs } from './adf.ts';
import type { CommentBody } from './types.ts';
import { escapeWiki, wikiLink } from './wiki.ts';

export const RICH_TEXT_LIMIT = 32_767;
const MAX_LINKS = 50;

export function commentToAdf(body: CommentBody, limit = RICH_TEXT_LIMIT): AdfDoc {
  const links = (body.links ?? []).slice(0, MAX_LINKS).map((l) => paragraph(link(clip(l.text, 500), l.url)));
  let textChars = body.text.length;
  for (;;) {
    const result = doc([...paragraphs(clip(body.text, textChars)), ...links]);
    if (adfSize(result) <= limit || textChars === 0) return result;
    textChars = Math.floor(textChars * 0.8);
  }
}

export function commentToWiki(body: CommentBody, limit = RICH_TEXT_LIMIT): string {
  const links = (body.links ?? []).slice(0, MAX_LINKS).map((l) => wikiLink(clip(l.text, 500), l.url));
  let textChars = body.text.length;
  for (;;) {
    const parts = [escapeWiki(clip(body.text, textChars)).trim(), ...links].filter((p) => p !== '');
    const result = parts.join('\n\n');
    if (result.length <= limit || textChars === 0) return result;
    textChars = Math.floor(textChars * 0.8);
  }
}
