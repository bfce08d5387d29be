/**
 * Publishes an audit case's remediation report (issue 11) as a Confluence page in storage format:
 * the case's status, its violations with severity, state, ticket and SLA due date, and totals. The
 * page is updated in place on the next publish: its id is remembered in the audit trail
 * (`cases.report.published`, detail.page_id) and, failing that, found by title in the space.
 *
 * Confluence access is the caller's or the organization's: a `confluence` connection (API token,
 * the site URL) or an Atlassian OAuth connection (the gateway ATLASSIAN_API_URL/ex/confluence/{cloudId}
 * with its bearer token, refreshed like every OAuth call). The Confluence client itself is a
 * provider's (src/providers/confluence/client.ts); the route hands its factory in.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { auditEvents, tickets } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { CredentialSource } from '../providers/credentials/index.ts';
import { recordAudit } from './audit.ts';
import { getCase, listCaseViolations } from './cases.ts';
import { type ConnectionService, type ConnectionView, usableBy } from './connections.ts';

export interface ReportPublisher {
  publish(input: { spaceKey: string; title: string; storage: string; pageId?: string | null; versionMessage?: string }): Promise<{
    page: { id: string; title: string; version: number; url: string | null };
    created: boolean;
    conflicts: number;
  }>;
}

export type ReportPublisherFactory = (target: { baseUrl: string; credentials: CredentialSource; connectionId: string; orgId: string }) => ReportPublisher;

export interface PublishReportInput {
  space_key: string;
  title?: string | undefined;
  connection_id?: string | undefined;
}

export interface PublishedReport {
  case_id: string;
  page_id: string;
  title: string;
  version: number;
  created: boolean;
  url: string | null;
  space_key: string;
  connection_id: string;
  violations: number;
  tickets: number;
}

const escapeXml = (value: string): string => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Storage-format XHTML of the report (pure: tested through the page the simulator stores). */
export function renderCaseReport(
  input: {
    name: string;
    framework: string | null;
    status: string;
    violations: { title: string; controlId: string | null; severity: string; state: string; dueAt: Date | null; breachedAt: Date | null; resolvedAt: Date | null }[];
    tickets: Map<number, { key: string | null; url: string | null; status: string | null }>;
  },
  now: Date,
): string {
  const open = input.violations.filter((v) => !v.resolvedAt && v.state !== 'done' && v.state !== 'closed');
  const breached = input.violations.filter((v) => v.breachedAt || (v.dueAt && !v.resolvedAt && v.dueAt.getTime() < now.getTime()));
  const withTickets = [...input.tickets.values()].filter((ticket) => ticket.key).length;
  const rows = input.violations
    .map((violation, index) => {
      const ticket = input.tickets.get(index);
      const ticketCell = ticket?.key ? (ticket.url ? `<a href="${escapeXml(ticket.url)}">${escapeXml(ticket.key)}</a>` : escapeXml(ticket.key)) : '—';
      const sla = violation.dueAt ? `${violation.dueAt.toISOString().slice(0, 10)}${breached.includes(violation) ? ' (breached)' : ''}` : '—';
      return `<tr><td>${escapeXml(violation.title)}</td><td>${escapeXml(violation.controlId ?? '—')}</td><td>${escapeXml(violation.severity)}</td><td>${escapeXml(violation.state)}</td><td>${ticketCell}${ticket?.status ? ` (${escapeXml(ticket.status)})` : ''}</td><td>${escapeXml(sla)}</td></tr>`;
    })
    .join('');
  return [
    `<p>Audit case <strong>${escapeXml(input.name)}</strong>${input.framework ? ` (${escapeXml(input.framework)})` : ''}: status <strong>${escapeXml(input.status)}</strong>. Generated ${escapeXml(now.toISOString())} by the Integration Service.</p>`,
    `<p>Violations: ${input.violations.length}; open: ${open.length}; with a ticket: ${withTickets}; past their SLA: ${breached.length}.</p>`,
    '<table><tbody><tr><th>Violation</th><th>Control</th><th>Severity</th><th>Status</th><th>Ticket</th><th>SLA due</th></tr>',
    rows,
    '</tbody></table>',
  ].join('');
}

/** The caller's own Confluence access first, then the organization's; a confluence connection before an OAuth one. */
function chooseConnection(views: ConnectionView[], subject: string | null, privileged: boolean): ConnectionView | null {
  const candidates = views.filter(
    (view) => view.status !== 'disconnected' && (view.provider === 'confluence' || (view.provider === 'jira-cloud' && view.auth_kind === 'oauth2')) && usableBy(view, subject, privileged),
  );
  const rank = (view: ConnectionView) => (view.user_id !== null && view.user_id === subject ? 0 : view.user_id === null ? 2 : 4) + (view.provider === 'confluence' ? 0 : 1) + (view.status === 'active' ? 0 : 10);
  return candidates.sort((a, b) => rank(a) - rank(b))[0] ?? null;
}

