/**
 * The primitives every request schema is built from (issue 10: one contracts module of zod schemas
 * imported by routes, services and UI). Each text input is one of a few kinds, and each kind refuses
 * the same characters everywhere, with a 400 VALIDATION_FAILED naming the field:
 *
 * - `safeText(max)`   prose (descriptions, comments, PR bodies): no control characters except tab and
 *                     line breaks; not trimmed.
 * - `safeLine(max)`   one line of free text (titles, keys, labels, URLs): no control characters or line
 *                     breaks; trimmed.
 * - `identifier(max)` names and identifiers (package, case and connection names, ids, branch names):
 *                     as a line, and nothing invisible or bidirectional.
 * - `secret(max)`     tokens and PATs: printable ASCII only, so a pasted NUL, line break or invisible
 *                     character is refused before it is stored (it would fail every later call).
 * - `branchName`, `repoPath`: git's rules plus ours (src/contracts/git-names.ts), the same functions
 *                     the git layer checks with.
 * - `boundedJson()`   any JSON value from a caller (custom fields, seed 001 `fields`, ADF): bounded
 *                     depth, node count, string and key length, no prototype keys.
 */
import { z } from 'zod';
import type { ErrorCode } from '../errors/catalogue.ts';
import { secretProblem, type TextKind, textProblem } from './characters.ts';
import { branchNameProblem, MAX_BRANCH_NAME_BYTES, MAX_REPO_PATH_LENGTH, repoPathProblem } from './git-names.ts';

/**
 * A custom issue may carry the catalogue code to answer with instead of VALIDATION_FAILED (the error
 * handler reads `params.errorCode`), for refusals that have their own documented code.
 */
export interface IssueParams {
  /** Typed against the catalogue, so renaming a code there is a type error here. */
  errorCode?: ErrorCode;
}

function checked(schema: z.ZodString, problem: (value: string) => string | null, params?: IssueParams): z.ZodString {
  return schema.superRefine((value, ctx) => {
    const found = problem(value);
    if (found) ctx.addIssue({ code: 'custom', message: found, ...(params ? { params } : {}) });
  });
}

const textRule = (kind: TextKind) => (value: string) => textProblem(value, kind);

/** Multi-line prose: tab, line feed and carriage return allowed; kept as given unless `trim`. */
export function safeText(max: number, options: { min?: number; trim?: boolean } = {}): z.ZodString {
  const base = options.trim ? z.string().trim() : z.string();
  return checked(base.min(options.min ?? 0).max(max), textRule('multiline'));
}

/** One line of free text, trimmed; at least one character unless `min` says otherwise. */
export function safeLine(max: number, options: { min?: number } = {}): z.ZodString {
  return checked(z.string().trim().min(options.min ?? 1).max(max), textRule('line'));
}

/** A name or identifier, trimmed: one line, nothing invisible or bidirectional. */
export function identifier(max: number, options: { min?: number } = {}): z.ZodString {
  return checked(z.string().trim().min(options.min ?? 1).max(max), textRule('identifier'));
}

/** A token or PAT: printable ASCII, not trimmed (a pasted line break is refused, not guessed at). */
export function secret(max = 4096, options: { min?: number } = {}): z.ZodString {
  return checked(z.string().min(options.min ?? 1).max(max), (value) => (value === '' ? null : secretProblem(value)));
}

/** An http(s) URL, with nothing invisible in it. */
export function webUrl(max = 2048) {
  return z
    .url({ protocol: /^https?$/ })
    .max(max)
    .superRefine((value, ctx) => {
      const found = textProblem(value, 'identifier');
      if (found) ctx.addIssue({ code: 'custom', message: found });
    });
}

/**
 * A branch name by git's rules and ours; refused with BRANCH_NAME_INVALID. Not trimmed: trimming would
 * silently drop a leading or trailing invisible character (U+FEFF) instead of refusing it.
 */
export function branchName(): z.ZodString {
  return checked(
    z.string().min(1).max(MAX_BRANCH_NAME_BYTES),
    (value) => {
      const found = branchNameProblem(value);
      return found ? `is not an allowed branch name: ${found}` : null;
    },
    { errorCode: 'BRANCH_NAME_INVALID' },
  );
}

/** A repository-relative path inside the work tree and outside .git; refused with MANIFEST_PATH_REFUSED. */
export function repoPath(): z.ZodString {
  return checked(
    z.string().trim().min(1).max(MAX_REPO_PATH_LENGTH),
    (value) => {
      const found = repoPathProblem(value);
      return found ? `is refused as a repository path: ${found}` : null;
    },
    { errorCode: 'MANIFEST_PATH_REFUSED' },
  );
}

export interface JsonLimits {
  /** Containers inside containers; the value itself is depth 1. */
  maxDepth: number;
  /** Every value, key/value pair and array element counted once. */
  maxNodes: number;
  maxStringLength: number;
  maxKeyLength: number;
}

/** Generous for Jira fields and ADF documents (nested lists included), far from any stack limit. */
export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 64, maxNodes: 20_000, maxStringLength: 100_000, maxKeyLength: 256 };

/** Keys that change an object's prototype when copied with assignment or a recursive merge. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface JsonProblem {
  path: (string | number)[];
  message: string;
}

interface Frame {
  value: unknown;
  depth: number;
  key: string | number | null;
  parent: Frame | null;
}

function pathOf(frame: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let current: Frame | null = frame; current && current.key !== null; current = current.parent) path.push(current.key);
  return path.reverse();
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The first way `value` is not bounded JSON, with the path to it, or null (too deep or too many
 * values: the path of the whole value). Iterative (no recursion), and stops at the first problem, so
 * a 20,000-deep or huge value costs at most `maxNodes` steps.
 */
