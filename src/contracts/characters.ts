/**
 * Which characters a text input may hold. Pure rules with no dependencies, shared by the request
 * schemas (src/contracts/primitives.ts), the git layer and the services, so every layer refuses the
 * same things for the same reason.
 *
 * - Control characters (C0, DEL, C1) never belong in text we store or send: PostgreSQL refuses NUL,
 *   HTTP headers refuse line breaks, and the rest only hides or garbles content. Multi-line text may
 *   hold tab, line feed and carriage return; nothing else.
 * - Invisible and bidirectional-control characters make two different identifiers look the same, or
 *   make a name read differently from what it is (Trojan Source): refused in identifiers, names,
 *   branch names and paths, allowed in prose.
 * - Lone UTF-16 surrogates are not text at all (they cannot be encoded as UTF-8).
 */

/** C0 controls, DEL and C1 controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** The same, except tab, line feed and carriage return. */
const CONTROL_EXCEPT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** Line and paragraph separators: line breaks in disguise, refused where a line break is. */
const UNICODE_LINE_BREAKS = /[\u2028\u2029]/;
/**
 * Invisible, zero-width, bidirectional-control and other default-ignorable characters: soft hyphen,
 * combining grapheme joiner, Arabic letter mark, Hangul fillers, Khmer inherent vowels, Mongolian
 * variation selectors, U+200B–U+200F (zero-width space/joiners, LRM, RLM), U+202A–U+202E (embeddings
 * and overrides), U+2060–U+206F (word joiner, invisible operators, isolates U+2066–U+2069),
 * variation selectors, BOM / zero-width no-break space, interlinear annotation, musical formatting,
 * tag characters and the supplementary variation selectors (U+E0000–U+E0FFF).
 */
const INVISIBLE =
  /[\u00ad\u061c\u115f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\u{1d173}-\u{1d17a}\u{e0000}-\u{e0fff}]|\u034f|\u1160|\u17b4|\u17b5|[\u180b-\u180f]|[\ufe00-\ufe0f]/u;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export type TextKind =
  /** Prose: descriptions, comments, PR bodies. Tab and line breaks allowed. */
  | 'multiline'
  /** One line of free text: titles, summaries, labels. */
  | 'line'
  /** Names and identifiers: no control characters and nothing invisible. */
  | 'identifier';

function codePoint(match: string): string {
  return `U+${(match.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

function describe(text: string, pattern: RegExp, what: string): string | null {
  const found = pattern.exec(text);
  if (!found) return null;
  return `must not contain ${what} (${codePoint(found[0])} at character ${found.index + 1})`;
}

/**
 * Why `text` is not acceptable as text of this kind, or null when it is. The reason names the first
 * offending character by code point and position, never by echoing it.
 */
export function textProblem(text: string, kind: TextKind): string | null {
  if (LONE_SURROGATE.test(text)) return 'is not well-formed Unicode (a lone UTF-16 surrogate)';
  if (kind === 'multiline') return describe(text, CONTROL_EXCEPT_LINE_BREAKS, 'control characters');
  const control = describe(text, CONTROL, 'control characters or line breaks') ?? describe(text, UNICODE_LINE_BREAKS, 'control characters or line breaks');
  if (control) return control;
  if (kind === 'identifier') return describe(text, INVISIBLE, 'invisible or bidirectional-control characters');
  return null;
}

/**
 * Secrets (API tokens, PATs) are printable ASCII: they travel in HTTP headers, where a line break
 * would split the header and a non-Latin-1 character cannot be sent at all.
 */
export function secretProblem(secret: string): string | null {
  const found = /[^\u0021-\u007e]/.exec(secret);
  if (!found) return null;
  return `must be printable ASCII without spaces (${codePoint(found[0])} at character ${found.index + 1}); check for a pasted line break or invisible character`;
}

/** True when `text` has a character no identifier may hold. */
export function hasInvisible(text: string): boolean {
  return INVISIBLE.test(text);
}
