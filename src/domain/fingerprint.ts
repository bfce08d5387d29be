/**
 * Stable fingerprints for findings: the de-duplication key of `findings (org_id, fingerprint)` and,
 * through `fingerprintLabel`, of tickets in Jira. A caller may send its own fingerprint; when it
 * does not, we derive one here as sha256 (hex) over a canonical identity, so the same finding
 * re-posted — with another title, description, severity or CVSS score — lands on the same row.
 *
 * Identity of a vulnerability (JSON array, version tag first):
 *   ["v1", "vulnerability", ecosystem, package, repo, manifest, advisories | versions]
 *   - ecosystem: lower-case, aliases folded to the updaters' names by the updater registry (pypi→pip,
 *     go→gomod, rubygems→bundler, …; src/updaters/registry.ts)
 *   - package: npm lower-case; pip PEP 503 (runs of `-_.` → `-`, lower-case); Maven/Gradle
 *     `group:artifact` (spaces dropped, `/` accepted as separator); Go module path as-is; others trimmed
 *   - repo: `host[:port]/path` — scheme, credentials, trailing `.git` and `/` dropped, host lower-case,
 *     scp-style `git@host:owner/repo` understood; "" when absent
 *   - manifest: `/`-separated, no leading `./` or `/`; "" when absent
 *   - advisories: CVE/GHSA ids upper-cased, de-duplicated, sorted; only when there are none do the
 *     installed and fixed versions identify the finding (["versions", installed, fixed])
 * Identity of a violation:
 *   ["v1", "violation", framework (lower-case, spaces collapsed), control id (see normalizeControlId),
 *    case id (lower-case uuid or ""), title (lower-case, whitespace collapsed)]
 * Changing any rule changes fingerprints of stored rows: bump the version tag and migrate instead.
 */
import { createHash } from 'node:crypto';
import { resolveEcosystem } from '../updaters/registry.ts';

/**
 * The ecosystem in the updaters' spelling (`npm`, `pip`, `gomod`, `maven`, `gradle`, `bundler`),
 * aliases folded by the updater registry; other names lower-cased.
 */
export function normalizeEcosystem(ecosystem: string): string {
  return resolveEcosystem(ecosystem) ?? ecosystem.trim().toLowerCase();
}

export function normalizePackageName(ecosystem: string, name: string): string {
  const trimmed = name.trim();
  switch (normalizeEcosystem(ecosystem)) {
    case 'npm':
      return trimmed.toLowerCase();
    case 'pip':
      return trimmed.replace(/[-_.]+/g, '-').toLowerCase();
    case 'maven':
    case 'gradle':
      // Coordinates are case-sensitive in repositories; only the separator spelling varies.
      return trimmed.replace(/\s+/g, '').replace('/', ':');
    default:
      return trimmed;
  }
}

/**
 * A repository URL without what does not identify the repository: credentials, scheme, default
 * port, trailing `.git` or `/`. Returns `host[:port]/path`, or the trimmed input when it is not a URL.
 */
export function repoIdentity(repoUrl: string): string {
  const trimmed = repoUrl.trim();
  if (trimmed === '') return '';
  let host: string;
  let path: string;
  if (trimmed.includes('://')) {
    try {
      const url = new URL(trimmed);
      host = url.host;
      path = url.pathname;
    } catch {
      return stripRepoSuffix(trimmed);
    }
  } else {
    // scp-style `git@github.com:acme/web.git`, or a bare `github.com/acme/web`.
    const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(.+)$/.exec(trimmed);
    const slash = trimmed.indexOf('/');
    host = scp?.[1] ?? (slash < 0 ? trimmed : trimmed.slice(0, slash));
    path = scp?.[2] ?? (slash < 0 ? '' : trimmed.slice(slash + 1));
  }
  host = host.toLowerCase();
  return `${host}/${stripRepoSuffix(path.replace(/^\/+/, ''))}`;
}

function stripRepoSuffix(path: string): string {
  return path.replace(/\/+$/, '').replace(/\.git$/i, '').replace(/\/+$/, '');
}

/** A repository URL fit to store and compare: the caller's scheme kept, credentials and suffixes dropped. */
export function normalizeRepoUrl(repoUrl: string): string {
  const trimmed = repoUrl.trim();
  if (!trimmed.includes('://')) {
    const identity = repoIdentity(trimmed);
    return identity.includes('/') ? `https://${identity}` : identity;
  }
  try {
    const url = new URL(trimmed);
    return `${url.protocol}//${url.host.toLowerCase()}/${stripRepoSuffix(url.pathname.replace(/^\/+/, ''))}`;
  } catch {
    return stripRepoSuffix(trimmed);
  }
}

