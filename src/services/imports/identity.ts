/**
 * What identifies an imported finding: one per (target, ecosystem, package, advisory) for packages,
 * one per (target, tool, rule, place) for code results. The advisory is named by all its aliases
 * (CVE, GHSA, GO-, OSV ids); the fingerprint hashes one of them, chosen when the finding is first
 * imported (a CVE id before a GHSA id before others), and a later report naming the advisory by
 * another alias finds the stored finding through any shared id (the `scan_finding_aliases` index,
 * written with every finding) and keeps its fingerprint. So the fingerprint never changes whichever alias a scanner reports first.
 */
import { createHash } from 'node:crypto';
import { normalizeAdvisoryIds, normalizeEcosystem, normalizePackageName } from '../../domain/fingerprint.ts';
import type { CodeFinding, PackageFinding } from '../../importers/index.ts';

const rank = (id: string): number => (id.startsWith('CVE-') ? 0 : id.startsWith('GHSA-') ? 1 : 2);

/** Aliases normalised and ordered: CVE ids first, then GHSA, then others (each group sorted). */
export function orderedAliases(ids: readonly string[]): string[] {
  return normalizeAdvisoryIds(ids).sort((a, b) => rank(a) - rank(b) || (a.toUpperCase() < b.toUpperCase() ? -1 : a.toUpperCase() > b.toUpperCase() ? 1 : 0));
}

const sha256 = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

export function packageFingerprint(target: string, finding: Pick<PackageFinding, 'ecosystem' | 'packageName'>, primaryAdvisory: string): string {
  return sha256([
    'import-v1',
    'package',
    target,
    normalizeEcosystem(finding.ecosystem),
    normalizePackageName(finding.ecosystem, finding.packageName),
    primaryAdvisory.toUpperCase(),
  ]);
}

export function codeFingerprint(target: string, finding: Pick<CodeFinding, 'tool' | 'ruleId' | 'locationKey'>): string {
  return sha256(['import-v1', 'code', target, finding.tool.trim().toLowerCase(), finding.ruleId, finding.locationKey]);
}

/** The key under which findings of one package in one target are compared for shared aliases. */
export function packageKey(finding: Pick<PackageFinding, 'ecosystem' | 'packageName'>): string {
  return `${normalizeEcosystem(finding.ecosystem)}|${normalizePackageName(finding.ecosystem, finding.packageName)}`;
}

/** `scan_finding_aliases.alias_key`: the package's key and one advisory id, upper-cased. */
export function aliasKey(packageKeyValue: string, advisoryId: string): string {
  return `${packageKeyValue}|${advisoryId.toUpperCase()}`;
}
