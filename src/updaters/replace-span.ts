/**
 * The one way every updater writes a file: splice new text into known spans, then re-extract the
 * result and check that the extraction changed exactly as intended (the edited declarations now hold
 * the new values, every other declaration is untouched). A mismatch means the scanner and the file
 * disagree, so the update is refused rather than returned half-right.
 */
import type { ExtractedDependency, Span } from './types.ts';

export interface SpanEdit extends Span {
  text: string;
}

/** Replaces each span (original offsets, non-overlapping) with its text; all other bytes are kept. */
export function applyEdits(content: string, edits: readonly SpanEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let cursor = 0;
  for (const edit of sorted) {
    if (edit.start < cursor || edit.end < edit.start || edit.end > content.length) {
      throw new Error(`overlapping or out-of-range edit at ${edit.start}`);
    }
    out += content.slice(cursor, edit.start) + edit.text;
    cursor = edit.end;
  }
  return out + content.slice(cursor);
}

const sameSpan = (a: Span | null | undefined, b: Span): boolean => !!a && a.start === b.start && a.end === b.end;

/**
 * Compares the extraction before and after an edit. Returns null when it matches, else a sentence
 * naming the first difference.
 */
export function verifyExtraction(
  before: readonly ExtractedDependency[],
  after: readonly ExtractedDependency[],
  edits: readonly SpanEdit[],
): string | null {
  if (before.length !== after.length) {
    return `the file now declares ${after.length} dependencies instead of ${before.length}`;
  }
  for (let i = 0; i < before.length; i++) {
    const was = before[i]!;
    const now = after[i]!;
    const valueEdit = edits.find((e) => sameSpan(was.span, e));
    const nameEdit = edits.find((e) => sameSpan(was.nameSpan, e));
    const wantValue = valueEdit ? valueEdit.text : was.currentValue;
    const wantName = nameEdit ? undefined : was.name;
    if (now.currentValue !== wantValue) {
      return `${was.name} reads '${now.currentValue}' after the edit, expected '${wantValue}'`;
    }
    if (wantName !== undefined && now.name !== wantName) {
      return `dependency ${i} is now named ${now.name}, expected ${wantName}`;
    }
    if (nameEdit && now.rawName !== nameEdit.text) {
      return `${was.name} was renamed to ${now.rawName}, expected ${nameEdit.text}`;
    }
    if (now.kind !== was.kind || now.skipReason !== was.skipReason || now.property !== was.property) {
      return `${was.name} changed shape after the edit`;
    }
  }
  return null;
}