export function jsonProblem(value: unknown, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonProblem | null {
  const stack: Frame[] = [{ value, depth: 1, key: null, parent: null }];
  let nodes = 0;
  while (stack.length > 0) {
    const frame = stack.pop()!;
    nodes += 1;
    if (nodes > limits.maxNodes) return { path: [], message: `has more than ${limits.maxNodes.toLocaleString('en')} values` };
    const current = frame.value;
    if (current === null || typeof current === 'boolean') continue;
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return { path: pathOf(frame), message: 'is not a finite number' };
      continue;
    }
    if (typeof current === 'string') {
      if (current.length > limits.maxStringLength) {
        return { path: pathOf(frame), message: `is longer than ${limits.maxStringLength.toLocaleString('en')} characters` };
      }
      const found = textProblem(current, 'multiline');
      if (found) return { path: pathOf(frame), message: found };
      continue;
    }
    if (typeof current !== 'object') return { path: pathOf(frame), message: `is not JSON (a ${typeof current})` };
    if (frame.depth > limits.maxDepth) return { path: [], message: `nests deeper than ${limits.maxDepth} levels` };
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index -= 1) stack.push({ value: current[index], depth: frame.depth + 1, key: index, parent: frame });
      continue;
    }
    if (!isPlainObject(current)) return { path: pathOf(frame), message: 'is not a JSON object' };
    const keys = Object.keys(current);
    for (let index = keys.length - 1; index >= 0; index -= 1) {
      const key = keys[index]!;
      const child: Frame = { value: (current as Record<string, unknown>)[key], depth: frame.depth + 1, key, parent: frame };
      if (PROTOTYPE_KEYS.has(key)) return { path: pathOf(child), message: `the key "${key}" is not allowed` };
      if (key.length > limits.maxKeyLength) return { path: pathOf(frame), message: `has a key longer than ${limits.maxKeyLength} characters` };
      const found = textProblem(key, 'line');
      if (found) return { path: pathOf(frame), message: `has a key that ${found}` };
      stack.push(child);
    }
  }
  return null;
}

const isJsonSpace = (code: number) => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

/**
 * True when JSON text that parsed is certainly within `limits`, so that jsonProblem of its value is
 * null, judged in one pass over the text; false when it may not be (then jsonProblem of the parsed
 * value says what and where). Errs only towards false: any escape that can make a control character
 * or a surrogate (\b, \f, \u), any DEL or C1 character, line separator or surrogate (so any
 * astral character), an exponent or a number of more than 300 digits, a key with an escape or a
 * prototype key. For hot paths that hold the text anyway (webhook ingest), where walking the parsed
 * value costs more than this scan.
 */
export function jsonTextWithinLimits(text: string, limits: JsonLimits): boolean {
  // Every value takes at least one character, and no string is longer than the text.
  if (text.length > limits.maxNodes || text.length > limits.maxStringLength) return false;
  let depth = 0;
  let digits = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 0x22) {
      const start = index;
      let escaped = false;
      for (index += 1; index < text.length; index += 1) {
        const inner = text.charCodeAt(index);
        if (inner === 0x22) break;
        if (inner === 0x5c) {
          const next = text.charCodeAt(index + 1);
          if (next === 0x62 || next === 0x66 || next === 0x75) return false;
          escaped = true;
          index += 1;
        } else if ((inner >= 0x7f && inner <= 0x9f) || inner === 0x2028 || inner === 0x2029 || (inner >= 0xd800 && inner <= 0xdfff)) {
          return false;
        }
      }
      let after = index + 1;
      while (after < text.length && isJsonSpace(text.charCodeAt(after))) after += 1;
      if (text.charCodeAt(after) === 0x3a) {
        const length = index - start - 1;
        if (escaped || length > limits.maxKeyLength) return false;
        if (length >= 9 && length <= 11 && PROTOTYPE_KEYS.has(text.slice(start + 1, index))) return false;
      }
      digits = 0;
    } else if (code === 0x7b || code === 0x5b) {
      depth += 1;
      if (depth > limits.maxDepth) return false;
    } else if (code === 0x7d || code === 0x5d) {
      depth -= 1;
    } else if (code >= 0x30 && code <= 0x39) {
      digits += 1;
      if (digits > 300) return false;
    } else if (code === 0x65 || code === 0x45) {
      if (digits > 0) return false;
    } else if (code !== 0x2e) {
      digits = 0;
    }
  }
  return true;
}

function refineJson<T extends z.ZodType>(schema: T, limits: JsonLimits): T {
  return schema.superRefine((value, ctx) => {
    const found = jsonProblem(value, limits);
    if (found) ctx.addIssue({ code: 'custom', message: found.message, path: found.path });
  }) as unknown as T;
}

/** Any JSON value, bounded (replaces `z.unknown()` for caller-supplied JSON). */
export function boundedJson(limits: Partial<JsonLimits> = {}) {
  return refineJson(z.unknown(), { ...DEFAULT_JSON_LIMITS, ...limits });
}

/** A JSON object with `key` schemas, bounded as a whole. */
export function boundedJsonObject<K extends z.ZodType<string>>(key: K, limits: Partial<JsonLimits> = {}) {
  return refineJson(z.record(key, z.unknown()), { ...DEFAULT_JSON_LIMITS, ...limits });
}
