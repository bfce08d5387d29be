/**
 * The contract every scanner importer keeps (one folder per format, registered in ./registry.ts):
 * `detect` looks at the first bytes of a report and says how sure it is that the report is its
 * format; `parse` reads the report as a stream and yields normalised findings and per-item skip
 * reasons, one at a time, never holding the whole report. Importers are pure parsing: no files,
 * network or database; the import service (src/services/imports) decides what is written.
 *
 * A report that is not what the format promises (not JSON, `Results` not an array, an element that is
 * not an object) throws ImportParseError naming the JSON path (and the line); a report that is fine
 * but says nothing (no `Results`, `Vulnerabilities: null`) yields nothing.
 */
import type { Severity } from '../domain/severity.ts';

export { type ImportFormat, importFormats, type SkipReason, skipReasons } from '../domain/imports.ts';
import type { ImportFormat, SkipReason } from '../domain/imports.ts';

/** A vulnerable package, as one scanner saw it in one place. */
export interface PackageFinding {
  kind: 'package';
  /** Canonical ecosystem (the updater registry's name: npm, pip, gomod, …) or the scanner's lower-cased name (alpine, cargo, …). */
  ecosystem: string;
  packageName: string;
  installedVersion: string;
  /** The lowest fixing version above the installed one (same major where one exists); null: no fix known. */
  fixedVersion: string | null;
  /** Every id the scanner gives for the advisory (CVE, GHSA, GO-, OSV, …), the scanner's own first. */
  advisoryIds: string[];
  title: string;
  description: string | null;
  /** The scanner's rating; null when it gave none (or UNKNOWN): the CVSS score decides then. */
  severity: Severity | null;
  cvssScore: number | null;
  /** Where the package was declared (a manifest or lockfile path), when the scanner says. */
  manifestPath: string | null;
  /** Dependabot alerts carry a state: only `open` ones are live; `fixed` resolve, `dismissed` are left alone. */
  status: 'open' | 'fixed' | 'dismissed';
  /** JSON path of the report element this came from (for messages). */
  path: string;
}

/** A rule broken at a place in the code (SARIF from CodeQL-style analysers). */
export interface CodeFinding {
  kind: 'code';
  tool: string;
  ruleId: string;
  /** `file:line` or the logical location; "" when the result has none. */
  location: string;
  /** What identifies the place across scans: the result's partial fingerprint, else the location. */
  locationKey: string;
  title: string;
  description: string | null;
  severity: Severity | null;
  cvssScore: number | null;
  status: 'open';
  path: string;
}

export type NormalisedFinding = PackageFinding | CodeFinding;

export type ParsedItem = { type: 'finding'; finding: NormalisedFinding } | { type: 'skip'; reason: SkipReason; path: string };

/** Chunks of the report as they arrive (bytes or text). */
export type ReportSource = AsyncIterable<Uint8Array | string>;

export interface Importer {
  format: ImportFormat;
  /** What the format is called in messages. */
  label: string;
  /** 0 (surely not this format) … 1 (surely this format), from the report's first bytes (text). */
  detect(head: string): number;
  parse(source: ReportSource): AsyncIterable<ParsedItem>;
}

/** The report is not well-formed for its format; `path` is a JSON path (`$.Results[0]`), `line` 1-based. */
export class ImportParseError extends Error {
  readonly path: string;
  readonly line: number | null;
  constructor(message: string, path: string, line: number | null) {
    super(`${message} at ${path}${line === null ? '' : ` (line ${line})`}`);
    this.name = 'ImportParseError';
    this.path = path;
    this.line = line;
  }
}
