/**
 * Filing tickets, the one use case behind every "create tickets" entry point: seed 002's and
 * /api/v1's single and bulk routes (here), the internal create endpoint's batches
 * (src/services/internal/create-issues-and-prs.ts) and the `create` job all call fileTickets, which
 * answers one result shape per item; each caller only shapes it into its own response.
 */
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { type ErrorCode, type PublicErrorCode, publicCode } from '../../errors/catalogue.ts';
import type { RequestPreview, TicketDraft, TicketOptions, TicketRef, TicketSubject } from '../../providers/ticketing/index.ts';
import { getCase, listCaseViolations } from '../cases.ts';
import { type Finding, getFinding } from '../findings.ts';
import type { Tenant } from '../tenancy.ts';
import { outcomeError } from './outcome-errors.ts';
import { subjectOf } from './subject.ts';
import type { TicketSession } from './ticket-session.ts';
import { TicketService } from './ticket-service.ts';
import type { TicketRow } from './ticket-store.ts';

/** One finding to file: planned by the provider from the finding, or a caller's own create payload (seed 001). */
export type FileItem = { findingId: string; subject: TicketSubject; payload?: undefined } | { findingId: string; fingerprint: string; payload: Record<string, unknown>; subject?: undefined };

export interface FiledError {
  code: ErrorCode;
  message: string;
  field?: string;
  retryAfterMs?: number;
  /** Another holder's in-flight mark on the row: how long it has left (TicketOutcome's `markExpiresInMs`). */
  markExpiresInMs?: number;
  retryable: boolean;
  provider?: string;
}

/** The one result shape of filing a ticket for a finding. */
export interface FiledTicket {
  findingId: string;
  status: 'created' | 'existing' | 'planned' | 'failed';
  /** Our ticket row, when one exists. */
  ticket: TicketRow | null;
  /** The provider's ticket (created and existing). */
  ref: TicketRef | null;
  /** `existing` answered from our own records before anything was planned or sent. */
  fromRecords: boolean;
  error: FiledError | null;
}

export interface FileTicketsResult {
  items: FiledTicket[];
  /** Dry runs: exactly the create requests that would be sent. */
  requests: RequestPreview[];
  notes: string[];
}

export interface FileTicketsRequest {
  items: FileItem[];
  options: TicketOptions;
  dryRun: boolean;
  /** Queue what could not finish now as `create` jobs (stored connections; default true). The job itself says false. */
  requeue?: boolean;
  /** Creates are sent (and progress reported) this many items at a time. */
  chunkSize?: number;
  onProgress?: (done: number, failed: number) => Promise<void>;
}

const failedItem = (findingId: string, ticket: TicketRow | null, error: FiledError): FiledTicket => ({ findingId, status: 'failed', ticket, ref: null, fromRecords: false, error });

/**
 * Files a ticket for each item on one session, exactly once per finding and connection: tickets we
 * already hold are answered from our records (once the credentials are verified), the rest planned
 * by the provider, then previewed (dry run) or created. Throws the AppError of a problem of the whole
 * request (no project, unknown assignee, credentials the provider refuses); per-item failures are results.
 */
export async function fileTickets(service: TicketService, session: TicketSession, tenant: Tenant, request: FileTicketsRequest): Promise<FileTicketsResult> {
  const byFinding = new Map<string, FiledTicket>();
  const existing = await service.existingVerified(tenant, session, request.items.map((item) => item.findingId));
  for (const [findingId, ticket] of existing) {
    const ref = ticket.externalId && ticket.externalKey ? { id: ticket.externalId, key: ticket.externalKey, url: ticket.url ?? '' } : null;
    byFinding.set(findingId, { findingId, status: 'existing', ticket, ref, fromRecords: true, error: null });
  }
  const fresh = request.items.filter((item) => !existing.has(item.findingId));
  const ready: TicketDraft[] = [];
  const notes: string[] = [];
  const planned = fresh.filter((item) => item.subject);
  if (planned.length > 0) {
    const drafted = await service.draft(session, planned.map((item) => item.subject!), request.options);
    notes.push(...drafted.notes);
    if (!request.dryRun && request.requeue !== false) {
      // The provider down during the lookups: queued like an outage at create time (stored connections).
      await service.queueUnavailable(session, tenant, drafted.results.map((result, index) => ({ findingId: planned[index]!.findingId, result })), request.options);
    }
    drafted.results.forEach((result, index) => {
      const findingId = planned[index]!.findingId;
      if (result.ok) ready.push(result.draft);
      else {
        byFinding.set(
          findingId,
          failedItem(findingId, null, {
            code: result.code,
            message: result.message,
            retryable: false,
            ...(result.field ? { field: result.field } : {}),
            ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}),
            ...(result.provider ? { provider: result.provider } : {}),
          }),
        );
      }
    });
  }
  for (const item of fresh) {
    if (item.payload) ready.push(session.ticketing.draftFromPayload({ findingId: item.findingId, fingerprint: item.fingerprint }, item.payload));
  }

  let requests: RequestPreview[] = [];
  if (request.dryRun) {
    if (ready.length > 0) requests = service.previewRequests(session, ready);
    for (const draft of ready) byFinding.set(draft.findingId, { findingId: draft.findingId, status: 'planned', ticket: null, ref: null, fromRecords: false, error: null });
  } else {
    const chunkSize = request.chunkSize ?? Math.max(1, ready.length);
    let done = 0;
    for (let start = 0; start < ready.length; start += chunkSize) {
      const chunk = ready.slice(start, start + chunkSize);
      const hasOptions = request.items.some((item) => item.subject);
      const outcomes = await service.create(session, tenant, chunk, { ...(hasOptions ? { ticketOptions: request.options } : {}), ...(request.requeue === false ? { requeue: false } : {}) });
      outcomes.forEach((outcome, position) => {
        const findingId = chunk[position]!.findingId;
        byFinding.set(
          findingId,
          outcome.kind === 'failed'
            ? failedItem(findingId, outcome.ticket, {
                code: outcome.code,
                message: outcome.message,
                retryable: outcome.retryable,
                ...(outcome.field ? { field: outcome.field } : {}),
                ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
                ...(outcome.markExpiresInMs !== undefined ? { markExpiresInMs: outcome.markExpiresInMs } : {}),
                ...(outcome.provider ? { provider: outcome.provider } : {}),
              })
            : { findingId, status: outcome.kind, ticket: outcome.ticket, ref: outcome.issue, fromRecords: false, error: null },
        );
      });
      done += chunk.length;
      await request.onProgress?.(done, [...byFinding.values()].filter((item) => item.status === 'failed').length);
    }
  }
  return {
    items: request.items.map((item) => byFinding.get(item.findingId) ?? failedItem(item.findingId, null, { code: 'INTERNAL', message: 'no outcome for this item', retryable: true })),
    requests,
    notes: [...new Set(notes)],
  };
}

