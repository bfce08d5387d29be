/**
 * The ticket operations the HTTP routes offer, over stored findings: one ticket for a finding (seed
 * 002's `POST /api/jira/tickets`), and tickets for many (a case's violations, or a list of ids).
 */
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { type PublicErrorCode, publicCode } from '../../errors/catalogue.ts';
import { getCase, listCaseViolations } from '../cases.ts';
import { type Finding, getFinding } from '../findings.ts';
import type { Tenant } from '../tenancy.ts';
import { outcomeError } from './outcome-errors.ts';
import { subjectOf } from './subject.ts';
import { type RequestPreview, type TicketOptions, TicketService } from './ticket-service.ts';
import type { TicketRow } from './ticket-store.ts';

export interface SingleTicketRequest {
  findingId: string;
  /** Name of the id field in the caller's vocabulary (`violation_id` for seed 002). */
  findingField: string;
  connectionId?: string | null;
  /** Whose connection to prefer (seed 002 `user_id`); the caller's subject by default. */
  subject: string | null;
  /** Admins and services may name any connection of the organization, others only shared ones and their own. */
  privileged: boolean;
  options: TicketOptions;
  dryRun: boolean;
}

export type SingleTicketResult =
  | { status: 'created' | 'existing'; ticket: TicketRow }
  | { status: 'planned'; requests: RequestPreview[]; notes: string[] };

export interface BulkItemResult {
  finding_id: string;
  status: 'created' | 'existing' | 'planned' | 'failed';
  ticket: TicketRow | null;
  error: { code: PublicErrorCode; message: string; field?: string } | null;
}

export interface BulkTicketResult {
  results: BulkItemResult[];
  requests: RequestPreview[] | null;
  notes: string[];
  summary: { total: number; created: number; existing: number; planned: number; failed: number };
}

export function ticketServiceFor(context: AppContext): TicketService {
  return new TicketService(context, { consistencyWindowMs: context.config.jiraSearchConsistencyMs });
}

/** The audit case's name for a violation's description (null for findings outside a case). */
export async function caseNameOf(context: AppContext, tenant: Pick<Tenant, 'orgId'>, finding: Finding): Promise<string | null> {
  if (!finding.caseId) return null;
  return (await getCase(context.db.orm, tenant.orgId, finding.caseId))?.name ?? null;
}

export async function createTicketForFinding(context: AppContext, service: TicketService, tenant: Tenant, request: SingleTicketRequest): Promise<SingleTicketResult> {
  const finding = await getFinding(context.db.orm, tenant.orgId, request.findingId);
  if (!finding) throw new AppError('NOT_FOUND', 'no such finding', { field: request.findingField });
  const session = await service.sessionFor(tenant, request.subject, request.connectionId, request.privileged);
  const existing = (await service.existingVerified(tenant, session, [finding.id])).get(finding.id);
  if (existing) return { status: 'existing', ticket: existing };
  const { results, notes } = await service.draft(session, [subjectOf(finding, await caseNameOf(context, tenant, finding))], request.options);
  const drafted = results[0]!;
  if (!drafted.ok) {
    // Jira down during the lookups: queued like an outage at create time (stored connections).
    if (!request.dryRun) await service.queueUnavailable(session, tenant, [{ findingId: finding.id, result: drafted }], request.options);
    throw outcomeError({
      kind: 'failed',
      ticket: null,
      code: drafted.code,
      message: drafted.message,
      retryable: false,
      ...(drafted.field ? { field: drafted.field } : {}),
      ...(drafted.retryAfterMs !== undefined ? { retryAfterMs: drafted.retryAfterMs } : {}),
    });
  }
  if (request.dryRun) return { status: 'planned', requests: service.previewRequests(session, [drafted.draft]), notes };
  const [outcome] = await service.create(session, tenant, [drafted.draft], { ticketOptions: request.options });
  if (!outcome) throw new Error('no outcome for the ticket');
  if (outcome.kind === 'failed') throw outcomeError(outcome);
  // Seed 002 answers with the issue's status; a fresh issue's status is read back once.
  const ticket = await service.refresh(session, outcome.ticket, outcome.issue).catch(() => outcome.ticket);
  return { status: outcome.kind, ticket };
}

export async function createTicketsForFindings(
  service: TicketService,
  tenant: Tenant,
  request: { findings: Finding[]; connectionId?: string | null; subject: string | null; privileged: boolean; options: TicketOptions; dryRun: boolean; caseName?: string | null },
): Promise<BulkTicketResult> {
  const session = await service.sessionFor(tenant, request.subject, request.connectionId, request.privileged);
  const existing = await service.existingVerified(tenant, session, request.findings.map((finding) => finding.id));
  const fresh = request.findings.filter((finding) => !existing.has(finding.id));
  const { results: drafts, notes } =
    fresh.length > 0
      ? await service.draft(session, fresh.map((finding) => subjectOf(finding, request.caseName ?? null)), request.options)
      : { results: [], notes: [] };
  const byFinding = new Map<string, BulkItemResult>();
  for (const [id, ticket] of existing) byFinding.set(id, { finding_id: id, status: 'existing', ticket, error: null });
  if (!request.dryRun) {
    await service.queueUnavailable(session, tenant, drafts.map((result, index) => ({ findingId: fresh[index]!.id, result })), request.options);
  }
  const ready = drafts.flatMap((draft, index) => {
    if (draft.ok) return [draft.draft];
    const findingId = fresh[index]!.id;
    byFinding.set(findingId, { finding_id: findingId, status: 'failed', ticket: null, error: { code: publicCode(draft.code), message: draft.message, ...(draft.field ? { field: draft.field } : {}) } });
    return [];
  });
  let requests: RequestPreview[] | null = null;
  if (request.dryRun) {
    requests = ready.length > 0 ? service.previewRequests(session, ready) : [];
    for (const draft of ready) byFinding.set(draft.findingId, { finding_id: draft.findingId, status: 'planned', ticket: null, error: null });
  } else if (ready.length > 0) {
    const outcomes = await service.create(session, tenant, ready, { ticketOptions: request.options });
    outcomes.forEach((outcome, index) => {
      const findingId = ready[index]!.findingId;
      byFinding.set(
        findingId,
        outcome.kind === 'failed'
          ? { finding_id: findingId, status: 'failed', ticket: outcome.ticket, error: { code: publicCode(outcome.code), message: outcome.message, ...(outcome.field ? { field: outcome.field } : {}) } }
          : { finding_id: findingId, status: outcome.kind, ticket: outcome.ticket, error: null },
      );
    });
  }
  const results = request.findings.map((finding) => byFinding.get(finding.id)!);
  const count = (status: BulkItemResult['status']) => results.filter((result) => result.status === status).length;
  return {
    results,
    requests,
    notes,
    summary: { total: results.length, created: count('created'), existing: count('existing'), planned: count('planned'), failed: count('failed') },
  };
}

export async function createTicketsForCase(
  context: AppContext,
  service: TicketService,
  tenant: Tenant,
  request: { caseId: string; connectionId?: string | null; subject: string | null; privileged: boolean; options: TicketOptions; dryRun: boolean },
): Promise<BulkTicketResult> {
  const auditCase = await getCase(context.db.orm, tenant.orgId, request.caseId);
  if (!auditCase) throw new AppError('NOT_FOUND', 'no such audit case', { field: 'case_id' });
  const violations = await listCaseViolations(context.db.orm, tenant.orgId, request.caseId);
  return createTicketsForFindings(service, tenant, { ...request, findings: violations, caseName: auditCase.name });
}