export async function publishCaseReport(
  context: AppContext,
  connections: ConnectionService,
  caller: { orgId: string; subject: string | null; privileged: boolean },
  caseId: string,
  input: PublishReportInput,
  makePublisher: ReportPublisherFactory,
): Promise<PublishedReport> {
  const orm = context.db.orm;
  const found = await getCase(orm, caller.orgId, caseId);
  if (!found) throw new AppError('NOT_FOUND', 'no such case', { field: 'id' });
  const violations = await listCaseViolations(orm, caller.orgId, caseId);
  const ticketRows =
    violations.length === 0
      ? []
      : await orm
          .select({ findingId: tickets.findingId, key: tickets.externalKey, url: tickets.url, status: tickets.externalStatus })
          .from(tickets)
          .where(and(eq(tickets.orgId, caller.orgId), inArray(tickets.findingId, violations.map((v) => v.id))));
  const ticketByFinding = new Map(ticketRows.filter((row) => row.key).map((row) => [row.findingId, row]));
  const ticketsByIndex = new Map<number, { key: string | null; url: string | null; status: string | null }>();
  violations.forEach((violation, index) => {
    const ticket = ticketByFinding.get(violation.id);
    if (ticket) ticketsByIndex.set(index, { key: ticket.key, url: ticket.url, status: ticket.status });
  });

  let view: ConnectionView | null;
  if (input.connection_id) {
    view = await connections.get(caller.orgId, input.connection_id);
    if (!view || !usableBy(view, caller.subject, caller.privileged)) throw new AppError('NOT_FOUND', 'no such connection', { field: 'connection_id' });
    if (!(view.provider === 'confluence' || (view.provider === 'jira-cloud' && view.auth_kind === 'oauth2'))) {
      throw new AppError('VALIDATION_FAILED', `connection "${view.name}" cannot reach Confluence: use a confluence connection or an Atlassian OAuth one`, { field: 'connection_id' });
    }
  } else {
    view = chooseConnection(await connections.list(caller.orgId), caller.subject, caller.privileged);
  }
  if (!view) {
    throw new AppError('NOT_CONNECTED', 'no Confluence access: connect Atlassian over OAuth (GET /api/jira/connect) or add a confluence connection (POST /api/v1/connections)');
  }
  const record = await connections.withCredentials(caller.orgId, view.id);
  if (!record?.credential) throw new AppError('NOT_CONNECTED', `connection "${view.name}" holds no credentials; connect it again`);
  let baseUrl: string;
  if (record.auth_kind === 'oauth2') {
    if (!record.cloudId) throw new AppError('NOT_CONNECTED', `connection "${record.name}" has no cloud id; connect it again`);
    baseUrl = `${context.config.atlassian.apiUrl}/ex/confluence/${record.cloudId}`;
  } else {
    if (!record.site_url) throw new AppError('NOT_CONNECTED', `connection "${record.name}" has no site URL`);
    baseUrl = record.site_url;
  }

  const [previous] = await orm
    .select({ detail: auditEvents.detail })
    .from(auditEvents)
    .where(and(eq(auditEvents.orgId, caller.orgId), eq(auditEvents.action, 'cases.report.published'), eq(auditEvents.targetId, caseId)))
    .orderBy(desc(auditEvents.id))
    .limit(1);
  // `space`, not `space_key`: the audit trail withholds values of keys named like secrets (…key).
  const previousDetail = (previous?.detail ?? {}) as { page_id?: unknown; space?: unknown };
  const pageId = typeof previousDetail.page_id === 'string' && previousDetail.space === input.space_key ? previousDetail.page_id : null;

  const title = input.title ?? `Remediation report: ${found.name}`;
  const storage = renderCaseReport(
    {
      name: found.name,
      framework: found.framework,
      status: found.status,
      violations: violations.map((v) => ({ title: v.title, controlId: v.controlId, severity: v.severity, state: v.state, dueAt: v.dueAt, breachedAt: v.breachedAt, resolvedAt: v.resolvedAt })),
      tickets: ticketsByIndex,
    },
    new Date(),
  );
  const started = performance.now();
  const publisher = makePublisher({ baseUrl, credentials: connections.credentialSource(record), connectionId: record.id, orgId: caller.orgId });
  const result = await publisher.publish({ spaceKey: input.space_key, title, storage, pageId, versionMessage: `Remediation report (${violations.length} violations)` });
  await recordAudit(orm, {
    orgId: caller.orgId,
    actor: caller.subject ?? 'service',
    action: 'cases.report.published',
    targetType: 'audit_case',
    targetId: caseId,
    status: 'ok',
    durationMs: performance.now() - started,
    detail: { page_id: result.page.id, version: result.page.version, space: input.space_key, connection_id: record.id, created: result.created, conflicts: result.conflicts },
  });
  return {
    case_id: caseId,
    page_id: result.page.id,
    title: result.page.title,
    version: result.page.version,
    created: result.created,
    url: result.page.url,
    space_key: input.space_key,
    connection_id: record.id,
    violations: violations.length,
    tickets: ticketsByIndex.size,
  };
}
