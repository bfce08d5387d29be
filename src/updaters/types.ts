/**
 * The updater contract: every ecosystem folder exports one `Updater`.
 * Updaters are pure text functions (no I/O, no environment): `extract` finds the dependencies of one
 * manifest with the exact offsets of each version, `update` rewrites only those offsets and re-checks
 * the result before returning it (see ./replace-span.ts).
 */

export type Ecosystem = 'npm' | 'pip' | 'gomod' | 'maven' | 'gradle' | 'bundler';

export const ecosystems: readonly Ecosystem[] = ['npm', 'pip', 'gomod', 'maven', 'gradle', 'bundler'];

/** Half-open [start, end) offsets into the manifest string. */
export interface Span {
  start: number;
  end: number;
}

/** Stable machine codes for everything an updater declines to do. */
export type RefusalCode =
  | 'invalid-version'
  | 'package-not-found'
  | 'unparseable-manifest'
  | 'git-source'
  | 'path-source'
  | 'url-source'
  | 'workspace-protocol'
  | 'alias'
  | 'reference'
  | 'no-version'
  | 'dynamic-version'
  | 'unsupported-requirement'
  | 'no-floor'
  | 'upper-bound-excludes-fix'
  | 'excluded-version'
  | 'hashes-required'
  | 'version-defined-elsewhere'
  | 'complex-property'
  | 'replaced-module'
  | 'verification-failed';

export interface ExtractedDependency {
  /** The package as its ecosystem names it (npm name, PEP 503 normalised pip name, module path, group:artifact, plugin id, gem). */
  name: string;
  /** The name exactly as written in the file (pip spelling, npm override selector, …). */
  rawName: string;
  /** Where it is declared: `dependencies`, `require`, `parent`, `plugins`, `[libraries]`, … */
  kind: string;
  /** The text at `span`: the requirement this updater may rewrite (`^1.2.3`, `==3.2.4, <4`, `v1.2.3`). */
  currentValue: string;
  /** Offsets of `currentValue`; null when the declaration carries no editable version. */
  span: Span | null;
  /** Offsets of the name, only where an update may have to rewrite it (Go major version suffixes). */
  nameSpan?: Span;
  /** When the version lives in a property / catalog key, its name (`${spring.version}`, `version.ref = "x"`). */
  property?: string;
  /** Other requirements that constrain the same declaration but are not rewritten (`< 3` next to `>= 1`). */
  constraints?: string[];
  /** pip `--hash` lines: the version cannot change without new hashes from the index. */
  hashPinned?: boolean;
  /** Set when the declaration cannot be updated; `skipMessage` says why in a sentence. */
  skipReason?: RefusalCode;
  skipMessage?: string;
}

export interface UpdateRequest {
  packageName: string;
  fixedVersion: string;
}

export interface Change {
  name: string;
  from: string;
  to: string;
  /** Offset of the change in the original content. */
  offset: number;
}

export interface Note {
  code: string;
  message: string;
}

export type UpdateResult =
  | { ok: true; content: string; changes: Change[]; notes: Note[] }
  | { ok: false; code: RefusalCode; reason: string; property?: string };

export interface Updater {
  ecosystem: Ecosystem;
  /** True when the path (relative, `/`-separated) names a manifest this updater owns. */
  fileMatch(path: string): boolean;
  extract(content: string, path: string): ExtractedDependency[];
  update(content: string, path: string, request: UpdateRequest): UpdateResult;
}

/** What a requirement policy (each ecosystem's range.ts) decides for one declaration. */
export type BumpDecision =
  | { kind: 'bump'; value: string; notes?: Note[]; newName?: string }
  | { kind: 'satisfied' }
  | { kind: 'refuse'; code: RefusalCode; reason: string };

export function refuse(code: RefusalCode, reason: string): { kind: 'refuse'; code: RefusalCode; reason: string } {
  return { kind: 'refuse', code, reason };
}
