/**
 * Organization policies (docs/policies-and-sla.md): read with defaults, replaced whole by an admin.
 * Connections named by a policy must be the organization's own (not a user's personal one), active
 * or not, of the right kind: tickets on Jira or ServiceNow, fix PRs on GitHub; anything else is 422.
 * Storing new SLA days recomputes every due date of the organization in the same transaction (the
 * SQL function `sla_due_at` of the migration is the one formula; the trigger `findings_due_at`
 * applies it when a finding is inserted or its severity changes).
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { DEFAULT_SLA_DAYS, type PolicyInput, type PolicyView, type PrGrouping } from '../../contracts/policies.ts';
import type { Orm } from '../../db/database.ts';
import { connections, orgPolicies } from '../../db/schema.ts';
import { type Severity, severityLevels } from '../../domain/severity.ts';
import { AppError } from '../../errors/app-error.ts';
import { recordAudit } from '../audit.ts';

export const TICKET_PROVIDERS: readonly string[] = ['jira-cloud', 'jira-server', 'servicenow'];
export const PR_PROVIDERS: readonly string[] = ['github'];

export interface Policy {
  ticketSeverities: Severity[];
  ticketConnectionId: string | null;
  ticketOptions: { projectKey?: string; issueType?: string; labels?: string[] };
  prSeverities: Severity[];
  prConnectionId: string | null;
  prGrouping: PrGrouping;
  slaDays: Record<Severity, number | null>;
  stored: boolean;
  updatedAt: Date | null;
  updatedBy: string | null;
}

export function defaultPolicy(): Policy {
  return {
    ticketSeverities: [],
    ticketConnectionId: null,
    ticketOptions: {},
    prSeverities: [],
    prConnectionId: null,
    prGrouping: 'repo_scan',
    slaDays: { ...DEFAULT_SLA_DAYS },
    stored: false,
    updatedAt: null,
    updatedBy: null,
  };
}

/** `{critical: 7, …}` as stored: severities without a due date are left out. */
function storedSlaDays(days: Record<Severity, number | null>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const severity of severityLevels) {
    const value = days[severity];
    if (value !== null && value !== undefined) out[severity] = value;
  }
  return out;
}

export async function getPolicy(orm: Orm, orgId: string): Promise<Policy> {
  const [row] = await orm.select().from(orgPolicies).where(eq(orgPolicies.orgId, orgId));
  if (!row) return defaultPolicy();
  const slaDays = Object.fromEntries(severityLevels.map((s) => [s, typeof row.slaDays[s] === 'number' ? row.slaDays[s] : null])) as Record<Severity, number | null>;
  const options = row.ticketOptions as Policy['ticketOptions'];
  return {
    ticketSeverities: row.ticketSeverities as Severity[],
    ticketConnectionId: row.ticketConnectionId,
    ticketOptions: options,
    prSeverities: row.prSeverities as Severity[],
    prConnectionId: row.prConnectionId,
    prGrouping: row.prGrouping as PrGrouping,
    slaDays,
    stored: true,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
  };
}

async function checkConnection(orm: Orm, orgId: string, id: string | null, allowed: readonly string[], field: string): Promise<void> {
  if (id === null) return;
  const [row] = await orm
    .select({ provider: connections.provider })
    .from(connections)
    .where(and(eq(connections.orgId, orgId), eq(connections.id, id), isNull(connections.userId)));
  // Another org's connection answers like a missing one.
  if (!row) throw new AppError('UNPROCESSABLE', `${field}: no such organization-wide connection`, { field });
  if (!allowed.includes(row.provider)) {
    throw new AppError('UNPROCESSABLE', `${field}: a ${row.provider} connection cannot be used here (one of ${allowed.join(', ')})`, { field });
  }
}

/** Replaces the organization's policy; recomputes due dates when the SLA days changed. */
export async function putPolicy(orm: Orm, orgId: string, input: PolicyInput, actor: string): Promise<{ policy: Policy; recomputed: number }> {
  await checkConnection(orm, orgId, input.tickets.connection_id, TICKET_PROVIDERS, 'tickets.connection_id');
  await checkConnection(orm, orgId, input.pull_requests.connection_id, PR_PROVIDERS, 'pull_requests.connection_id');
  const before = await getPolicy(orm, orgId);
  const values = {
    ticketSeverities: input.tickets.severities,
    ticketConnectionId: input.tickets.connection_id,
    ticketOptions: {
      ...(input.tickets.options.project_key ? { projectKey: input.tickets.options.project_key } : {}),
      ...(input.tickets.options.issue_type ? { issueType: input.tickets.options.issue_type } : {}),
      ...(input.tickets.options.labels ? { labels: input.tickets.options.labels } : {}),
    },
    prSeverities: input.pull_requests.severities,
    prConnectionId: input.pull_requests.connection_id,
    prGrouping: input.pull_requests.grouping,
    slaDays: storedSlaDays(input.sla_days),
    updatedBy: actor,
  };
  const slaChanged = severityLevels.some((s) => (before.slaDays[s] ?? null) !== (input.sla_days[s] ?? null));
  const recomputed = await orm.transaction(async (tx) => {
    await tx
      .insert(orgPolicies)
      .values({ orgId, ...values })
      .onConflictDoUpdate({ target: orgPolicies.orgId, set: { ...values, updatedAt: sql`now()` } });
    const count = slaChanged ? await recomputeDueDates(tx, orgId) : 0;
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'policies.update',
      targetType: 'policy',
      targetId: orgId,
      status: 'ok',
      detail: { sla_days: values.slaDays, ticket_severities: values.ticketSeverities, pr_severities: values.prSeverities, recomputed: count },
    });
    return count;
  });
  return { policy: await getPolicy(orm, orgId), recomputed };
}

/**
 * Every finding of the organization gets the due date of the current policy. A finding whose new
 * due date is in the future (or gone) loses its breach mark, so a later breach is detected and
 * commented again; one still past due keeps it (it was commented once already).
 */
export async function recomputeDueDates(orm: Orm, orgId: string): Promise<number> {
  const rows = await orm.execute<{ id: string }>(sql`
    update findings f
       set due_at = d.due,
           breached_at = case when d.due is null or d.due > now() then null else f.breached_at end
      from (select id, sla_due_at(org_id, severity, first_seen_at) as due from findings where org_id = ${orgId}) d
     where f.id = d.id and f.due_at is distinct from d.due
    returning f.id`);
  return rowsOf(rows).length;
}

function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

export function toPolicyView(policy: Policy): PolicyView {
  return {
    tickets: {
      severities: policy.ticketSeverities,
      connection_id: policy.ticketConnectionId,
      options: {
        ...(policy.ticketOptions.projectKey ? { project_key: policy.ticketOptions.projectKey } : {}),
        ...(policy.ticketOptions.issueType ? { issue_type: policy.ticketOptions.issueType } : {}),
        ...(policy.ticketOptions.labels ? { labels: policy.ticketOptions.labels } : {}),
      },
    },
    pull_requests: { severities: policy.prSeverities, connection_id: policy.prConnectionId, grouping: policy.prGrouping },
    sla_days: policy.slaDays,
    stored: policy.stored,
    updated_at: policy.updatedAt?.toISOString() ?? null,
    updated_by: policy.updatedBy,
  };
}
