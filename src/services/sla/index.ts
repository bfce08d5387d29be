/**
 * SLA breach detection (docs/policies-and-sla.md). `scanBreaches` marks the organization's open
 * findings past their due date, each once (`breached_at`, set by one UPDATE … WHERE breached_at IS
 * NULL … RETURNING, so two scans running at once never both claim a finding), and queues one
 * `comment` job per ticket of a newly breached finding. The `sla_scan` job runs it; the scheduler
 * below queues one job per organization that has something to mark, every `intervalMs`.
 *
 * Metrics: `sla_breaches_open{severity}` (open breached findings, read from the database when
 * scraped) and `sla_breaches_detected_total{severity}` (breaches this process marked).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AppContext } from '../../context.ts';
import type { Orm } from '../../db/database.ts';
import { findings, tickets } from '../../db/schema.ts';
import { severityLevels } from '../../domain/severity.ts';
import { recordAudit } from '../audit.ts';

/** States in which a finding still counts against its SLA. */
export const OPEN_STATES = ['backlog', 'todo', 'in_progress', 'in_review'] as const;
const openList = sql.raw(OPEN_STATES.map((s) => `'${s}'`).join(', '));
const BATCH = 500;

export interface SlaMetrics {
  detected: Counter<'severity'>;
}

/** Registers the SLA metrics on the registry once (the gauge reads the database at scrape time). */
export function slaMetrics(registry: Registry, orm: Orm): SlaMetrics {
  const existing = registry.getSingleMetric('sla_breaches_detected_total') as Counter<'severity'> | undefined;
  if (existing) return { detected: existing };
  const detected = new Counter({
    name: 'sla_breaches_detected_total',
    help: 'Findings this process marked as past their SLA due date (each finding once)',
    labelNames: ['severity'],
    registers: [registry],
  });
  new Gauge({
    name: 'sla_breaches_open',
    help: 'Open findings past their SLA due date, by severity (all organizations)',
    labelNames: ['severity'],
    registers: [registry],
    async collect() {
      const rows = await orm
        .select({ severity: findings.severity, n: sql<number>`count(*)::int` })
        .from(findings)
        .where(sql`${findings.breachedAt} is not null and ${findings.state} in (${openList})`)
        .groupBy(findings.severity);
      const counts = new Map(rows.map((row) => [row.severity, Number(row.n)]));
      for (const severity of severityLevels) this.set({ severity }, counts.get(severity) ?? 0);
    },
  });
  return { detected };
}

export function breachCommentText(finding: { title: string; severity: string; dueAt: Date | null }): string {
  const due = finding.dueAt ? finding.dueAt.toISOString().slice(0, 10) : 'its due date';
  return `SLA breached: this ${finding.severity} finding ("${finding.title}") is still open past its due date ${due}. Please prioritise the fix or record a decision.`;
}

export interface ScanResult {
  breached: number;
  comments: number;
}

/** Marks the organization's newly breached findings (at `now`) and queues their ticket comments. */
export async function scanBreaches(context: AppContext, orgId: string, now: Date = new Date()): Promise<ScanResult> {
  const metrics = slaMetrics(context.metrics, context.db.orm);
  let breached = 0;
  let comments = 0;
  for (;;) {
    // In batches, so a first scan over a large backlog holds no long transaction.
    const marked = await context.db.orm.transaction(async (tx) => {
      const batch = tx
        .select({ id: findings.id })
        .from(findings)
        .where(and(eq(findings.orgId, orgId), sql`${findings.breachedAt} is null and ${findings.dueAt} <= ${now.toISOString()}::timestamptz and ${findings.state} in (${openList})`))
        .limit(BATCH)
        .for('update', { skipLocked: true });
      const rows = await tx
        .update(findings)
        .set({ breachedAt: now })
        .where(and(inArray(findings.id, batch), sql`${findings.breachedAt} is null`))
        .returning({ id: findings.id, title: findings.title, severity: findings.severity, dueAt: findings.dueAt });
      if (rows.length > 0) {
        await recordAudit(tx, {
          orgId,
          actor: 'sla_scan',
          action: 'findings.sla_breached',
          targetType: 'findings',
          status: 'ok',
          detail: { count: rows.length, findings: rows.slice(0, 100).map((row) => row.id) },
        });
      }
      return rows;
    });
    if (marked.length === 0) break;
    breached += marked.length;
    for (const row of marked) metrics.detected.inc({ severity: row.severity });
    const byId = new Map(marked.map((row) => [row.id, row]));
    const linked = await context.db.orm
      .select({ id: tickets.id, findingId: tickets.findingId })
      .from(tickets)
      .where(and(eq(tickets.orgId, orgId), inArray(tickets.findingId, [...byId.keys()])));
    for (const ticket of linked) {
      const finding = byId.get(ticket.findingId)!;
      // Marked first, queued second: a crash in between loses a comment rather than posting it twice.
      await context.queue.enqueue('comment', { org_id: orgId, ticket_id: ticket.id, text: breachCommentText(finding), requested_by: 'sla_scan' });
      comments++;
    }
    if (marked.length < BATCH) break;
  }
  return { breached, comments };
}

/** Organizations with open findings past due and not yet marked. */
export async function orgsWithDueFindings(orm: Orm, now: Date = new Date()): Promise<string[]> {
  const rows = await orm
    .selectDistinct({ orgId: findings.orgId })
    .from(findings)
    .where(sql`${findings.breachedAt} is null and ${findings.dueAt} <= ${now.toISOString()}::timestamptz and ${findings.state} in (${openList})`);
  return rows.map((row) => row.orgId);
}

/** Queues one `sla_scan` job per organization with something to mark (one queued per org at a time). */
export async function queueSlaScans(context: AppContext, now: Date = new Date()): Promise<number> {
  let queued = 0;
  for (const orgId of await orgsWithDueFindings(context.db.orm, now)) {
    if (await context.queue.enqueue('sla_scan', { org_id: orgId }, { singletonKey: `sla_scan:${orgId}` })) queued++;
  }
  return queued;
}

/**
 * Every process that runs the queue ticks; the per-organization singleton key keeps one job queued
 * per organization however many processes tick. Returns the stop function.
 */
export function startSlaScheduler(context: AppContext, intervalMs: number): () => Promise<void> {
  slaMetrics(context.metrics, context.db.orm);
  if (intervalMs <= 0) return async () => {};
  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (running || !context.queue.running) return;
    running = queueSlaScans(context)
      .catch((error: unknown) => context.logger.error({ err: error }, 'could not queue the SLA scans'))
      .finally(() => (running = null));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
