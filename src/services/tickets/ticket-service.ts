/**
 * Tickets: plan the ticket for each finding, create it exactly once, read its status back, on any
 * ticketing provider (through src/providers/ticketing; no provider is named here). The routes (seed
 * 002's `/api/jira/tickets…`, `/api/v1/tickets…`, the internal create endpoint) and the jobs all go
 * through here. Nothing in dry-run mode writes to the provider or to our tables.
 */
import { and, desc, eq, inArray, type SQL } from 'drizzle-orm';
import { afterCursor, cursorTime, decodeCursor, encodeCursor } from '../../db/cursor.ts';
import type { AppContext } from '../../context.ts';
import { findings, tickets } from '../../db/schema.ts';
import { stateFor } from '../../domain/mapping.ts';
import { AppError } from '../../errors/app-error.ts';
import type { ErrorCode } from '../../errors/catalogue.ts';
import type { ConnectionTarget } from '../../providers/descriptor/connection.ts';
import { ticketingForRequest, ticketingProviders } from '../../providers/registry.ts';
import type { DraftResult, RequestPreview, TicketDraft, TicketOptions, TicketRef, TicketSubject } from '../../providers/ticketing/index.ts';
import { recordAudit } from '../audit.ts';
import { ConnectionService, requestCredentials, usableBy } from '../connections.ts';
import { MappingService } from '../mappings.ts';
import type { Tenant } from '../tenancy.ts';
import { providerAppError } from './outcome-errors.ts';
import { createIssuesExactlyOnce, type ExactlyOnceOptions, type InFlightMarks, type TicketOutcome } from './exactly-once.ts';
import { isProviderError, openTicketSession, type RequestTicketCredentials, type TicketSession } from './ticket-session.ts';
import { applyTicketChange, changeFromRemote } from '../webhooks/process.ts';
import { TicketStore, type TicketRow } from './ticket-store.ts';

export type { DraftResult, RequestPreview, TicketOptions, TicketSubject } from '../../providers/ticketing/index.ts';
export type { RequestTicketCredentials, TicketSession } from './ticket-session.ts';

export interface TicketServiceOptions {
  /** Overrides the provider's own search-consistency window (tests; the configured value otherwise). */
  consistencyWindowMs?: number;
  afterRemoteCreate?: ExactlyOnceOptions['afterRemoteCreate'];
  /** Overrides how long an in-flight mark lives (tests; see inFlightMarks for the default). */
  inFlightTtlMs?: number;
}


export interface TicketFilter {
  findingId?: string;
  connectionId?: string;
  state?: string;
  /** The users row id of who asked for the ticket (seed 002 lists by user). */
  createdBy?: string;
  caseId?: string;
  /** Only tickets on these providers (seed 002's /api/jira routes list Jira's alone). */
  providers?: readonly string[];
  limit: number;
  cursor?: string;
}
/**
 * In-flight marks in the shared state (Redis when REDIS_URL is set, else this process), kept while a
 * create call is out, so a concurrent request for the same finding answers "in progress". They expire
 * on their own should the process die; a shared-state failure only costs that distinction (the
 * request is then told the outcome is unconfirmed), never a create.
 */
function inFlightMarks(context: AppContext, logger: AppContext['logger'], ttlOverrideMs?: number): InFlightMarks {
  const key = (id: string) => `ticket-creating:${id}`;
  // Longer than one create call with its retries can take; a mark outliving a dead process only
  // turns "unconfirmed" into "in progress" for that long (and a create job that meets it waits that
  // long: see the create job's handler).
  const ttlMs = ttlOverrideMs ?? Math.max(60_000, 4 * context.config.outbound.timeoutMs);
  const quietly = async (what: string, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (error) {
      logger.warn({ err: error }, `in-flight marks: ${what} failed`);
    }
  };
  return {
    mark: (ids) => quietly('mark', () => Promise.all(ids.map((id) => context.sharedState.set(key(id), '1', ttlMs)))),
    clear: (ids) => quietly('clear', () => Promise.all(ids.map((id) => context.sharedState.delete(key(id))))),
    async active(ids) {
      const busy = new Map<string, number>();
      await quietly('lookup', async () => {
        const left = await Promise.all(ids.map((id) => context.sharedState.ttl(key(id))));
        left.forEach((ms, index) => {
          if (ms !== null) busy.set(ids[index]!, ms);
        });
      });
      return busy;
    },
  };
}

