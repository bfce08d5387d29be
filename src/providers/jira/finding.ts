/**
 * The finding as the description builders see it, and the facts derived from it that both renderings
 * share: advisory links (NVD for CVE, GitHub for GHSA), the details rows, default remediation steps.
 */
import { cleanText, clip, safeHref } from './adf.ts';
import type { TicketFinding } from '../ticketing/types.ts';

/** The finding as the Jira renderings see it: the ticketing interface's one definition. */
export type FindingForJira = TicketFinding;

export interface Advisory {
  id: string;
  url: string | null;
  source: string;
}

export interface DetailRow {
  label: string;
  value: string;
  url?: string | null;
  code?: boolean;
}

const CVE = /^CVE-\d{4}-\d{4,}$/i;
const GHSA = /^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/i;

export function advisoryOf(raw: string): Advisory {
  const id = cleanText(raw).trim();
  if (CVE.test(id)) {
    const upper = id.toUpperCase();
    return { id: upper, url: `https://nvd.nist.gov/vuln/detail/${upper}`, source: 'NVD' };
  }
  if (GHSA.test(id)) {
    const normal = `GHSA${id.slice(4).toLowerCase()}`;
    return { id: normal, url: `https://github.com/advisories/${normal}`, source: 'GitHub Advisory Database' };
  }
  return { id, url: null, source: '' };
}

/** Unique advisories in input order (case-insensitive), empty ids dropped. */
export function advisoriesOf(finding: FindingForJira): Advisory[] {
  const seen = new Set<string>();
  const out: Advisory[] = [];
  for (const raw of finding.advisoryIds ?? []) {
    if (typeof raw !== 'string') continue;
    const advisory = advisoryOf(raw);
    const key = advisory.id.toUpperCase();
    if (advisory.id === '' || seen.has(key)) continue;
    seen.add(key);
    out.push(advisory);
  }
  return out;
}

const present = (value: unknown): value is string => typeof value === 'string' && cleanText(value).trim() !== '';

/** Single-line, clipped: for table cells and headings. */
export function oneLine(value: string, max: number): string {
  return clip(cleanText(value).replace(/\s+/g, ' ').trim(), max);
}

export function detailRows(finding: FindingForJira, max: number): DetailRow[] {
  const rows: DetailRow[] = [];
  const add = (label: string, value: unknown, extra: Partial<DetailRow> = {}) => {
    if (present(value)) rows.push({ label, value: oneLine(value, max), ...extra });
  };
  add('Severity', finding.severity ? finding.severity.toUpperCase() : null);
  if (typeof finding.cvssScore === 'number' && Number.isFinite(finding.cvssScore)) add('CVSS score', finding.cvssScore.toFixed(1));
  if (finding.kind === 'vulnerability') {
    const pkg = present(finding.packageName) ? `${finding.packageName}${present(finding.ecosystem) ? ` (${finding.ecosystem})` : ''}` : null;
    add('Package', pkg, { code: true });
    add('Installed version', finding.installedVersion, { code: true });
    add('Fixed version', finding.fixedVersion, { code: true });
  } else {
    add('Framework', finding.framework);
    add('Control', finding.controlId);
    add('Audit case', finding.caseName);
  }
  add('Repository', finding.repoUrl, { url: safeHref(finding.repoUrl ?? null) });
  add('Manifest', finding.manifestPath, { code: true });
  return rows;
}

export function remediationSteps(finding: FindingForJira): string[] {
  const given = (finding.remediation ?? []).filter(present);
  if (given.length > 0) return given;
  if (finding.kind === 'vulnerability' && present(finding.packageName) && present(finding.fixedVersion)) {
    const where = present(finding.manifestPath) ? ` in ${finding.manifestPath}` : '';
    const from = present(finding.installedVersion) ? ` from ${finding.installedVersion}` : '';
    return [`Upgrade ${finding.packageName}${from} to ${finding.fixedVersion} or later${where}.`, 'Run the test suite, then merge and deploy the fix.'];
  }
  if (finding.kind === 'violation' && present(finding.controlId)) {
    return [`Bring the system back in line with control ${finding.controlId}${present(finding.framework) ? ` (${finding.framework})` : ''}.`, 'Attach evidence to the audit case.'];
  }
  return [];
}

export function headingOf(finding: FindingForJira, max: number): string {
  const kind = finding.kind === 'violation' ? 'Compliance violation' : 'Vulnerability';
  return present(finding.title) ? `${kind}: ${oneLine(finding.title, max)}` : kind;
}

/** Where "see <link>" points when something was cut: the finding, else the first advisory, else the repo. */
export function moreUrl(finding: FindingForJira, advisories: Advisory[]): string | null {
  return safeHref(finding.detailsUrl ?? null) ?? advisories.find((a) => a.url)?.url ?? safeHref(finding.repoUrl ?? null);
}
