/**
 * Findings: batch upsert by (org, fingerprint), lookup and filtered listing, always inside one org.
 *
 * Upsert rules (what re-posting a finding does):
 * - a finding is identified by its fingerprint: the caller's, else the one src/domain/fingerprint.ts
 *   derives; the same finding re-posted updates the row (title, description, severity, versions,
 *   advisories, last_seen_at) and never duplicates it;
 * - absent optional fields (description, CVSS, repo, manifest, case, source, external ref) keep the
 *   stored value, so a sparse re-post does not erase what an earlier one said;
 * - `state` is the workflow's, not the scanner's, and is kept, except that a `done` finding reported
 *   again is reopened to `backlog` (state_reason says so, resolved_at cleared, the audit event counts
 *   it): the scanner still sees the problem, so whatever closed it did not fix it. `wont_fix` is a
 *   human decision and stays;
 * - one request is one transaction (all or nothing), written with one multi-row
 *   `insert … on conflict do update … returning (xmax = 0)` per chunk of 500;
 * - the same fingerprint twice in one request is merged (the last one wins) and both positions
 *   report the same row.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, getTableColumns, inArray, type SQL, sql } from 'drizzle-orm';
import type { Orm } from '../db/database.ts';
import { auditCases, findings } from '../db/schema.ts';
import {
  computeFingerprint,
  normalizeAdvisoryIds,
  normalizeControlId,
  normalizeEcosystem,
  normalizeManifestPath,
  normalizeRepoUrl,
  repoIdentity,
} from '../domain/fingerprint.ts';
import { isCvssScore, type Severity, severityFromCvss } from '../domain/severity.ts';
import { afterCursor, cursorTime, decodeCursor, encodeCursor } from '../db/cursor.ts';
import { AppError } from '../errors/app-error.ts';
import { recordAudit } from './audit.ts';

interface FindingInputBase {
  title: string;
  description?: string | null;
  /** When missing, derived from `cvssScore`; one of the two is required. */
  severity?: Severity | null;
  cvssScore?: number | null;
  /** The caller's own de-duplication key; derived from the finding's identity when absent. */
  fingerprint?: string | null;
  source?: string | null;
  externalRef?: string | null;
}

export interface VulnerabilityInput extends FindingInputBase {
  kind: 'vulnerability';
  ecosystem: string;
  packageName: string;
  installedVersion: string;
  fixedVersion?: string | null;
  /** CVE, GHSA and other advisory ids, in any order and case. */
  advisoryIds?: readonly string[];
  repoUrl?: string | null;
  manifestPath?: string | null;
}

export interface ViolationInput extends FindingInputBase {
  kind: 'violation';
  framework: string;
  controlId: string;
  caseId?: string | null;
}

export type FindingInput = VulnerabilityInput | ViolationInput;

export type Finding = Omit<typeof findings.$inferSelect, 'cvssScore'> & { cvssScore: number | null };

export interface UpsertedFinding extends Finding {
  created: boolean;
  reopened: boolean;
  /** What changed on a known finding that its tickets show (severity → priority, title → summary, SLA due date): the `update` job's fields. */
  ticketChanges: ('priority' | 'summary' | 'due_date')[];
}

export interface UpsertOptions {
  /** Who asked (the token's subject); recorded on the audit event. */
  actor?: string;
  /** Audit action name; `findings.upsert` by default. */
  action?: string;
  target?: { type: string; id: string };
  /** Prefix of field names in validation errors (`findings` → `findings.3.case_id`). */
  fieldPrefix?: string;
  /** false: the caller records its own audit event (scan imports write one per import, not per chunk). */
  audit?: boolean;
}

const CHUNK = 500;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REOPEN_REASON = 'reopened: reported again after it was done';

