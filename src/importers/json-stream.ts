/**
 * Reads a JSON report as a stream and hands back only the elements an importer asks for, each
 * assembled on its own (an element of `Results[*].Vulnerabilities`, a match, an alert), so memory
 * follows the largest element, not the report. Built on stream-json's tokenizer (see README:
 * libraries): this module keeps the path and the line, so every error names both.
 *
 * - `select`: paths whose values are assembled and yielded (`*` matches any key or index);
 * - `shape`: what a container must be when present (`Results` an array, each result an object);
 *   null is accepted wherever a container is (scanners write `"Vulnerabilities": null`);
 * - an element larger than `maxElementChars` or nested deeper than `maxDepth` is refused with the
 *   element's path, so one hostile element cannot take the memory the streaming saved.
 */
import { getManyValues, isMany, none } from 'stream-chain/defs.js';
import { jsonParser } from 'stream-json/parser.js';
import { ImportParseError, type ReportSource } from './types.ts';

export type PathKey = string | number;
export type PathPattern = readonly (string | '*')[];

export interface Selected {
  /** The index of the `select` pattern that matched. */
  selector: number;
  path: PathKey[];
  value: unknown;
  /** The line the element started on (1-based). */
  line: number;
}

export interface WalkOptions {
  select: readonly PathPattern[];
  shape?: readonly { path: PathPattern; type: 'object' | 'array' | 'object-or-array' }[];
  /** What the root must be. */
  root?: 'object' | 'array' | 'object-or-array';
  /** Select the root (a `[]` pattern) only when it is this kind of value: an array root is then walked. */
  selectRootIf?: 'object' | 'array';
  maxElementChars?: number;
  maxDepth?: number;
}

type Token = { name: string; value?: unknown };

interface Frame {
  type: 'object' | 'array';
  /** Array: index of the current element; object: the current key. */
  key: PathKey;
}

/** `$.Results[0].Vulnerabilities[3]` */
export function formatPath(path: readonly PathKey[]): string {
  let out = '$';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += /^[A-Za-z_$][\w$-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return out;
}

function matches(pattern: PathPattern, path: readonly PathKey[]): boolean {
  if (pattern.length !== path.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '*' && pattern[i] !== path[i]) return false;
  }
  return true;
}

/** A minimal assembler: JSON.parse's result for one element (a `__proto__` key stays an own property). */
class Assembler {
  private readonly stack: (unknown[] | Record<string, unknown>)[] = [];
  private readonly keys: (string | null)[] = [];
  done = false;
  value: unknown = undefined;
  chars = 0;
  depth = 0;

  consume(token: Token): void {
    switch (token.name) {
      case 'startObject':
        this.open({});
        return;
      case 'startArray':
        this.open([]);
        return;
      case 'endObject':
      case 'endArray':
        this.close();
        return;
      case 'keyValue':
        this.keys[this.keys.length - 1] = token.value as string;
        this.chars += (token.value as string).length;
        return;
      case 'stringValue':
        this.chars += (token.value as string).length;
        this.add(token.value);
        return;
      case 'numberValue':
        this.chars += (token.value as string).length;
        this.add(Number(token.value));
        return;
      case 'nullValue':
        this.add(null);
        return;
      case 'trueValue':
        this.add(true);
        return;
      case 'falseValue':
        this.add(false);
        return;
      default:
        return;
    }
  }

  private open(container: unknown[] | Record<string, unknown>): void {
    this.add(container);
    this.stack.push(container);
    this.keys.push(null);
    this.depth = Math.max(this.depth, this.stack.length);
  }

  private close(): void {
    const closed = this.stack.pop();
    this.keys.pop();
    if (this.stack.length === 0) {
      this.value = closed;
      this.done = true;
    }
  }

  private add(value: unknown): void {
    const parent = this.stack.at(-1);
    if (parent === undefined) {
      if (typeof value !== 'object' || value === null) {
        this.value = value;
        this.done = true;
      }
      return;
    }
    if (Array.isArray(parent)) {
      parent.push(value);
      return;
    }
    const key = this.keys.at(-1) ?? '';
    if (key === '__proto__') Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
    else parent[key] = value;
  }
}

function typeOf(token: Token): string {
  switch (token.name) {
    case 'startObject':
      return 'an object';
    case 'startArray':
      return 'an array';
    case 'stringValue':
      return 'a string';
    case 'numberValue':
      return 'a number';
    case 'trueValue':
    case 'falseValue':
      return 'a boolean';
    default:
      return 'null';
  }
}

const valueStarts = new Set(['startObject', 'startArray', 'stringValue', 'numberValue', 'nullValue', 'trueValue', 'falseValue']);

function acceptable(type: 'object' | 'array' | 'object-or-array', token: Token): boolean {
  if (token.name === 'nullValue') return true;
  if (type === 'object') return token.name === 'startObject';
  if (type === 'array') return token.name === 'startArray';
  return token.name === 'startObject' || token.name === 'startArray';
}

const expected = { object: 'an object', array: 'an array', 'object-or-array': 'an object or an array' } as const;

