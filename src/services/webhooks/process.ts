/**
 * Applying a verified delivery (run by the `webhook_delivery` job, never on the request path):
 *
 * - Jira (`jira:issue_updated` with changelog, `jira:issue_created`, seed 003's bare `{issue}`): each
 *   ticket we hold for the issue (by issue id or key) takes the issue's status and priority; its
 *   internal state comes from the connection's mapping (stateFor: configured rows, known names, then
 *   the status category — done ⇒ done —, then the `default` row); its finding follows
 *   (./finding-state.ts).
 * - ServiceNow (the Business Rule body of docs/webhooks.md, or seed 003's `{record: {sys_id, …}}`):
 *   the same for the ticket with that sys_id (or number); a state code is mapped by a status row for
 *   the code itself, else by its label.
 * - GitHub `pull_request` closed: one of our fix PRs is recorded merged (or closed).
 *
 * Changes we made ourselves are recognised (./loop-guard.ts) and do not move anything.
 */
import { and, eq, inArray, or, sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { connections, deliveries, pullRequests, tickets } from '../../db/schema.ts';
import { type MappingRow, stateFor } from '../../domain/mapping.ts';
import { isInternalState, type InternalState } from '../../domain/states.ts';
import type { TicketState } from '../../providers/ticketing/types.ts';
import { MappingService } from '../mappings.ts';
import { ticketServiceFor } from '../tickets/ticket-operations.ts';
import { serviceNowRecord } from './delivery-id.ts';
import { moveFindingWithTicket } from './finding-state.ts';
import { ownChangeReason, type ReportedChange } from './loop-guard.ts';
import { queuePullRequestOutcome } from './closed-loop.ts';
import { advancedVersion, describeVersion, isOlder, type RemoteVersion, remoteVersion, type StoredVersion } from './remote-version.ts';
import type { WebhookProvider } from './signatures.ts';

export interface ProcessOutcome {
  outcome: 'processed' | 'ignored';
  detail: string;
}

type TicketRow = typeof tickets.$inferSelect;
type Json = Record<string, unknown>;

const object = (value: unknown): Json | null => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null);
const text = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : null);

/** ServiceNow incident state codes, as the base system labels them (PROVIDER-FACTS §5). */
const serviceNowStateLabels: Record<string, string> = { '1': 'New', '2': 'In Progress', '3': 'On Hold', '6': 'Resolved', '7': 'Closed', '8': 'Canceled' };

export interface ClaimedDelivery {
  id: string;
  orgId: string;
  provider: WebhookProvider;
  connectionId: string | null;
  payload: unknown;
}

/**
 * Claims a delivery for processing; null when it is already settled (processed, ignored, failed)
 * or unknown. Concurrent duplicates of one job are harmless: every step below is idempotent.
 */
export async function claimDelivery(context: AppContext, orgId: string, id: string): Promise<ClaimedDelivery | null> {
  const [row] = await context.db.orm
    .update(deliveries)
    .set({ outcome: 'processing' })
    .where(and(eq(deliveries.orgId, orgId), eq(deliveries.id, id), eq(deliveries.signatureValid, true), inArray(deliveries.outcome, ['received', 'queued', 'processing'])))
    .returning({ id: deliveries.id, provider: deliveries.provider, payload: deliveries.payload, endpointId: deliveries.endpointId });
  if (!row) return null;
  const [endpoint] = await context.db.query<{ connection_id: string | null }>('select connection_id::text as connection_id from webhook_endpoints where id = $1::uuid', [row.endpointId]);
  return { id: row.id, orgId, provider: row.provider as WebhookProvider, connectionId: endpoint?.connection_id ?? null, payload: row.payload ? storedPayload(row.payload) : null };
}

/**
 * A stored payload's value: the bytes as signed, checked as JSON (and bounded) before they were
 * stored; a leading byte order mark, which the request's parser skipped, is skipped here too.
 */