type FindingRow = typeof findings.$inferInsert;

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field}: ${message}`, { field });
}

function optionalText(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/** What a finding would be stored as (fingerprint included), without writing it: for dry runs. */
export function previewFinding(orgId: string, input: FindingInput, field: (name: string) => string = (name) => name): Finding {
  const row = toRow(orgId, input, field);
  const now = new Date();
  return toFinding({
    id: randomUUID(),
    state: 'backlog',
    stateReason: null,
    ecosystem: null,
    packageName: null,
    installedVersion: null,
    fixedVersion: null,
    advisoryIds: [],
    cvssScore: null,
    repoUrl: null,
    manifestPath: null,
    framework: null,
    controlId: null,
    caseId: null,
    source: null,
    externalRef: null,
    description: null,
    firstSeenAt: now,
    lastSeenAt: now,
    resolvedAt: null,
    dueAt: null,
    breachedAt: null,
    createdAt: now,
    updatedAt: now,
    ...row,
  } as typeof findings.$inferSelect);
}

function toRow(orgId: string, input: FindingInput, field: (name: string) => string): FindingRow {
  const title = input.title.trim();
  if (title === '') throw invalid(field('title'), 'must not be empty');
  const cvss = input.cvssScore ?? null;
  if (cvss !== null && !isCvssScore(cvss)) throw invalid(field('cvss_score'), 'must be between 0.0 and 10.0');
  const severity = input.severity ?? (cvss === null ? null : severityFromCvss(cvss));
  if (!severity) throw invalid(field('severity'), 'is required when cvss_score is not given');
  const common = {
    orgId,
    kind: input.kind,
    title,
    description: input.description ?? null,
    severity,
    cvssScore: cvss === null ? null : cvss.toFixed(1),
    source: optionalText(input.source),
    externalRef: optionalText(input.externalRef),
  };
  if (input.kind === 'violation') {
    const framework = input.framework.trim();
    // Stored normalised ("ac 02" → "AC-2") so filters and ticket fields see one spelling.
    const controlId = normalizeControlId(input.controlId);
    if (framework === '') throw invalid(field('framework'), 'must not be empty');
    if (controlId === '') throw invalid(field('control_id'), 'must not be empty');
    const caseId = optionalText(input.caseId)?.toLowerCase() ?? null;
    if (caseId !== null && !uuidPattern.test(caseId)) throw invalid(field('case_id'), 'must be a uuid');
    return {
      ...common,
      fingerprint: optionalText(input.fingerprint) ?? computeFingerprint({ kind: 'violation', framework, controlId, caseId, title }),
      framework,
      controlId,
      caseId,
    };
  }
  if (input.ecosystem.trim() === '') throw invalid(field('ecosystem'), 'must not be empty');
  const packageName = input.packageName.trim();
  const installedVersion = input.installedVersion.trim();
  if (packageName === '') throw invalid(field('package_name'), 'must not be empty');
  if (installedVersion === '') throw invalid(field('current_version'), 'must not be empty');
  const advisoryIds = normalizeAdvisoryIds(input.advisoryIds ?? []);
  const repoUrl = optionalText(input.repoUrl);
  const manifestPath = optionalText(input.manifestPath);
  const fixedVersion = optionalText(input.fixedVersion);
  return {
    ...common,
    fingerprint:
      optionalText(input.fingerprint) ??
      computeFingerprint({ kind: 'vulnerability', ecosystem: input.ecosystem, packageName, repoUrl, manifestPath, advisoryIds, installedVersion, fixedVersion }),
    ecosystem: normalizeEcosystem(input.ecosystem),
    packageName,
    installedVersion,
    fixedVersion,
    advisoryIds,
    // Stored without credentials: a token pasted into a repo URL must not live in the findings table.
    repoUrl: repoUrl === null ? null : normalizeRepoUrl(repoUrl),
    manifestPath: manifestPath === null ? null : normalizeManifestPath(manifestPath),
  };
}

const excluded = (column: string) => sql.raw(`excluded."${column}"`);
const stored = (column: string) => sql.raw(`"findings"."${column}"`);
const keepIfAbsent = (column: string) => sql`coalesce(${excluded(column)}, ${stored(column)})`;
const wasDone = sql.raw(`"findings"."state" = 'done'`);

const onConflictSet = {
  kind: excluded('kind'),
  title: excluded('title'),
  severity: excluded('severity'),
  description: keepIfAbsent('description'),
  cvssScore: keepIfAbsent('cvss_score'),
  ecosystem: excluded('ecosystem'),
  packageName: excluded('package_name'),
  installedVersion: excluded('installed_version'),
  fixedVersion: excluded('fixed_version'),
  advisoryIds: excluded('advisory_ids'),
  repoUrl: keepIfAbsent('repo_url'),
  manifestPath: keepIfAbsent('manifest_path'),
  framework: excluded('framework'),
  controlId: excluded('control_id'),
  caseId: keepIfAbsent('case_id'),
  source: keepIfAbsent('source'),
  externalRef: keepIfAbsent('external_ref'),
  state: sql`case when ${wasDone} then 'backlog' else ${stored('state')} end`,
  stateReason: sql`case when ${wasDone} then ${REOPEN_REASON} else ${stored('state_reason')} end`,
  resolvedAt: sql`case when ${wasDone} then null else ${stored('resolved_at')} end`,
  lastSeenAt: sql`now()`,
  updatedAt: sql`now()`,
};

/** Open (not done, not won't fix) past its SLA due date, whether or not the SLA scan has marked it yet. */
export function isSlaBreached(finding: Pick<Finding, 'state' | 'dueAt'>, now: number = Date.now()): boolean {
  return finding.state !== 'done' && finding.state !== 'wont_fix' && finding.dueAt !== null && finding.dueAt.getTime() <= now;
}

export function toFinding(row: typeof findings.$inferSelect): Finding {
  return { ...row, cvssScore: row.cvssScore === null ? null : Number(row.cvssScore) };
}

async function checkCases(tx: Orm, orgId: string, rows: FindingRow[], field: (index: number, name: string) => string): Promise<void> {
  const wanted = [...new Set(rows.map((row) => row.caseId).filter((id): id is string => !!id))];
  if (wanted.length === 0) return;
  const found = await tx
    .select({ id: auditCases.id })
    .from(auditCases)
    .where(and(eq(auditCases.orgId, orgId), inArray(auditCases.id, wanted)));
  const known = new Set(found.map((row) => row.id));
  const index = rows.findIndex((row) => row.caseId && !known.has(row.caseId));
  // Another org's case answers exactly like a missing one: its existence is not the caller's business.
  if (index >= 0) throw invalid(field(index, 'case_id'), 'no such audit case');
}

/**
 * Inserts new findings and updates known ones (see the module comment), in one transaction, with
 * one audit event for the whole call. Returns one entry per input, in input order.
 */
export async function upsertFindings(orm: Orm, orgId: string, inputs: readonly FindingInput[], options: UpsertOptions = {}): Promise<UpsertedFinding[]> {
  const prefix = options.fieldPrefix ?? 'findings';
  const field = (index: number, name: string) => `${prefix}.${index}.${name}`;
  const rows = inputs.map((input, index) => toRow(orgId, input, (name) => field(index, name)));

  // Last occurrence wins; earlier positions point at the same row.
  const lastIndex = new Map<string, number>();
  for (const [index, row] of rows.entries()) lastIndex.set(row.fingerprint, index);
  // Written in fingerprint order: concurrent batches that share findings then lock rows in the
  // same order and cannot deadlock each other on PostgreSQL.
  const unique = [...lastIndex.values()].map((index) => rows[index]!).sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
  if (unique.length === 0) return [];

  const started = performance.now();
  const byFingerprint = await orm.transaction(async (tx) => {
    await checkCases(tx, orgId, rows, field);
    const results = new Map<string, UpsertedFinding>();
    for (let start = 0; start < unique.length; start += CHUNK) {
      const chunk = unique.slice(start, start + CHUNK);
      const fingerprints = chunk.map((row) => row.fingerprint);
      // Locked so the reopen report matches what the upsert below does to these rows.
      const before = await tx
        .select({ fingerprint: findings.fingerprint, state: findings.state, severity: findings.severity, title: findings.title, dueAt: findings.dueAt })
        .from(findings)
        .where(and(eq(findings.orgId, orgId), inArray(findings.fingerprint, fingerprints)))
        .orderBy(findings.fingerprint)
        .for('update');
      const wereDone = new Set(before.filter((row) => row.state === 'done').map((row) => row.fingerprint));
      const previous = new Map(before.map((row) => [row.fingerprint, row]));
      const written = await tx
        .insert(findings)
        .values(chunk)
        .onConflictDoUpdate({ target: [findings.orgId, findings.fingerprint], set: onConflictSet })
        .returning({ ...getTableColumns(findings), created: sql<boolean>`(xmax = 0)` });
      for (const { created, ...row } of written) {
        const was = created ? undefined : previous.get(row.fingerprint);
        const ticketChanges: UpsertedFinding['ticketChanges'] = [];
        if (was && was.severity !== row.severity) ticketChanges.push('priority');
        if (was && was.title !== row.title) ticketChanges.push('summary');
        if (was && (was.dueAt?.getTime() ?? null) !== (row.dueAt?.getTime() ?? null)) ticketChanges.push('due_date');
        results.set(row.fingerprint, { ...toFinding(row), created: Boolean(created), reopened: !created && wereDone.has(row.fingerprint), ticketChanges });
      }
    }
    const all = [...results.values()];
    if (options.audit === false) return results;
    await recordAudit(tx, {
      orgId,
      actor: options.actor ?? 'service',
      action: options.action ?? 'findings.upsert',
      ...(options.target ? { targetType: options.target.type, targetId: options.target.id } : { targetType: 'findings' }),
      status: 'ok',
      durationMs: performance.now() - started,
      detail: {
        received: inputs.length,
        unique: unique.length,
        created: all.filter((f) => f.created).length,
        updated: all.filter((f) => !f.created).length,
        reopened: all.filter((f) => f.reopened).length,
      },
    });
    return results;
  });
  return rows.map((row) => byFingerprint.get(row.fingerprint)!);
}

/** Stored findings with these fingerprints (read-only; dry runs use it to show what already exists). */
export async function findByFingerprints(orm: Orm, orgId: string, fingerprints: string[]): Promise<Map<string, Finding>> {
  if (fingerprints.length === 0) return new Map();
  const rows = await orm
    .select()
    .from(findings)
    .where(and(eq(findings.orgId, orgId), inArray(findings.fingerprint, [...new Set(fingerprints)])));
  return new Map(rows.map((row) => [row.fingerprint, toFinding(row)]));
}

/** Many findings by id in one query; ids of other organizations are simply absent. */
export async function getFindings(orm: Orm, orgId: string, ids: string[]): Promise<Map<string, Finding>> {
  const out = new Map<string, Finding>();
  const unique = [...new Set(ids)];
  for (let start = 0; start < unique.length; start += 1000) {
    const rows = await orm
      .select()
      .from(findings)
      .where(and(eq(findings.orgId, orgId), inArray(findings.id, unique.slice(start, start + 1000))));
    for (const row of rows) out.set(row.id, toFinding(row));
  }
  return out;
}

export async function getFinding(orm: Orm, orgId: string, id: string): Promise<Finding | null> {
  const [row] = await orm
    .select()
    .from(findings)
    .where(and(eq(findings.orgId, orgId), eq(findings.id, id)));
  return row ? toFinding(row) : null;
}

export interface FindingFilter {
  kind?: 'vulnerability' | 'violation';
  severities?: readonly Severity[];
  states?: readonly string[];
  caseId?: string;
  packageName?: string;
  repoUrl?: string;
  /** Case-insensitive substring of the title. */
  q?: string;
  limit: number;
  cursor?: string;
}

export interface FindingPage {
  findings: Finding[];
  nextCursor: string | null;
}

export async function listFindings(orm: Orm, orgId: string, filter: FindingFilter): Promise<FindingPage> {
  const conditions: SQL[] = [eq(findings.orgId, orgId)];
  if (filter.kind) conditions.push(eq(findings.kind, filter.kind));
  if (filter.severities?.length) conditions.push(inArray(findings.severity, [...filter.severities]));
  if (filter.states?.length) conditions.push(inArray(findings.state, [...filter.states]));
  if (filter.caseId) conditions.push(eq(findings.caseId, filter.caseId));
  if (filter.packageName) conditions.push(sql`lower(${findings.packageName}) = ${filter.packageName.trim().toLowerCase()}`);
  // Stored URLs keep their scheme; compare on host/path so http/https/ssh spellings all match.
  if (filter.repoUrl) conditions.push(sql`regexp_replace(${findings.repoUrl}, '^[^:/]+://', '') = ${repoIdentity(filter.repoUrl)}`);
  if (filter.q) conditions.push(sql`${findings.title} ilike ${`%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`);
  if (filter.cursor) conditions.push(afterCursor(findings.createdAt, findings.id, decodeCursor(filter.cursor)));
  const rows = await orm
    .select({ ...getTableColumns(findings), cursorAt: cursorTime(findings.createdAt) })
    .from(findings)
    .where(and(...conditions))
    .orderBy(desc(findings.createdAt), desc(findings.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    findings: page.map(({ cursorAt: _, ...row }) => toFinding(row)),
    nextCursor: rows.length > filter.limit && last ? encodeCursor({ at: last.cursorAt, id: last.id }) : null,
  };
}