/** Decoded text of the report, cut at line ends so a tokenizer error knows its line. */
async function* lines(source: ReportSource): AsyncGenerator<{ text: string; line: number }> {
  const decoder = new TextDecoder('utf-8');
  let line = 1;
  let first = true;
  const emit = function* (text: string) {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        if (start < text.length) yield { text: start === 0 ? text : text.slice(start), line };
        return;
      }
      yield { text: text.slice(start, nl + 1), line };
      line++;
      start = nl + 1;
    }
  };
  for await (const chunk of source) {
    let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    yield* emit(text);
  }
  yield* emit(decoder.decode());
}

/** Yields every element the `select` patterns name, in document order. */
export async function* walkJson(source: ReportSource, options: WalkOptions): AsyncGenerator<Selected> {
  const maxChars = options.maxElementChars ?? 16 * 1024 * 1024;
  const maxDepth = options.maxDepth ?? 64;
  const tokenizer = jsonParser({ streamValues: false });
  const frames: Frame[] = [];
  const path = (): PathKey[] => frames.map((f) => f.key);
  let line = 1;
  let sawRoot = false;
  let assembling: { assembler: Assembler; selector: number; path: PathKey[]; line: number; depth: number } | null = null;

  const fail = (message: string, at: readonly PathKey[] = path()): never => {
    throw new ImportParseError(message, formatPath(at), line);
  };

  function* handle(token: Token): Generator<Selected> {
    if (assembling) {
      const a = assembling;
      a.assembler.consume(token);
      if (a.assembler.chars > maxChars) fail(`element larger than ${maxChars} characters`, a.path);
      if (a.assembler.depth > maxDepth) fail(`element nested deeper than ${maxDepth} levels`, a.path);
      if (!a.assembler.done) return;
      assembling = null;
      yield { selector: a.selector, path: a.path, value: a.assembler.value, line: a.line };
      advance();
      return;
    }
    if (token.name === 'keyValue') {
      const top = frames.at(-1);
      if (top) top.key = token.value as string;
      return;
    }
    if (token.name === 'endObject' || token.name === 'endArray') {
      frames.pop();
      advance();
      return;
    }
    if (!valueStarts.has(token.name)) return;
    // A value starts at the current path.
    const here = path();
    if (!sawRoot) {
      sawRoot = true;
      if (options.root && !(token.name !== 'nullValue' && acceptable(options.root, token))) {
        fail(`expected ${expected[options.root]}, got ${typeOf(token)}`, []);
      }
    }
    for (const rule of options.shape ?? []) {
      if (matches(rule.path, here) && !acceptable(rule.type, token)) fail(`expected ${expected[rule.type]}, got ${typeOf(token)}`, here);
    }
    const rootSkipped = here.length === 0 && options.selectRootIf !== undefined && !acceptable(options.selectRootIf, token);
    const selector = rootSkipped ? -1 : options.select.findIndex((pattern) => matches(pattern, here));
    if (selector >= 0) {
      const assembler = new Assembler();
      assembling = { assembler, selector, path: here, line, depth: frames.length };
      yield* handle(token);
      return;
    }
    if (token.name === 'startObject') {
      if (frames.length >= maxDepth) fail(`nested deeper than ${maxDepth} levels`, here);
      frames.push({ type: 'object', key: '' });
    } else if (token.name === 'startArray') {
      if (frames.length >= maxDepth) fail(`nested deeper than ${maxDepth} levels`, here);
      frames.push({ type: 'array', key: 0 });
    } else {
      advance();
    }
  }

  /** After a value ends: the next element of an array gets the next index. */
  function advance(): void {
    const top = frames.at(-1);
    if (top?.type === 'array') top.key = (top.key as number) + 1;
  }

  const run = function* (output: unknown): Generator<Selected> {
    if (output === none) return;
    const tokens = isMany(output) ? (getManyValues(output) as Token[]) : [output as Token];
    for (const token of tokens) yield* handle(token);
  };

  try {
    for await (const piece of lines(source)) {
      line = piece.line;
      let output: unknown;
      try {
        output = tokenizer(piece.text);
      } catch (error) {
        fail(`not valid JSON: ${describeTokenizerError(error)}`);
      }
      yield* run(output);
    }
    let output: unknown;
    try {
      output = (tokenizer as (input: unknown) => unknown)(none);
    } catch (error) {
      fail(`not valid JSON: ${describeTokenizerError(error)}`);
    }
    yield* run(output);
  } finally {
    assembling = null;
  }
  if (!sawRoot) throw new ImportParseError('empty report: no JSON value', '$', line);
  if (frames.length > 0 || assembling) fail('not valid JSON: the report ends inside a value');
}

function describeTokenizerError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Parser cannot parse input:\s*/, '') || 'unexpected input';
}

/** The first `bytes` of a report as text, for detection (a BOM dropped). */
export function headText(head: Uint8Array | string): string {
  const text = typeof head === 'string' ? head : new TextDecoder('utf-8').decode(head);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