function storedPayload(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

export async function settleDelivery(context: AppContext, id: string, result: { outcome: 'processed' | 'ignored' | 'failed' | 'queued'; detail?: string | null; error?: string | null }): Promise<void> {
  await context.db.orm
    .update(deliveries)
    .set({
      outcome: result.outcome,
      detail: result.detail ?? null,
      error: result.error ?? null,
      processedAt: result.outcome === 'queued' ? null : sql`now()`,
    })
    .where(eq(deliveries.id, id));
}

export async function processDelivery(context: AppContext, delivery: ClaimedDelivery): Promise<ProcessOutcome> {
  switch (delivery.provider) {
    case 'jira':
      return processJira(context, delivery);
    case 'servicenow':
      return processServiceNow(context, delivery);
    case 'github':
      return processGitHub(context, delivery);
  }
}

export interface TicketChange extends ReportedChange {
  /** The state mapped for a given connection's rows. */
  stateFor(rows: MappingRow[]): InternalState;
  label: string;
  /** The provider's version of what is reported (./remote-version.ts); null when it gives none. */
  version: RemoteVersion | null;
}

/**
 * The internal state a provider status maps to: ServiceNow by a status row for the state code, else
 * its label; Jira (and others) by name with the status category as the fallback hint.
 */
export function mappedState(provider: string, rows: MappingRow[], statusName: string | null, hint: string | null): InternalState {
  if (provider === 'servicenow') {
    const byCode = hint ? rows.find((row) => row.kind === 'status' && row.source.trim() === hint)?.target : undefined;
    if (byCode && isInternalState(byCode)) return byCode;
    return stateFor(rows, statusName ?? 'default');
  }
  return stateFor(rows, statusName ?? 'default', hint);
}

/** A ticket's state as read from the provider (the periodic sync, a forced sync), as a change to apply. */
export function changeFromRemote(provider: string, remote: TicketState): TicketChange {
  return {
    actor: null,
    status: remote.status.name || null,
    priority: remote.priority,
    label: `${provider.startsWith('jira') ? 'Jira issue' : provider === 'servicenow' ? 'ServiceNow record' : 'ticket'} ${remote.ref.key || remote.ref.id}`,
    stateFor: (rows) => mappedState(provider, rows, remote.status.name || null, remote.status.category),
    version: remoteVersion(remote.updated),
  };
}

/**
 * The one code path that applies a provider's status to our tickets and their findings: webhook
 * deliveries, the periodic sync and the forced single-ticket sync all come here. A report older
 * than the newest one applied to a ticket moves nothing (./remote-version.ts); nor do our own
 * changes (loop guard), though their version is kept; a finding follows its ticket
 * (./finding-state.ts).
 */
export async function applyTicketChange(
  context: AppContext,
  orgId: string,
  found: TicketRow[],
  change: TicketChange,
  ownAccounts: (ticket: TicketRow) => Promise<(string | null)[]> = async () => [],
  options: { onlyChanges?: boolean } = {},
): Promise<ProcessOutcome> {
  const delivery = { orgId };
  if (found.length === 0) return { outcome: 'ignored', detail: `no ticket of ours for ${change.label}` };
  if (change.status === null && change.priority === null) return { outcome: 'ignored', detail: `${change.label}: no status or priority in the delivery` };
  const mappings = new MappingService(context.db.orm);
  const notes: string[] = [];
  let moved = 0;
  const older = (ticket: { id: string }, current: StoredVersion) =>
    `ticket ${ticket.id}: reported as of ${describeVersion(change.version!)}, older than the change already applied (${describeVersion(current)}), not applied`;
  for (const ticket of found) {
    if (isOlder(change.version, ticket)) {
      notes.push(older(ticket, ticket));
      continue;
    }
    const own = ownChangeReason(change, ticket, await ownAccounts(ticket));
    const state = own || change.status === null ? (ticket.state as InternalState) : change.stateFor(await mappings.rows(delivery.orgId, ticket.connectionId));
    // A sync re-reads tickets it already applied (the cursor's edge): nothing new, nothing to do.
    const unchanged =
      !own &&
      options.onlyChanges === true &&
      state === ticket.state &&
      (change.status ?? ticket.externalStatus) === ticket.externalStatus &&
      (change.priority ?? ticket.externalPriority) === ticket.externalPriority;
    const nothingToDo = own ? `ticket ${ticket.id}: our own change (${own}), nothing to do` : unchanged ? `ticket ${ticket.id}: unchanged` : null;
    if (nothingToDo && !change.version) {
      notes.push(nothingToDo);
      continue;
    }
    // Decided under the ticket's row lock, so that of two reports applied at the same time the
    // older never lands last; our own changes and unchanged reports still advance the version.
    const result = await context.db.orm.transaction(async (tx) => {
      const [current] = await tx
        .select({ remoteChangedAt: tickets.remoteChangedAt, remoteSequence: tickets.remoteSequence })
        .from(tickets)
        .where(eq(tickets.id, ticket.id))
        .for('update');
      if (!current) return { note: `ticket ${ticket.id}: gone` };
      if (isOlder(change.version, current)) return { note: older(ticket, current) };
      const version = advancedVersion(change.version, current);
      if (nothingToDo) {
        if (version) await tx.update(tickets).set(version).where(eq(tickets.id, ticket.id));
        return { note: nothingToDo };
      }
      await tx
        .update(tickets)
        .set({
          ...(change.status !== null ? { externalStatus: change.status } : {}),
          ...(change.priority !== null ? { externalPriority: change.priority } : {}),
          state,
          ...(version ?? {}),
          lastSyncedAt: new Date(),
          updatedAt: new Date(),
        })
        .where(eq(tickets.id, ticket.id));
      const finding = await moveFindingWithTicket(tx, {
        orgId: delivery.orgId,
        findingId: ticket.findingId,
        ticketState: state,
        reason: `${change.label} is ${change.status ?? state}`,
      });
      return { moved: true, note: `ticket ${ticket.id}: ${change.status ?? '(status unchanged)'} → ${state}; finding ${finding}` };
    });
    if ('moved' in result) moved += 1;
    notes.push(result.note);
  }
  return { outcome: moved > 0 ? 'processed' : 'ignored', detail: `${change.label}: ${notes.join('; ')}` };
}

// --- Jira -------------------------------------------------------------------------------------

async function processJira(context: AppContext, delivery: ClaimedDelivery): Promise<ProcessOutcome> {
  const body = object(delivery.payload) ?? {};
  const event = text(body.webhookEvent);
  const issue = object(body.issue);
  if (!issue) return { outcome: 'ignored', detail: `${event ?? 'delivery'} carries no issue` };
  if (event === 'jira:issue_deleted') return { outcome: 'ignored', detail: 'issue deleted: tickets are kept' };
  // Loop guard, by what changed: only a status or priority moves a ticket. Comments (ours come back as
  // comment_created, or issue_updated carrying the comment) and field edits (labels, description,
  // links: our own edits' echoes among them) carry nothing to apply, whoever made them.
  const label = `Jira issue ${text(issue.key) ?? text(issue.id) ?? '?'}`;
  if (event?.startsWith('comment_')) return { outcome: 'ignored', detail: `${label}: ${event}, a comment moves nothing` };
  const changelog = object(body.changelog);
  if (event === 'jira:issue_updated' && !changelog && object(body.comment)) return { outcome: 'ignored', detail: `${label}: a comment, nothing else changed` };
  if (event === 'jira:issue_updated' && changelog && Array.isArray(changelog.items)) {
    const fields = changelog.items.map((item) => text(object(item)?.fieldId) ?? text(object(item)?.field) ?? '?');
    if (!fields.some((field) => ['status', 'priority', 'resolution'].includes(field.toLowerCase()))) {
      return { outcome: 'ignored', detail: `${label}: changed ${fields.length > 0 ? fields.join(', ') : 'nothing'}, not status or priority` };
    }
  }
  const issueId = text(issue.id);
  const issueKey = text(issue.key);
  const fields = object(issue.fields) ?? {};
  const status = object(fields.status);
  const statusName = text(status?.name);
  const category = text(object(status?.statusCategory)?.key);
  const priority = text(object(fields.priority)?.name);
  const user = object(body.user);
  const actor = text(user?.accountId) ?? text(user?.name) ?? text(user?.key);
  if (!issueId && !issueKey) return { outcome: 'ignored', detail: 'the issue has neither id nor key' };
  const found = await context.db.orm
    .select()
    .from(tickets)
    .where(
      and(
        eq(tickets.orgId, delivery.orgId),
        inArray(tickets.provider, ['jira-cloud', 'jira-server']),
        delivery.connectionId ? eq(tickets.connectionId, delivery.connectionId) : undefined,
        or(issueId ? eq(tickets.externalId, issueId) : undefined, issueKey ? eq(tickets.externalKey, issueKey) : undefined),
      ),
    );
  const change: TicketChange = {
    actor,
    status: statusName,
    priority,
    label: `Jira issue ${issueKey ?? issueId}`,
    stateFor: (rows) => stateFor(rows, statusName ?? 'default', category),
    // The issue as of its last update (what a sync reads too), else the event's time; changes of
    // the same millisecond in changelog order.
    version: remoteVersion(fields.updated ?? body.timestamp, changelog?.id),
  };
  return applyTicketChange(context, delivery.orgId, found, change, async (ticket) => (actor ? [await jiraAccountOf(context, delivery.orgId, ticket.connectionId)] : []));
}

/**
 * The Jira account a connection acts as (Cloud accountId, Server user name), from `/myself`, cached
 * in the shared state for an hour. Null when it cannot be told (no stored credentials, Jira down):
 * the other loop-guard signal still applies.
 */
async function jiraAccountOf(context: AppContext, orgId: string, connectionId: string): Promise<string | null> {
  const key = `webhooks:jira-account:${connectionId}`;
  const cached = await context.sharedState.get(key).catch(() => null);
  if (cached !== null) return cached || null;
  try {
    const session = await ticketServiceFor(context).sessionFor({ orgId, orgSlug: '', userId: '' }, null, connectionId);
    const account = (await session.ticketing.verify()).accountId ?? '';
    await context.sharedState.set(key, account, 3_600_000).catch(() => undefined);
    return account || null;
  } catch (error) {
    context.logger.warn({ err: error, connection_id: connectionId }, 'webhook loop guard: could not learn the connection’s Jira account');
    return null;
  }
}

// --- ServiceNow -------------------------------------------------------------------------------

async function processServiceNow(context: AppContext, delivery: ClaimedDelivery): Promise<ProcessOutcome> {
  const record = serviceNowRecord(delivery.payload) ?? {};
  const sysId = text(record.sys_id);
  const number = text(record.number);
  if (!sysId && !number) return { outcome: 'ignored', detail: 'the record has neither sys_id nor number' };
  const code = text(record.state);
  const label = text(record.state_label) ?? (code ? (serviceNowStateLabels[code] ?? code) : null);
  const priority = text(record.priority);
  const actor = text(record.sys_updated_by);
  const found = await context.db.orm
    .select()
    .from(tickets)
    .where(
      and(
        eq(tickets.orgId, delivery.orgId),
        eq(tickets.provider, 'servicenow'),
        delivery.connectionId ? eq(tickets.connectionId, delivery.connectionId) : undefined,
        or(sysId ? eq(tickets.externalId, sysId) : undefined, number ? eq(tickets.externalKey, number) : undefined),
      ),
    );
  const change: TicketChange = {
    actor,
    status: label,
    priority,
    label: `ServiceNow record ${number ?? sysId}`,
    stateFor: (rows) => mappedState('servicenow', rows, label, code),
    // Saves of the same second in sys_mod_count order.
    version: remoteVersion(record.sys_updated_on, record.sys_mod_count),
  };
  return applyTicketChange(context, delivery.orgId, found, change, async (ticket) => {
    const [row] = await context.db.orm.select({ account: connections.accountEmail }).from(connections).where(eq(connections.id, ticket.connectionId));
    return [row?.account ?? null];
  });
}

// --- GitHub -----------------------------------------------------------------------------------

async function processGitHub(context: AppContext, delivery: ClaimedDelivery): Promise<ProcessOutcome> {
  const body = object(delivery.payload) ?? {};
  const pull = object(body.pull_request);
  const action = text(body.action);
  if (!pull) return { outcome: 'ignored', detail: `not a pull_request event (${action ?? 'no action'})` };
  if (action !== 'closed') return { outcome: 'ignored', detail: `pull_request ${action ?? ''}: nothing to do` };
  const url = text(pull.html_url);
  const number = typeof pull.number === 'number' ? pull.number : typeof body.number === 'number' ? body.number : null;
  const repoUrl = text(object(body.repository)?.html_url);
  if (!url && (number === null || !repoUrl)) return { outcome: 'ignored', detail: 'the pull request has neither html_url nor number and repository' };
  const matches = await context.db.orm
    .select({ id: pullRequests.id, state: pullRequests.state, url: pullRequests.url })
    .from(pullRequests)
    .where(
      and(
        eq(pullRequests.orgId, delivery.orgId),
        or(
          url ? eq(pullRequests.url, url) : undefined,
          number !== null && repoUrl ? and(eq(pullRequests.number, number), sql`lower(${pullRequests.repoUrl}) = lower(${repoUrl.replace(/\/+$/, '')})`) : undefined,
        ),
      ),
    );
  if (matches.length === 0) return { outcome: 'ignored', detail: `pull request ${url ?? number ?? ''} is not one of our fix PRs` };
  // `merged: true` is the merge signal; merge_commit_sha is set on unmerged PRs too (PROVIDER-FACTS §4.6).
  const merged = pull.merged === true;
  const mergedAt = merged ? (text(pull.merged_at) ?? new Date().toISOString()) : null;
  const headSha = text(object(pull.head)?.sha);
  const mergeSha = merged ? text(pull.merge_commit_sha) : null;
  let queued = 0;
  for (const match of matches) {
    if (match.state === 'merged') continue;
    await context.db.orm
      .update(pullRequests)
      .set({ state: merged ? 'merged' : 'closed', mergedAt: mergedAt ? new Date(mergedAt) : null, ...(headSha ? { headSha } : {}), updatedAt: new Date() })
      .where(eq(pullRequests.id, match.id));
    // The closed loop: each ticket linked to the PR is moved to done (merged) or told (closed unmerged).
    queued += await queuePullRequestOutcome(context, delivery.orgId, { id: match.id, url: url ?? match.url ?? `${repoUrl}/pull/${number}`, merged, mergeSha });
  }
  const tickets = queued > 0 ? `; ${queued} ticket job(s) queued` : '';
  return { outcome: 'processed', detail: `pull request ${url ?? number} ${merged ? `merged at ${mergedAt}` : 'closed without merge'}${tickets}` };
}