export interface SingleTicketRequest {
  findingId: string;
  /** Name of the id field in the caller's vocabulary (`violation_id` for seed 002). */
  findingField: string;
  connectionId?: string | null;
  /** Whose connection to prefer (seed 002 `user_id`); the caller's subject by default. */
  subject: string | null;
  /** Admins and services may name any connection of the organization, others only shared ones and their own. */
  privileged: boolean;
  /** Only connections of these providers (seed 002's /api/jira routes: Jira's). */
  providers?: readonly string[];
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
  return new TicketService(context, {});
}

/** The audit case's name for a violation's description (null for findings outside a case). */
export async function caseNameOf(context: AppContext, tenant: Pick<Tenant, 'orgId'>, finding: Finding): Promise<string | null> {
  if (!finding.caseId) return null;
  return (await getCase(context.db.orm, tenant.orgId, finding.caseId))?.name ?? null;
}

export async function createTicketForFinding(context: AppContext, service: TicketService, tenant: Tenant, request: SingleTicketRequest): Promise<SingleTicketResult> {
  const finding = await getFinding(context.db.orm, tenant.orgId, request.findingId);
  if (!finding) throw new AppError('NOT_FOUND', 'no such finding', { field: request.findingField });
  const session = await service.sessionFor(tenant, request.subject, request.connectionId, request.privileged, request.providers);
  const subject = subjectOf(finding, await caseNameOf(context, tenant, finding));
  const filed = await fileTickets(service, session, tenant, { items: [{ findingId: finding.id, subject }], options: request.options, dryRun: request.dryRun });
  const item = filed.items[0]!;
  if (item.status === 'failed') {
    const error = item.error!;
    throw outcomeError({ kind: 'failed', ticket: null, ...error });
  }
  if (item.status === 'planned') return { status: 'planned', requests: filed.requests, notes: filed.notes };
  if (item.fromRecords || !item.ticket) return { status: 'existing', ticket: item.ticket! };
  // Seed 002 answers with the issue's status; a fresh issue's status is read back once.
  const ticket = await service.refresh(session, item.ticket, item.ref ?? undefined).catch(() => item.ticket!);
  return { status: item.status, ticket };
}

/** The public form of a filed item's error. */
function publicError(error: FiledError): BulkItemResult['error'] {
  return { code: publicCode(error.code), message: error.message, ...(error.field ? { field: error.field } : {}) };
}

export async function createTicketsForFindings(
  service: TicketService,
  tenant: Tenant,
  request: { findings: Finding[]; connectionId?: string | null; subject: string | null; privileged: boolean; providers?: readonly string[]; options: TicketOptions; dryRun: boolean; caseName?: string | null },
): Promise<BulkTicketResult> {
  const session = await service.sessionFor(tenant, request.subject, request.connectionId, request.privileged, request.providers);
  const filed = await fileTickets(service, session, tenant, {
    items: request.findings.map((finding) => ({ findingId: finding.id, subject: subjectOf(finding, request.caseName ?? null) })),
    options: request.options,
    dryRun: request.dryRun,
  });
  const results: BulkItemResult[] = filed.items.map((item) => ({
    finding_id: item.findingId,
    status: item.status,
    ticket: item.ticket,
    error: item.error ? publicError(item.error) : null,
  }));
  const count = (status: BulkItemResult['status']) => results.filter((result) => result.status === status).length;
  return {
    results,
    requests: request.dryRun ? filed.requests : null,
    notes: filed.notes,
    summary: { total: results.length, created: count('created'), existing: count('existing'), planned: count('planned'), failed: count('failed') },
  };
}

export async function createTicketsForCase(
  context: AppContext,
  service: TicketService,
  tenant: Tenant,
  request: { caseId: string; connectionId?: string | null; subject: string | null; privileged: boolean; providers?: readonly string[]; options: TicketOptions; dryRun: boolean },
): Promise<BulkTicketResult> {
  const auditCase = await getCase(context.db.orm, tenant.orgId, request.caseId);
  if (!auditCase) throw new AppError('NOT_FOUND', 'no such audit case', { field: 'case_id' });
  const violations = await listCaseViolations(context.db.orm, tenant.orgId, request.caseId);
  return createTicketsForFindings(service, tenant, { ...request, findings: violations, caseName: auditCase.name });
}
