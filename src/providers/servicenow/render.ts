/**
 * Our finding as ServiceNow text: `short_description` (a single line of at most 160 characters, the
 * incident form's field length) and `description` (plain text: ServiceNow shows it as typed, without
 * markup), within DESCRIPTION_LIMIT. Cuts are structural — the free text first, then advisory rows,
 * then remediation steps — and a cut description says so and points to the finding. Pure, no I/O.
 */

import type { TicketFinding } from '../ticketing/types.ts';

export const SHORT_DESCRIPTION_LIMIT = 160;
/**
 * The base dictionary length of `task.description` (4,000). An instance may have lengthened it; longer
 * text would be cut by the instance, so we cut first and say where the rest is.
 */
export const DESCRIPTION_LIMIT = 4000;

/** The finding as ServiceNow text shows it: the ticketing interface's one definition. */
export type FindingForTicket = TicketFinding;

// Control characters other than tab and newline, and the bidirectional overrides, never reach the record.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;

export function cleanText(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(UNSAFE, '');
}

/** At most `max` characters (code points, never half a surrogate pair), with `…` when cut. */
export function clip(value: string, max: number): string {
  const points = Array.from(value);
  if (points.length <= max) return value;
  if (max <= 1) return points.slice(0, Math.max(0, max)).join('');
  return `${points.slice(0, max - 1).join('').trimEnd()}…`;
}

const length = (value: string) => Array.from(value).length;
const present = (value: unknown): value is string => typeof value === 'string' && cleanText(value).trim() !== '';
const oneLine = (value: string) => cleanText(value).replace(/\s+/g, ' ').trim();

function advisoryUrl(id: string): string | null {
  if (/^CVE-\d{4}-\d{4,}$/i.test(id)) return `https://nvd.nist.gov/vuln/detail/${id.toUpperCase()}`;
  if (/^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/i.test(id)) return `https://github.com/advisories/GHSA${id.slice(4).toLowerCase()}`;
  return null;
}

function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null;
  } catch {
    return null;
  }
}

/** `[HIGH] lodash 4.17.20: Prototype pollution` — one line, at most 160 characters. */
export function shortDescriptionFor(finding: FindingForTicket): string {
  const severity = present(finding.severity) ? `[${oneLine(finding.severity).toUpperCase()}] ` : '';
  let subject = '';
  if (finding.kind === 'vulnerability' && present(finding.packageName)) {
    subject = `${oneLine(finding.packageName)}${present(finding.installedVersion) ? ` ${oneLine(finding.installedVersion)}` : ''}: `;
  } else if (finding.kind === 'violation' && present(finding.controlId)) {
    subject = `${oneLine(finding.controlId)}: `;
  }
  const title = present(finding.title) ? oneLine(finding.title) : finding.kind === 'violation' ? 'Compliance violation' : 'Vulnerability';
  return clip(`${severity}${subject}${title}`, SHORT_DESCRIPTION_LIMIT);
}

function details(finding: FindingForTicket): string[] {
  const rows: string[] = [];
  const add = (label: string, value: unknown) => {
    if (present(value)) rows.push(`${label}: ${clip(oneLine(value), 300)}`);
  };
  add('Severity', finding.severity ? finding.severity.toUpperCase() : null);
  if (typeof finding.cvssScore === 'number' && Number.isFinite(finding.cvssScore)) add('CVSS score', finding.cvssScore.toFixed(1));
  if (finding.kind === 'vulnerability') {
    add('Package', present(finding.packageName) ? `${finding.packageName}${present(finding.ecosystem) ? ` (${finding.ecosystem})` : ''}` : null);
    add('Installed version', finding.installedVersion);
    add('Fixed version', finding.fixedVersion);
  } else {
    add('Framework', finding.framework);
    add('Control', finding.controlId);
    add('Audit case', finding.caseName);
  }
  add('Repository', finding.repoUrl);
  add('Manifest', finding.manifestPath);
  return rows;
}

