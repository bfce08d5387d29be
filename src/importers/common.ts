/** Helpers the importers share: reading loosely typed JSON, advisory ids, severities, ecosystems, manifests. */
import { parseSeverity, type Severity } from '../domain/severity.ts';
import { resolveEcosystem } from '../updaters/registry.ts';
import { cvssScoreOf } from './cvss.ts';
import { ImportParseError } from './types.ts';

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Control characters (NUL, escapes) are dropped from scanner text; it is stored and shown. */
 
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** A non-empty string field, trimmed and cleaned; null when absent, empty or not a string. */
export function str(value: unknown): string | null {
  if (typeof value !== 'string') return typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
  const cleaned = value.replace(CONTROL, '').trim();
  return cleaned === '' ? null : cleaned;
}

/** Long text (descriptions) kept to a bound so one element cannot fill a row. */
export function text(value: unknown, max = 8000): string | null {
  const s = str(value);
  return s === null ? null : s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The element must be an object: a report whose element is a string or number is malformed. */
export function requireObject(value: unknown, path: string, line: number): Json {
  if (!isObject(value)) throw new ImportParseError(`expected an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`, path, line);
  return value;
}

const ADVISORY = /\b(CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|GO-\d{4}-\d{4,}|GMS-\d{4}-\d+|PYSEC-\d{4}-\d+|RUSTSEC-\d{4}-\d{4}|MAL-\d{4}-\d+|OSV-\d{4}-\d+|DLA-\d+-\d+|DSA-\d+-\d+|ALAS\d*-\d{4}-\d+|RHSA-\d{4}:\d+|USN-\d+-\d+|NSWG-ECO-\d+|SNYK-[A-Z0-9]+-[A-Z0-9-]+)\b/gi;

/** Advisory ids found in free text (a SARIF rule id such as `CVE-2021-1234-lodash`, a help text). */
export function advisoryIdsIn(textValue: string | null): string[] {
  if (!textValue) return [];
  return [...textValue.matchAll(ADVISORY)].map((m) => m[1]!);
}

/** Is this an advisory id at all (not a rule id like `py/empty-except`)? */
export const looksLikeAdvisoryId = (id: string): boolean => new RegExp(`^${ADVISORY.source}$`, 'i').test(id);

/** Scanner severities: UNKNOWN, empty or unrecognised → null (the CVSS score decides then). */
export function severityOf(value: unknown): Severity | null {
  const s = str(value);
  if (s === null) return null;
  return parseSeverity(s);
}

export { cvssScoreOf };

/** Highest of the given scores (scanners list one per source); null when none is a score. */
export function maxScore(values: readonly unknown[]): number | null {
  let best: number | null = null;
  for (const value of values) {
    const score = cvssScoreOf(value);
    if (score !== null && (best === null || score > best)) best = score;
  }
  return best;
}

/**
 * Scanners' names for package types (Trivy `Type`, Grype `artifact.type`, OSV `ecosystem`, purl
 * types, Dependabot `ecosystem`) → the updater registry's ecosystem, or the name lower-cased.
 */
const scannerNames: Record<string, string> = {
  'package-lock': 'npm',
  'node-pkg': 'npm',
  javascript: 'npm',
  pom: 'maven',
  jar: 'maven',
  'java-archive': 'maven',
  'jenkins-plugin': 'maven',
  java: 'maven',
  pipenv: 'pip',
  poetry: 'pip',
  'python-pkg': 'pip',
  uv: 'pip',
  gobinary: 'gomod',
  'go-module': 'gomod',
  golang: 'gomod',
  'gemspec': 'bundler',
  'gem': 'bundler',
  'ruby-gem': 'bundler',
  'cargo': 'cargo',
  'rust-crate': 'cargo',
  'crates.io': 'cargo',
  'composer': 'composer',
  'packagist': 'composer',
  'php-composer': 'composer',
  'nuget': 'nuget',
  'dotnet-core': 'nuget',
  'dotnet': 'nuget',
  'apk': 'alpine',
};

export function ecosystemOf(name: string | null): string | null {
  if (!name) return null;
  const lower = name.trim().toLowerCase();
  if (lower === '') return null;
  const known = resolveEcosystem(lower);
  if (known) return known;
  const mapped = scannerNames[lower];
  if (mapped) return resolveEcosystem(mapped) ?? mapped;
  // OSV distribution ecosystems carry a release: "Debian:11", "Alpine:v3.18".
  const base = lower.split(':')[0]!;
  return resolveEcosystem(base) ?? scannerNames[base] ?? base;
}

/** The ecosystem named by a package URL (`pkg:npm/...`, `pkg:golang/...`), or null. */
export function ecosystemOfPurl(purl: string | null): string | null {
  const match = purl ? /^pkg:([a-zA-Z][\w.+-]*)\//.exec(purl.trim()) : null;
  return match ? ecosystemOf(match[1]!) : null;
}

/** Package name and version from a purl: `pkg:maven/g/a@1` → `g:a`, `pkg:npm/%40scope/x@1` → `@scope/x`. */
export function parsePurl(purl: string | null): { ecosystem: string | null; name: string; version: string | null } | null {
  const match = purl ? /^pkg:([a-zA-Z][\w.+-]*)\/([^@?#]+)(?:@([^?#]+))?/.exec(purl.trim()) : null;
  if (!match) return null;
  const type = match[1]!.toLowerCase();
  const parts = match[2]!.split('/').map((p) => decodeURIComponent(p));
  const name = type === 'maven' && parts.length >= 2 ? `${parts.slice(0, -1).join('.')}:${parts.at(-1)}` : type === 'golang' ? parts.join('/') : parts.join('/');
  return { ecosystem: ecosystemOf(type), name, version: match[3] ? decodeURIComponent(match[3]) : null };
}

/** Manifest and lockfile names: a path ending in one of these says where a package was declared. */
const DECLARATIONS =
  /(^|\/)(package\.json|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|[\w.-]*requirements[\w.-]*\.(txt|in)|Pipfile(\.lock)?|poetry\.lock|pyproject\.toml|uv\.lock|setup\.py|setup\.cfg|go\.mod|go\.sum|pom\.xml|[\w.-]*\.gradle(\.kts)?|gradle\.lockfile|[\w.-]*\.versions\.toml|Gemfile(\.lock)?|gems\.rb|gems\.locked|[\w.-]*\.gemspec|Cargo\.(toml|lock)|composer\.(json|lock)|packages\.lock\.json|[\w.-]*\.csproj|mix\.lock|pubspec\.(yaml|lock)|conan\.lock|Podfile\.lock|Package\.resolved)$/;

/** The path when it names a manifest or lockfile, `/`-separated without a leading `./` or `/`; else null. */
export function declarationPath(path: string | null): string | null {
  if (!path) return null;
  const normalized = path.trim().replace(/\\/g, '/').replace(/^file:\/\//, '').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
  return DECLARATIONS.test(normalized) ? normalized : null;
}

/** JSON path of a nested element, for messages. */
export const child = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`);