const connectionWide = new Set<ErrorCode>(['PROVIDER_UNAVAILABLE', 'PROVIDER_RATE_LIMITED', 'PROVIDER_UNREACHABLE', 'PROVIDER_AUTH_FAILED']);
/** Failures that pass by themselves: what they stopped is queued and healed. */
const outageCodes = new Set<ErrorCode>(['PROVIDER_UNAVAILABLE', 'PROVIDER_RATE_LIMITED', 'PROVIDER_UNREACHABLE']);

export class TicketService {
  readonly #context: AppContext;
  readonly #store: TicketStore;
  readonly #connections: ConnectionService;
  readonly #mappings: MappingService;
  readonly #options: TicketServiceOptions;

  constructor(context: AppContext, options: TicketServiceOptions) {
    this.#context = context;
    this.#store = new TicketStore(context.db.orm);
    this.#connections = new ConnectionService(context.db.orm, context.keyRing, context.outboundGuard, { sharedState: context.sharedState });
    this.#mappings = new MappingService(context.db.orm);
    this.#options = options;
  }

  get connections(): ConnectionService {
    return this.#connections;
  }

  /**
   * A session on a stored ticketing connection: the one named, else the user's own (seed 002), else
   * the org's. `only` narrows the providers considered (seed 002's /api/jira routes: Jira's, so an
   * org that also connected ServiceNow still files those tickets in Jira).
   */
  async sessionFor(tenant: Tenant, subject: string | null, connectionId?: string | null, privileged = true, only?: readonly string[]): Promise<TicketSession> {
    const providers = only ? ticketingProviders().filter((provider) => only.includes(provider)) : ticketingProviders();
    const view = connectionId
      ? await this.#connections.get(tenant.orgId, connectionId)
      : await this.#connections.resolveFor(tenant.orgId, providers, subject);
    if (!view) {
      if (connectionId) throw new AppError('NOT_FOUND', 'no such connection', { field: 'connection_id' });
      throw new AppError('NOT_CONNECTED', 'no ticketing connection: connect Jira (GET /api/jira/connect, or POST /api/v1/connections) first');
    }
    if (!usableBy(view, subject, privileged)) {
      // Another user's personal connection (seed 002) is theirs alone.
      throw new AppError('NOT_FOUND', 'no such connection', { field: 'connection_id' });
    }
    if (!providers.includes(view.provider)) {
      throw new AppError('VALIDATION_FAILED', `connection "${view.name}" is a ${view.provider} connection, not a ticketing one`, { field: 'connection_id' });
    }
    const record = await this.#connections.withCredentials(tenant.orgId, view.id);
    if (!record) throw new AppError('NOT_FOUND', 'no such connection', { field: 'connection_id' });
    if (!record.credential) {
      const what = record.auth_kind === 'oauth2' ? 'an OAuth token; reconnect it' : 'credentials (they are sent per request); pass them or connect it again';
      throw new AppError('NOT_CONNECTED', `connection "${record.name}" holds no ${what}`);
    }
    return openTicketSession(this.#context, record.provider, this.#connections.targetOf(record), {
      connectionId: record.id,
      mappingRows: await this.#mappings.rows(tenant.orgId, record.id),
      ephemeral: false,
    });
  }

  /** A session on credentials sent with the request (seeds 000/001); they are never stored. */
  async sessionForRequest(tenant: Tenant, credentials: RequestTicketCredentials, options: { dryRun: boolean }): Promise<TicketSession> {
    const account = credentials.jira_email ?? null;
    const siteUrl = credentials.jira_url.replace(/\/+$/, '');
    const resolved = ticketingForRequest({ siteUrl, account, token: credentials.jira_pat });
    if (!resolved) throw new AppError('VALIDATION_FAILED', 'no ticketing provider serves this site', { field: 'jira_url' });
    const provider = resolved.provider;
    const connection = options.dryRun
      ? await this.#connections.findRequestConnection(tenant.orgId, provider, credentials.jira_url, account)
      : await this.#connections.ensureRequestConnection(tenant.orgId, provider, credentials.jira_url, account);
    const connectionId = connection?.id ?? 'dry-run';
    const target: ConnectionTarget = {
      connectionId,
      orgId: tenant.orgId,
      siteUrl,
      apiUrl: null,
      apiBaseUrl: null,
      settings: {},
      credentials: requestCredentials(resolved.credential),
    };
    return openTicketSession(this.#context, resolved.provider, target, {
      connectionId,
      mappingRows: connection ? await this.#mappings.rows(tenant.orgId, connection.id) : [],
      ephemeral: true,
    });
  }

  /**
   * Plans each finding's create (the provider checks it once against what it will accept, e.g. Jira's
   * create screen). Reads from the provider (priorities, screens, users) but writes nothing.
   */
  async draft(session: TicketSession, subjects: TicketSubject[], options: TicketOptions): Promise<{ results: DraftResult[]; notes: string[] }> {
    return session.ticketing.draft(subjects, options, session.mappingRows);
  }

  /** Exactly the create requests a batch would send (the provider's own chunking). */
  previewRequests(session: TicketSession, drafts: TicketDraft[]): RequestPreview[] {
    return session.ticketing.previewRequests(drafts);
  }

  /** Tickets that already exist for these findings on this connection (read-only; for dry runs). */
  async existing(tenant: Tenant, connectionId: string, findingIds: string[]): Promise<Map<string, TicketRow>> {
    if (findingIds.length === 0 || connectionId === 'dry-run') return new Map();
    const rows = await this.#context.db.orm
      .select()
      .from(tickets)
      .where(and(eq(tickets.orgId, tenant.orgId), eq(tickets.connectionId, connectionId), inArray(tickets.findingId, findingIds), eq(tickets.syncState, 'created')));
    return new Map(rows.map((row) => [row.findingId, row]));
  }

  /**
   * Creates the issues exactly once. Items of a bulk call that failed in a way worth retrying are
   * retried once, one by one, at once; what still fails is reported per item.
   */
  async create(session: TicketSession, tenant: Tenant, drafts: TicketDraft[], options: { requeue?: boolean; ticketOptions?: TicketOptions } = {}): Promise<TicketOutcome[]> {
    const scope = { orgId: tenant.orgId, connectionId: session.connectionId, provider: session.provider, createdBy: tenant.userId || null };
    const logger = this.#context.logger.child({ component: 'tickets', connection_id: session.connectionId });
    const exactly: ExactlyOnceOptions = {
      consistencyWindowMs: this.#options.consistencyWindowMs ?? session.ticketing.consistencyWindowMs,
      inFlight: inFlightMarks(this.#context, logger, this.#options.inFlightTtlMs),
      ...(this.#options.afterRemoteCreate ? { afterRemoteCreate: this.#options.afterRemoteCreate } : {}),
    };
    const started = performance.now();
    const outcomes = await createIssuesExactlyOnce(this.#store, session.ticketing, scope, drafts, exactly, logger);
    await this.#verifyExisting(session, outcomes);
    if (drafts.length > 1) {
      for (const [index, outcome] of outcomes.entries()) {
        // A whole-connection failure (outage, rate limit, unreachable site) would fail every single
        // retry too; those items go to the queue instead.
        if (outcome.kind !== 'failed' || !outcome.retryable || outcome.code.startsWith('TICKET_') || connectionWide.has(outcome.code)) continue;
        const [again] = await createIssuesExactlyOnce(this.#store, session.ticketing, scope, [drafts[index]!], exactly, logger);
        if (again) outcomes[index] = again;
      }
    }
    // What could not finish now heals in the background, on stored credentials only (a request's
    // own token is never queued).
    if (options.requeue !== false) {
      for (const [index, outcome] of outcomes.entries()) {
        if (outcome.kind !== 'failed' || !outcome.retryable) continue;
        await this.#queueCreate(session, tenant, drafts[index]!.findingId, options.ticketOptions ?? { projectKey: drafts[index]!.container }, outcome.retryAfterMs);
      }
    }
    await recordAudit(this.#context.db.orm, {
      orgId: tenant.orgId,
      actor: tenant.userId,
      action: 'tickets.create',
      targetType: 'connection',
      targetId: session.connectionId,
      status: outcomes.every((outcome) => outcome.kind !== 'failed') ? 'ok' : 'partial',
      durationMs: performance.now() - started,
      detail: {
        requested: drafts.length,
        created: outcomes.filter((outcome) => outcome.kind === 'created').length,
        existing: outcomes.filter((outcome) => outcome.kind === 'existing').length,
        failed: outcomes.filter((outcome) => outcome.kind === 'failed').length,
      },
    });
    return outcomes;
  }

  /**
   * `existing` answered from our own rows involved no provider call: it stands only once these
   * credentials worked in this run (a create succeeded, or one verify call); otherwise those items
   * fail with the provider's answer (PROVIDER_AUTH_FAILED for wrong credentials) and carry no key.
   */
  async #verifyExisting(session: TicketSession, outcomes: TicketOutcome[]): Promise<void> {
    if (outcomes.some((outcome) => outcome.kind === 'created')) session.ticketing.markVerified();
    if (!outcomes.some((outcome) => outcome.kind === 'existing')) return;
    try {
      await session.ticketing.verify();
    } catch (error) {
      if (!isProviderError(error)) throw error;
      outcomes.forEach((outcome, index) => {
        if (outcome.kind !== 'existing') return;
        outcomes[index] = {
          kind: 'failed',
          ticket: null,
          code: error.code,
          message: error.message,
          retryable: error.retryable,
          ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
        };
      });
    }
  }

  /** Existing tickets, answered only after the session's credentials were verified (see create). */
  async existingVerified(tenant: Tenant, session: TicketSession, findingIds: string[]): Promise<Map<string, TicketRow>> {
    const found = await this.existing(tenant, session.connectionId, findingIds);
    if (found.size > 0) {
      try {
        await session.ticketing.verify();
      } catch (error) {
        if (isProviderError(error)) throw providerAppError(error);
        throw error;
      }
    }
    return found;
  }

  /**
   * Drafts that failed because the provider is down, rate-limiting or unreachable (the lookups before a
   * create: priorities, create screen, user) are queued as `create` jobs like any outage at create
   * time, on stored connections. Returns the finding ids queued.
   */
  async queueUnavailable(session: TicketSession, tenant: Tenant, failures: { findingId: string; result: DraftResult }[], ticketOptions: TicketOptions): Promise<Set<string>> {
    const queued = new Set<string>();
    for (const { findingId, result } of failures) {
      if (result.ok || !outageCodes.has(result.code)) continue;
      if (await this.#queueCreate(session, tenant, findingId, ticketOptions, result.retryAfterMs)) queued.add(findingId);
    }
    return queued;
  }

  async #queueCreate(session: TicketSession, tenant: Tenant, findingId: string, ticketOptions: TicketOptions, retryAfterMs: number | undefined): Promise<boolean> {
    if (session.ephemeral) return false;
    await this.#context.queue.enqueue(
      'create',
      { org_id: tenant.orgId, connection_id: session.connectionId, finding_id: findingId, options: ticketOptions, requested_by: tenant.userId || null },
      { singletonKey: `create:${session.connectionId}:${findingId}`, startAfterSeconds: Math.ceil((retryAfterMs ?? 5_000) / 1000) },
    );
    return true;
  }

  /** Reads the ticket's status and priority from the provider and maps the status to our internal state. */
  async refresh(session: TicketSession, ticket: TicketRow, issue?: TicketRef): Promise<TicketRow> {
    const key = issue?.key ?? ticket.externalKey ?? ticket.externalId;
    if (!key) throw new AppError('CONFLICT', 'this ticket has no issue at the provider yet; create it first', { field: 'id' });
    const remote = await session.ticketing.get(key);
    const state = stateFor(session.mappingRows, remote.status.name, remote.status.category);
    const updated =
      ticket.syncState === 'created'
        ? await this.#store.updateStatus(ticket.id, { name: remote.status.name, priority: remote.priority, state })
        : await this.#store.markCreated(ticket.id, remote.ref, { name: remote.status.name, priority: remote.priority, state });
    return updated ?? ticket;
  }

  async get(tenant: Tenant, id: string): Promise<TicketRow | null> {
    const [row] = await this.#context.db.orm.select().from(tickets).where(and(eq(tickets.orgId, tenant.orgId), eq(tickets.id, id)));
    return row ?? null;
  }

  /** Seed 002's sync: fetch the current status from the provider, update ours. */
  async sync(tenant: Tenant, subject: string | null, id: string): Promise<TicketRow> {
    const ticket = await this.get(tenant, id);
    if (!ticket) throw new AppError('NOT_FOUND', 'no such ticket', { field: 'id' });
    const session = await this.sessionFor(tenant, subject, ticket.connectionId);
    try {
      const key = ticket.externalKey ?? ticket.externalId;
      if (ticket.syncState !== 'created' || !key) return await this.refresh(session, ticket);
      // The same apply as webhook deliveries and the periodic sync: ticket, finding, loop guard.
      const remote = await session.ticketing.get(key);
      await applyTicketChange(this.#context, tenant.orgId, [ticket], changeFromRemote(session.ticketing.provider, remote));
      return (await this.get(tenant, id)) ?? ticket;
    } catch (error) {
      if (isProviderError(error)) throw providerAppError(error);
      throw error;
    }
  }

  /** A page of tickets, newest first, with the cursor of the next page (null on the last). */
  async list(tenant: Tenant, filter: TicketFilter): Promise<{ tickets: TicketRow[]; nextCursor: string | null }> {
    const conditions: SQL[] = [eq(tickets.orgId, tenant.orgId)];
    if (filter.findingId) conditions.push(eq(tickets.findingId, filter.findingId));
    if (filter.connectionId) conditions.push(eq(tickets.connectionId, filter.connectionId));
    if (filter.state) conditions.push(eq(tickets.state, filter.state));
    if (filter.providers) conditions.push(inArray(tickets.provider, [...filter.providers]));
    if (filter.createdBy) conditions.push(eq(tickets.createdBy, filter.createdBy));
    if (filter.caseId) {
      conditions.push(
        inArray(
          tickets.findingId,
          this.#context.db.orm
            .select({ id: findings.id })
            .from(findings)
            .where(and(eq(findings.orgId, tenant.orgId), eq(findings.caseId, filter.caseId))),
        ),
      );
    }
    if (filter.cursor) conditions.push(afterCursor(tickets.createdAt, tickets.id, decodeCursor(filter.cursor)));
    const rows = await this.#context.db.orm
      .select({ ticket: tickets, cursorAt: cursorTime(tickets.createdAt) })
      .from(tickets)
      .where(and(...conditions))
      .orderBy(desc(tickets.createdAt), desc(tickets.id))
      .limit(filter.limit + 1);
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      tickets: page.map((row) => row.ticket),
      nextCursor: rows.length > filter.limit && last ? encodeCursor({ at: last.cursorAt, id: last.ticket.id }) : null,
    };
  }

}