export function normalizeManifestPath(path: string): string {
  return path
    .trim()
    .replace(/\\/g, '/')
    .replace(/\/{2,}/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '');
}

/** CVE ids upper-case; GHSA ids in GitHub's spelling (`GHSA-` then lower-case); others trimmed. */
export function normalizeAdvisoryId(id: string): string {
  const trimmed = id.trim();
  const upper = trimmed.toUpperCase();
  if (upper.startsWith('GHSA-')) return `GHSA-${trimmed.slice(5).toLowerCase()}`;
  if (upper.startsWith('CVE-')) return upper;
  return trimmed;
}

/** De-duplicated, normalised and sorted (case-insensitively, so the order is the fingerprint's). */
export function normalizeAdvisoryIds(ids: readonly string[]): string[] {
  const byKey = new Map<string, string>();
  for (const id of ids) {
    const normalized = normalizeAdvisoryId(id);
    if (normalized !== '') byKey.set(normalized.toUpperCase(), normalized);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, id]) => id);
}

/**
 * Control ids as NIST writes them: upper-case, `-` between family and number, no leading zeros
 * ("ac 02" → "AC-2", "ac-2 (1)" → "AC-2(1)"). Ids of other shapes (SOC 2 "CC6.1", ISO "A.9.2.1")
 * are upper-cased with whitespace runs turned into `-`.
 */
export function normalizeControlId(controlId: string): string {
  const compact = controlId.trim().toUpperCase().replace(/\s*\(\s*/g, '(').replace(/\s*\)/g, ')').replace(/[\s_]+/g, '-');
  const nist = /^([A-Z]{2})-?0*(\d+)((?:\(\d+\))*)$/.exec(compact);
  return nist ? `${nist[1]}-${nist[2]}${nist[3] ?? ''}` : compact;
}

const collapse = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

export interface VulnerabilityIdentity {
  kind: 'vulnerability';
  ecosystem: string;
  packageName: string;
  repoUrl?: string | null;
  manifestPath?: string | null;
  advisoryIds?: readonly string[];
  installedVersion?: string | null;
  fixedVersion?: string | null;
}

export interface ViolationIdentity {
  kind: 'violation';
  framework: string;
  controlId: string;
  caseId?: string | null;
  title: string;
}

export type FindingIdentity = VulnerabilityIdentity | ViolationIdentity;

/** The canonical identity string that the fingerprint hashes (exported for tests and debugging). */
export function canonicalIdentity(finding: FindingIdentity): string {
  if (finding.kind === 'violation') {
    return JSON.stringify([
      'v1',
      'violation',
      collapse(finding.framework),
      normalizeControlId(finding.controlId),
      (finding.caseId ?? '').trim().toLowerCase(),
      collapse(finding.title),
    ]);
  }
  const advisories = normalizeAdvisoryIds(finding.advisoryIds ?? []).map((id) => id.toUpperCase());
  return JSON.stringify([
    'v1',
    'vulnerability',
    normalizeEcosystem(finding.ecosystem),
    normalizePackageName(finding.ecosystem, finding.packageName),
    repoIdentity(finding.repoUrl ?? ''),
    normalizeManifestPath(finding.manifestPath ?? ''),
    advisories.length > 0
      ? ['advisories', ...advisories]
      : ['versions', (finding.installedVersion ?? '').trim(), (finding.fixedVersion ?? '').trim()],
  ]);
}

export function computeFingerprint(finding: FindingIdentity): string {
  return createHash('sha256').update(canonicalIdentity(finding)).digest('hex');
}

/**
 * A Jira label naming the finding (labels allow no spaces, 255 characters): `isfp-` and the first
 * 24 hex digits (96 bits) of the fingerprint; a caller-supplied fingerprint that is not sha256 hex
 * is hashed first so the label stays label-safe and fixed-length.
 */
export function fingerprintLabel(fingerprint: string): string {
  const hex = /^[0-9a-f]{64}$/i.test(fingerprint) ? fingerprint.toLowerCase() : createHash('sha256').update(fingerprint).digest('hex');
  return `isfp-${hex.slice(0, 24)}`;
}
