/**
 * Importing a scanner report (docs/importing.md):
 *
 * 1. Detect the format from the first 64 KiB (unless given).
 * 2. Parse the whole report as a stream (src/importers), spilling normalised findings to a
 *    temporary file (./spill.ts). A malformed report stops here with IMPORT_MALFORMED naming the
 *    JSON path and line: nothing has been written.
 * 3. One transaction, holding a per-(org, target) advisory lock so two imports of one target do not
 *    interleave: the scan row, then the spilled findings 500 at a time — merged by alias, matched to
 *    stored findings by any shared advisory id, compared, and only new, changed or reopened ones
 *    upserted (src/services/findings.ts); every reported finding is linked to this scan — then the
 *    lifecycle (./lifecycle.ts): a complete scan resolves the target's findings it did not report.
 *    A dry run does all of it and rolls back, so its summary is exact and nothing stays written.
 * 4. After commit, the resolved and reopened findings go to the lifecycle listeners.
 *
 * Memory: one report element at a time while parsing, one chunk of 500 while writing, plus the
 * ids of resolved and reopened findings for the listeners.
 */
import { and, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import type { Orm } from '../../db/database.ts';
import { findings, scanFindingAliases, scans, scanTargetFindings } from '../../db/schema.ts';
import { normalizeAdvisoryIds, normalizeManifestPath } from '../../domain/fingerprint.ts';
import { type Severity, severityRank } from '../../domain/severity.ts';
import { AppError } from '../../errors/app-error.ts';
import {
  type CodeFinding,
  DETECT_BYTES,
  detectFormat,
  type ImportFormat,
  ImportParseError,
  importerFor,
  type NormalisedFinding,
  type PackageFinding,
  type ReportSource,
  type SkipReason,
} from '../../importers/index.ts';
import { recordAudit } from '../audit.ts';
import { type Finding, type FindingInput, toFinding, type UpsertedFinding, upsertFindings } from '../findings.ts';
import { aliasKey, codeFingerprint, orderedAliases, packageFingerprint, packageKey } from './identity.ts';
import { applyScanTransitions, type FindingTransitions, publishTransitions } from './lifecycle.ts';
import { Spill } from './spill.ts';

export const CHUNK = 500;
/** Severity of a finding whose scanner gave neither a rating nor a CVSS score (UNKNOWN). */
export const UNRATED_SEVERITY: Severity = 'medium';

export interface ImportProgress {
  phase: 'parse' | 'write';
  /** Report bytes read (parse) or findings written (write). */
  done: number;
  /** Findings found so far (parse) or to write (write). */
  findings: number;
}

export interface ImportOptions {
  orgId: string;
  actor: string;
  target: string;
  format?: ImportFormat | null;
  partial?: boolean;
  dryRun?: boolean;
  source: ReportSource;
  onProgress?: (progress: ImportProgress) => void;
  /** Reports a lifecycle listener's failure (the import itself has succeeded). */
  onListenerError?: (error: unknown) => void;
}

export interface ImportSummary {
  scanId: string | null;
  format: ImportFormat;
  target: string;
  partial: boolean;
  dryRun: boolean;
  /** Findings the report held (after per-item skips, before merging aliases). */
  received: number;
  new: number;
  updated: number;
  unchanged: number;
  resolved: number;
  reopened: number;
  skipped: { reason: SkipReason; count: number }[];
}

type Stored = Finding & { lastScanId: string | null };

class DryRunRollback extends Error {
  readonly summary: ImportSummary;
  constructor(summary: ImportSummary) {
    super('dry run');
    this.summary = summary;
  }
}

/** Reads up to `bytes` of the source for detection, and gives back a source that replays them. */
async function peek(source: ReportSource, bytes: number): Promise<{ head: Uint8Array; source: ReportSource }> {
  const iterator = source[Symbol.asyncIterator]();
  const taken: Uint8Array[] = [];
  let size = 0;
  let finished = false;
  while (size < bytes) {
    const next = await iterator.next();
    if (next.done) {
      finished = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
    taken.push(chunk);
    size += chunk.byteLength;
  }
  const head = Buffer.concat(taken).subarray(0, bytes);
  const replay = async function* (): AsyncGenerator<Uint8Array> {
    yield* taken;
    if (finished) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
    }
  };
  return { head, source: replay() };
}

async function* counted(source: ReportSource, onBytes: (total: number) => void): AsyncGenerator<Uint8Array | string> {
  let total = 0;
  for await (const chunk of source) {
    total += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    onBytes(total);
    yield chunk;
  }
}

function unionAliases(a: readonly string[], b: readonly string[]): string[] {
  return orderedAliases([...a, ...b]);
}

function higher(a: Severity | null, b: Severity | null): Severity | null {
  if (a === null) return b;
  if (b === null) return a;
  return severityRank(a) <= severityRank(b) ? a : b;
}

/** Package findings of one chunk merged: same package and a shared alias → one finding. */
function mergePackages(items: PackageFinding[]): PackageFinding[] {
  const groups = new Map<string, PackageFinding[]>();
  for (const item of items) {
    const key = packageKey(item);
    const list = groups.get(key) ?? [];
    let merged: PackageFinding = { ...item, advisoryIds: orderedAliases(item.advisoryIds) };
    // Absorb every earlier finding of the package sharing an alias (transitively).
    for (let i = list.length - 1; i >= 0; i--) {
      const other = list[i]!;
      const upper = new Set(other.advisoryIds.map((id) => id.toUpperCase()));
      if (merged.advisoryIds.some((id) => upper.has(id.toUpperCase()))) {
        merged = mergeTwo(other, merged);
        list.splice(i, 1);
      }
    }
    list.push(merged);
    groups.set(key, list);
  }
  return [...groups.values()].flat();
}

/** `first` keeps its place: its title, versions and manifest win, gaps are filled from `second`. */
function mergeTwo(first: PackageFinding, second: PackageFinding): PackageFinding {
  return {
    ...first,
    advisoryIds: unionAliases(first.advisoryIds, second.advisoryIds),
    fixedVersion: first.fixedVersion ?? second.fixedVersion,
    description: first.description ?? second.description,
    severity: higher(first.severity, second.severity),
    cvssScore: first.cvssScore === null ? second.cvssScore : second.cvssScore === null ? first.cvssScore : Math.max(first.cvssScore, second.cvssScore),
    manifestPath: first.manifestPath ?? second.manifestPath,
    status: first.status === 'open' || second.status === 'open' ? 'open' : first.status,
  };
}

function severityFields(finding: NormalisedFinding): { severity: Severity | null; cvssScore: number | null } {
  if (finding.severity === null && finding.cvssScore === null) return { severity: UNRATED_SEVERITY, cvssScore: null };
  return { severity: finding.severity, cvssScore: finding.cvssScore };
}

function packageInput(finding: PackageFinding, fingerprint: string, advisoryIds: string[], format: ImportFormat, target: string): FindingInput {
  return {
    kind: 'vulnerability',
    fingerprint,
    title: finding.title,
    description: finding.description,
    ...severityFields(finding),
    ecosystem: finding.ecosystem,
    packageName: finding.packageName,
    installedVersion: finding.installedVersion,
    fixedVersion: finding.fixedVersion,
    advisoryIds,
    manifestPath: finding.manifestPath,
    source: format,
    externalRef: target,
  };
}

function codeInput(finding: CodeFinding, fingerprint: string, format: ImportFormat, target: string): FindingInput {
  return {
    kind: 'violation',
    fingerprint,
    title: finding.title,
    description: finding.description,
    ...severityFields(finding),
    framework: finding.tool,
    controlId: finding.ruleId,
    source: format,
    externalRef: target,
  };
}

/** Would upserting `input` change the stored row? (The upsert keeps stored values for absent optional fields.) */
function differs(stored: Finding, input: FindingInput): boolean {
  const severity = input.severity ?? null;
  const cvss = input.cvssScore ?? null;
  if (stored.title !== input.title.trim()) return true;
  if (severity !== null && stored.severity !== severity) return true;
  if (cvss !== null && stored.cvssScore !== Math.round(cvss * 10) / 10) return true;
  if (input.description != null && stored.description !== input.description) return true;
  if (stored.source !== input.source || stored.externalRef !== input.externalRef) return true;
  if (input.kind === 'violation') return false;
  if (stored.installedVersion !== input.installedVersion.trim()) return true;
  if ((stored.fixedVersion ?? null) !== (input.fixedVersion?.trim() || null)) return true;
  if (input.manifestPath && stored.manifestPath !== normalizeManifestPath(input.manifestPath)) return true;
  const ids = normalizeAdvisoryIds(input.advisoryIds ?? []);
  return ids.length !== stored.advisoryIds.length || ids.some((id, i) => id !== stored.advisoryIds[i]);
}

interface ChunkCounts {
  new: number;
  updated: number;
  unchanged: number;
  reopened: string[];
  /** Ids of the new findings (for the lifecycle listeners: policies open tickets for them). */
  created: string[];
  /** Known findings whose ticket-visible values changed (FindingTransitions.changed). */
  changed: { id: string; ticketChanges: UpsertedFinding['ticketChanges'] }[];
  skipped: Map<SkipReason, number>;
}

async function writeChunk(
  tx: Orm,
  context: { orgId: string; target: string; scanId: string; format: ImportFormat; actor: string },
  chunk: NormalisedFinding[],
  counts: ChunkCounts,
): Promise<void> {
  const { orgId, target, scanId, format } = context;
  const skip = (reason: SkipReason) => counts.skipped.set(reason, (counts.skipped.get(reason) ?? 0) + 1);
  const packages: PackageFinding[] = [];
  const codes: CodeFinding[] = [];
  for (const item of chunk) {
    if (item.kind === 'code') codes.push(item);
    else if (item.status === 'fixed') skip('fixed-alert'); // not live: a complete scan resolves it by its absence
    else packages.push(item);
  }
  const merged = mergePackages(packages);

  // Stored findings of this target sharing an alias with the chunk's packages (one index lookup).
  const keyOf = new Map(merged.map((f) => [f, packageKey(f)]));
  const aliasKeys = [...new Set(merged.flatMap((f) => f.advisoryIds.map((id) => aliasKey(keyOf.get(f)!, id))))];
  const columns = { ...getTableColumns(findings), lastScanId: scanTargetFindings.lastScanId };
  const byAliasRows =
    aliasKeys.length === 0
      ? []
      : await tx
          .select({ ...columns, aliasKey: scanFindingAliases.aliasKey })
          .from(scanFindingAliases)
          .innerJoin(findings, eq(findings.id, scanFindingAliases.findingId))
          .leftJoin(scanTargetFindings, eq(scanTargetFindings.findingId, findings.id))
          .where(and(eq(scanFindingAliases.orgId, orgId), eq(scanFindingAliases.target, target), inArray(scanFindingAliases.aliasKey, aliasKeys)));
  const codeFingerprints = codes.map((c) => codeFingerprint(target, c));
  const byFingerprintRows =
    codeFingerprints.length === 0
      ? []
      : await tx
          .select(columns)
          .from(findings)
          .leftJoin(scanTargetFindings, eq(scanTargetFindings.findingId, findings.id))
          .where(and(eq(findings.orgId, orgId), inArray(findings.fingerprint, codeFingerprints)));
  const storedOf = (row: (typeof byFingerprintRows)[number]): Stored => {
    const { lastScanId, ...rest } = row;
    return { ...toFinding(rest), lastScanId };
  };
  const byAliasKey = new Map<string, Stored>();
  for (const { aliasKey: key, ...row } of byAliasRows) byAliasKey.set(key, storedOf(row));
  const byFingerprint = new Map(byFingerprintRows.map((row) => [row.fingerprint, storedOf(row)]));

  const writes: { input: FindingInput; existing: Stored | null; aliases: string[] }[] = [];
  const touch: string[] = [];
  const consider = (input: FindingInput, existing: Stored | null, aliases: string[] = []) => {
    if (!existing) {
      writes.push({ input, existing, aliases });
    } else if (existing.lastScanId === scanId) {
      // Reported earlier in this same report (another target of the report, another chunk): one finding.
      if (differs(existing, input)) writes.push({ input, existing, aliases });
    } else if (existing.state === 'done' || differs(existing, input)) {
      writes.push({ input, existing, aliases });
    } else {
      counts.unchanged++;
      touch.push(existing.id);
    }
  };

  for (const finding of merged) {
    const key = keyOf.get(finding)!;
    // The first alias (CVE first) that a stored finding answers to.
    const existing = finding.advisoryIds.map((id) => byAliasKey.get(aliasKey(key, id))).find((row) => row !== undefined) ?? null;
    if (finding.status === 'dismissed') {
      skip('dismissed-alert');
      // Dismissed by a person: left as it is, and not resolved by this scan either.
      if (existing) touch.push(existing.id);
      continue;
    }
    const advisoryIds = existing ? unionAliases(existing.advisoryIds, finding.advisoryIds) : finding.advisoryIds;
    const fingerprint = existing?.fingerprint ?? packageFingerprint(target, finding, advisoryIds[0]!);
    // Same report, earlier element: the first element's fields win, the aliases accumulate.
    const base = existing?.lastScanId === scanId ? { ...finding, title: existing.title, installedVersion: existing.installedVersion ?? finding.installedVersion, fixedVersion: existing.fixedVersion ?? finding.fixedVersion, manifestPath: existing.manifestPath ?? finding.manifestPath } : finding;
    consider(packageInput(base, fingerprint, advisoryIds, format, target), existing, advisoryIds.map((id) => aliasKey(key, id)));
  }
  for (const [index, finding] of codes.entries()) {
    const fingerprint = codeFingerprints[index]!;
    consider(codeInput(finding, fingerprint, format, target), byFingerprint.get(fingerprint) ?? null);
  }

  if (writes.length > 0) {
    const written = await upsertFindings(
      tx,
      orgId,
      writes.map((w) => w.input),
      { actor: context.actor, action: 'findings.import', audit: false },
    );
    const aliasRows: { orgId: string; target: string; aliasKey: string; findingId: string }[] = [];
    for (const [index, row] of written.entries()) {
      const { existing, aliases } = writes[index]!;
      touch.push(row.id);
      for (const key of aliases) aliasRows.push({ orgId, target, aliasKey: key, findingId: row.id });
      if (existing?.lastScanId === scanId) continue;
      if (row.ticketChanges.length > 0) counts.changed.push({ id: row.id, ticketChanges: row.ticketChanges });
      if (row.created) {
        counts.new++;
        counts.created.push(row.id);
      }
      else if (row.reopened) counts.reopened.push(row.id);
      else counts.updated++;
    }
    if (aliasRows.length > 0) await tx.insert(scanFindingAliases).values(aliasRows).onConflictDoNothing();
  }
  const ids = [...new Set(touch)];
  if (ids.length > 0) {
    await tx
      .insert(scanTargetFindings)
      .values(ids.map((findingId) => ({ findingId, orgId, target, lastScanId: scanId })))
      .onConflictDoUpdate({ target: scanTargetFindings.findingId, set: { lastScanId: scanId, target } });
  }
}

/** Imports one report (see the module comment). Throws AppError IMPORT_FORMAT_UNKNOWN / IMPORT_MALFORMED. */
export async function importReport(orm: Orm, options: ImportOptions): Promise<ImportSummary> {
  const target = options.target.trim();
  const partial = options.partial ?? false;
  const dryRun = options.dryRun ?? false;
  const progress = options.onProgress ?? (() => {});
  const { head, source } = await peek(options.source, DETECT_BYTES);
  let format = options.format ?? null;
  if (format === null) {
    const detected = detectFormat(head);
    if (!detected) {
      throw new AppError(
        'IMPORT_FORMAT_UNKNOWN',
        head.byteLength === 0 ? 'the report is empty' : 'the report is not one of the formats we import (trivy, grype, osv, npm-audit, sarif, dependabot): pass format',
        { field: 'format' },
      );
    }
    format = detected.importer.format;
  }
  const importer = importerFor(format);

  // Phase 1: parse and validate everything, spilling to disk.
  const spill = await Spill.create<NormalisedFinding>();
  const skipped = new Map<SkipReason, number>();
  try {
    let bytes = 0;
    let lastReport = 0;
    try {
      for await (const item of importer.parse(counted(source, (total) => (bytes = total)))) {
        if (item.type === 'skip') {
          skipped.set(item.reason, (skipped.get(item.reason) ?? 0) + 1);
          continue;
        }
        await spill.append(item.finding);
        if (spill.count - lastReport >= 1000) {
          lastReport = spill.count;
          progress({ phase: 'parse', done: bytes, findings: spill.count });
        }
      }
    } catch (error) {
      if (error instanceof ImportParseError) {
        throw new AppError('IMPORT_MALFORMED', `not a valid ${importer.label} report: ${error.message}`, { field: error.path });
      }
      throw error;
    }
    progress({ phase: 'parse', done: bytes, findings: spill.count });

    // Phase 2: write (or, for a dry run, write and roll back).
    const total = spill.count;
    let transitions: FindingTransitions | null = null;
    let summary: ImportSummary;
    try {
      summary = await orm.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`import:${options.orgId}:${target}`}))`);
        const [scan] = await tx.insert(scans).values({ orgId: options.orgId, target, format, partial, actor: options.actor }).returning({ id: scans.id });
        const scanId = scan!.id;
        const counts: ChunkCounts = { new: 0, updated: 0, unchanged: 0, reopened: [], created: [], changed: [], skipped };
        let done = 0;
        for await (const chunk of spill.chunks(CHUNK)) {
          await writeChunk(tx, { orgId: options.orgId, target, scanId, format, actor: options.actor }, chunk, counts);
          done += chunk.length;
          progress({ phase: 'write', done, findings: total });
        }
        transitions = { ...(await applyScanTransitions(tx, { orgId: options.orgId, target, scanId, partial, reopened: counts.reopened, created: counts.created, actor: options.actor })), changed: counts.changed };
        const result: ImportSummary = {
          scanId: dryRun ? null : scanId,
          format,
          target,
          partial,
          dryRun,
          received: total,
          new: counts.new,
          updated: counts.updated,
          unchanged: counts.unchanged,
          resolved: transitions.resolved.length,
          reopened: transitions.reopened.length,
          skipped: [...skipped.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([reason, count]) => ({ reason, count })),
        };
        const { scanId: _, ...stored } = result;
        await tx.update(scans).set({ counts: stored }).where(eq(scans.id, scanId));
        await recordAudit(tx, {
          orgId: options.orgId,
          actor: options.actor,
          action: 'findings.import',
          targetType: 'scan',
          targetId: scanId,
          status: 'ok',
          detail: stored,
        });
        if (dryRun) throw new DryRunRollback(result);
        return result;
      });
    } catch (error) {
      if (error instanceof DryRunRollback) return error.summary;
      throw error;
    }
    const committed = transitions as FindingTransitions | null;
    // Listeners read through the database itself: the transaction is over.
    if (committed) await publishTransitions({ ...committed, orm }, options.onListenerError ?? (() => {}));
    return summary;
  } finally {
    await spill.dispose();
  }
}