function steps(finding: FindingForTicket): string[] {
  const given = (finding.remediation ?? []).filter(present).map(oneLine);
  if (given.length > 0) return given;
  if (finding.kind === 'vulnerability' && present(finding.packageName) && present(finding.fixedVersion)) {
    const where = present(finding.manifestPath) ? ` in ${oneLine(finding.manifestPath)}` : '';
    const from = present(finding.installedVersion) ? ` from ${oneLine(finding.installedVersion)}` : '';
    return [`Upgrade ${oneLine(finding.packageName)}${from} to ${oneLine(finding.fixedVersion)} or later${where}.`, 'Run the test suite, then merge and deploy the fix.'];
  }
  if (finding.kind === 'violation' && present(finding.controlId)) return [`Bring the system back in line with control ${oneLine(finding.controlId)}.`, 'Attach evidence to the audit case.'];
  return [];
}

function advisories(finding: FindingForTicket): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of finding.advisoryIds ?? []) {
    if (!present(raw)) continue;
    const id = clip(oneLine(raw), 120);
    if (seen.has(id.toUpperCase())) continue;
    seen.add(id.toUpperCase());
    const url = advisoryUrl(id);
    out.push(url ? `${id} ${url}` : id);
  }
  return out;
}

interface Shape {
  text: number;
  advisories: number;
  steps: number;
}

function compose(finding: FindingForTicket, shape: Shape, all: { advisories: string[]; steps: string[] }, more: string | null): string {
  const heading = `${finding.kind === 'violation' ? 'Compliance violation' : 'Vulnerability'}: ${present(finding.title) ? clip(oneLine(finding.title), 300) : '(untitled)'}`;
  const parts: string[] = [heading];
  const text = cleanText(finding.description ?? '').trim();
  const kept = shape.text < length(text) ? clip(text, shape.text) : text;
  if (kept) parts.push(kept);
  const rows = details(finding);
  if (rows.length > 0) parts.push(['Details', ...rows.map((r) => `- ${r}`)].join('\n'));
  if (all.advisories.length > 0) {
    const kept = all.advisories.slice(0, shape.advisories).map((a) => `- ${a}`);
    const omitted = all.advisories.length - Math.min(shape.advisories, all.advisories.length);
    if (omitted > 0) kept.push(`- … and ${omitted} more`);
    parts.push(['Advisories', ...kept].join('\n'));
  }
  if (all.steps.length > 0) {
    const kept = all.steps.slice(0, shape.steps).map((s, i) => `${i + 1}. ${clip(s, 500)}`);
    const omitted = all.steps.length - Math.min(shape.steps, all.steps.length);
    if (omitted > 0) kept.push(`… and ${omitted} more steps`);
    parts.push(['Remediation', ...kept].join('\n'));
  }
  const footer: string[] = [];
  if (present(finding.fingerprint)) footer.push(`Finding key: ${oneLine(finding.fingerprint)}`);
  if (more) footer.push(`Full details: ${more}`);
  if (footer.length > 0) parts.push(footer.join('\n'));
  return parts.join('\n\n');
}

/** The description text, at most DESCRIPTION_LIMIT characters (or `limit`). */
export function descriptionFor(finding: FindingForTicket, limit = DESCRIPTION_LIMIT): { text: string; cut: boolean } {
  const all = { advisories: advisories(finding), steps: steps(finding) };
  const more = safeUrl(finding.detailsUrl) ?? all.advisories.map((a) => a.split(' ')[1]).find((u): u is string => u !== undefined) ?? safeUrl(finding.repoUrl);
  const full = compose(finding, { text: Number.MAX_SAFE_INTEGER, advisories: all.advisories.length, steps: all.steps.length }, all, more);
  if (length(full) <= limit) return { text: full, cut: false };
  const textLength = length(cleanText(finding.description ?? '').trim());
  const shapes: Shape[] = [
    { text: 2000, advisories: 25, steps: 20 },
    { text: 800, advisories: 10, steps: 10 },
    { text: 300, advisories: 5, steps: 3 },
    { text: 0, advisories: 1, steps: 1 },
  ];
  for (const shape of shapes) {
    const text = compose(finding, { ...shape, text: Math.min(shape.text, textLength) }, all, more);
    if (length(text) <= limit) return { text, cut: true };
  }
  // Only pathological input gets here (hundreds of detail characters): a hard cut, still pointing on.
  const tail = more ? `\n… (cut; see ${more})` : '\n… (cut)';
  const last = compose(finding, { text: 0, advisories: 0, steps: 0 }, all, more);
  return { text: `${clip(last, Math.max(0, limit - length(tail))).replace(/…$/, '')}${tail}`, cut: true };
}
