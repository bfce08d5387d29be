/**
 * Exactly-once ticket creation: a finding gets at most one ticket per connection, whatever fails,
 * on any ticketing provider (src/providers/ticketing).
 *
 * 1. A ticket row per (finding, connection) exists before anything is sent (unique in the database).
 * 2. Rows whose earlier create may have reached the provider (intent recorded, no key) are looked up
 *    there by our dedupe key (Jira: the fingerprint label; ServiceNow: correlation_id) and adopted
 *    when found. A provider's search may lag behind its writes, so "not found" is only believed once
 *    the intent is older than the consistency window; before that the attempt is deferred.
 * 3. The remaining rows are claimed by compare-and-set on `create_requested_at` (the intent), so two
 *    workers never both create; then created (the provider chunks: Jira bulk 50), and the keys written.
 * A failure that certainly created nothing clears the intent; an unknown outcome keeps it.
 */
import { CodedError } from '../../errors/coded-error.ts';
import { type ErrorCode, errorCatalogue } from '../../errors/catalogue.ts';
import type { Logger } from '../../logging/logger.ts';
import type { TicketDraft, TicketingClient, TicketRef } from '../../providers/ticketing/index.ts';
import type { TicketRow, TicketStore } from './ticket-store.ts';

/** A planned create (the provider's payload with our dedupe key). */
export type IssueDraft = TicketDraft;

export type TicketOutcome =
  | { kind: 'created' | 'existing'; ticket: TicketRow; issue: TicketRef }
  | {
      kind: 'failed';
      ticket: TicketRow | null;
      code: ErrorCode;
      message: string;
      retryable: boolean;
      retryAfterMs?: number;
      /**
       * TICKET_CREATE_IN_PROGRESS because of another holder's in-flight mark: how long that mark has
       * left. It is gone by then, whether its holder finished or died (a killed worker's mark in Redis
       * outlives it), so a job waits this long rather than spending its attempts on the short
       * `retryAfterMs` meant for a caller who polls.
       */
      markExpiresInMs?: number;
      field?: string;
      provider?: string;
    };

/**
 * Which rows some request or worker is creating right now (shared across processes through the
 * shared state when REDIS_URL is set). A row with an intent and a live mark is in progress, not
 * unconfirmed: its creator is still waiting for the provider's answer.
 */
export interface InFlightMarks {
  mark(ids: string[]): Promise<void>;
  clear(ids: string[]): Promise<void>;
  /** The ids that carry a live mark, each with how many ms its mark has left. */
  active(ids: string[]): Promise<Map<string, number>>;
}

/** How soon a request that found a create in progress should try again. */
const IN_PROGRESS_RETRY_MS = 2_000;

export interface ExactlyOnceOptions {
  /** How long the provider's search may lag behind a create (Jira Cloud: seconds; Server: none). */
  consistencyWindowMs: number;
  inFlight?: InFlightMarks;
  /** Test seam: runs after the provider answered a create and before the keys are written. */
  afterRemoteCreate?: (issues: TicketRef[]) => Promise<void> | void;
  now?: () => number;
}

export interface TicketScope {
  orgId: string;
  connectionId: string;
  provider: string;
  createdBy: string | null;
}

/** Rows claimed at once when the provider has no bulk create (its creates then run one call each). */
const CLAIM_CHUNK = 50;

function failure(ticket: TicketRow | null, error: unknown): Extract<TicketOutcome, { kind: 'failed' }> {
  if (error instanceof CodedError) {
    return {
      kind: 'failed',
      ticket,
      code: error.code,
      message: error.message,
      retryable: error.retryable || error.outcomeUnknown,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
      ...(error.field ? { field: error.field } : {}),
      ...(error.provider ? { provider: error.provider } : {}),
    };
  }
  // Anything but a provider's answer is our own failure: its text (SQL, stack) stays in the log.
  return { kind: 'failed', ticket, code: 'INTERNAL', message: errorCatalogue.INTERNAL.description, retryable: true };
}

export async function createIssuesExactlyOnce(
  store: TicketStore,
  ticketing: TicketingClient,
  scope: TicketScope,
  drafts: IssueDraft[],
  options: ExactlyOnceOptions,
  logger: Logger,
): Promise<TicketOutcome[]> {
  const now = options.now ?? Date.now;
  const rows = await store.ensureRows(scope.orgId, scope.connectionId, scope.provider, drafts.map((draft) => draft.findingId), scope.createdBy);
  const outcomes: (TicketOutcome | undefined)[] = new Array(drafts.length);
  const pendingIndexes: number[] = [];
  const uncertain: number[] = [];

  rows.forEach((row, index) => {
    if (row.syncState === 'created' && row.externalId && row.externalKey) {
      outcomes[index] = { kind: 'existing', ticket: row, issue: { id: row.externalId, key: row.externalKey, url: row.url ?? '' } };
    } else if (row.createRequestedAt !== null) {
      uncertain.push(index);
    } else {
      pendingIndexes.push(index);
    }
  });

  // Another request is creating these right now: say so, and leave its create alone.
  if (uncertain.length > 0 && options.inFlight) {
    const busy = await options.inFlight.active(uncertain.map((index) => rows[index]!.id));
    for (const index of uncertain.filter((index) => busy.has(rows[index]!.id))) outcomes[index] = inProgress(rows[index]!, busy.get(rows[index]!.id));
    if (busy.size > 0) uncertain.splice(0, uncertain.length, ...uncertain.filter((index) => !busy.has(rows[index]!.id)));
  }

  // Earlier attempts may have reached the provider: adopt what exists before creating anything.
  if (uncertain.length > 0) {
    const labelOf = (index: number) => drafts[index]!.dedupeKey;
    let found: Map<string, TicketRef>;
    try {
      found = await ticketing.findByDedupeKey(uncertain.map((index) => ({ container: drafts[index]!.container, dedupeKey: labelOf(index) })));
    } catch (error) {
      for (const index of uncertain) outcomes[index] = failure(rows[index]!, error);
      found = new Map();
      uncertain.length = 0;
    }
    for (const index of uncertain) {
      const row = rows[index]!;
      const issue = found.get(labelOf(index));
      if (issue) {
        const ticket = await store.markCreated(row.id, issue);
        logger.info({ ticket_id: row.id, issue_key: issue.key }, 'adopted the issue an earlier attempt created');
        outcomes[index] = { kind: 'existing', ticket, issue };
        continue;
      }
      const age = now() - (row.createRequestedAt?.getTime() ?? 0);
      if (age < options.consistencyWindowMs) {
        // The provider may not have indexed it yet; creating now could duplicate it.
        outcomes[index] = {
          kind: 'failed',
          ticket: row,
          code: 'TICKET_CREATE_UNCONFIRMED',
          message: 'an earlier attempt may have created this issue and the provider\'s search does not show it yet; will check again',
          retryable: true,
          retryAfterMs: options.consistencyWindowMs - age,
        };
        continue;
      }
      pendingIndexes.push(index);
    }
  }

  // Claim right before sending, one create call's worth at a time: an intent stamped long before its
  // create (a 5,000-row batch waiting on rate limits) could outlive the consistency window and let
  // another attempt, finding nothing yet, create the same issue.
  const claimChunk = ticketing.capabilities.maxCreateBatch > 1 ? ticketing.capabilities.maxCreateBatch : CLAIM_CHUNK;
  for (let start = 0; start < pendingIndexes.length; start += claimChunk) {
    const chunk = pendingIndexes.slice(start, start + claimChunk);
    const claimed = await store.claim(chunk.map((index) => rows[index]!));
    for (const index of chunk) {
      if (!claimed.has(rows[index]!.id)) outcomes[index] = inProgress(rows[index]!);
    }
    const mine = chunk.filter((index) => claimed.has(rows[index]!.id));
    const ids = mine.map((index) => rows[index]!.id);
    await options.inFlight?.mark(ids);
    try {
      await createClaimed(store, ticketing, drafts, rows, mine, outcomes, options);
    } finally {
      await options.inFlight?.clear(ids);
    }
  }

  return outcomes.map((outcome, index) => outcome ?? failure(rows[index] ?? null, new Error('no outcome')));
}

/** `markExpiresInMs`: the holder's in-flight mark was seen (not known when a claim was lost to it). */
function inProgress(ticket: TicketRow, markExpiresInMs?: number): Extract<TicketOutcome, { kind: 'failed' }> {
  return {
    kind: 'failed',
    ticket,
    code: 'TICKET_CREATE_IN_PROGRESS',
    message: 'another request is creating this issue right now; retry after Retry-After to get it',
    retryable: true,
    retryAfterMs: IN_PROGRESS_RETRY_MS,
    ...(markExpiresInMs !== undefined ? { markExpiresInMs } : {}),
  };
}

async function createClaimed(
  store: TicketStore,
  ticketing: TicketingClient,
  drafts: IssueDraft[],
  rows: TicketRow[],
  indexes: number[],
  outcomes: (TicketOutcome | undefined)[],
  options: ExactlyOnceOptions,
): Promise<void> {
  if (indexes.length === 0) return;
  const created: { index: number; issue: TicketRef }[] = [];
  const failed: { index: number; error: Error; notCreated: boolean }[] = [];
  const results = await ticketing.createMany(indexes.map((index) => drafts[index]!));
  results.forEach((result, position) => {
    const index = indexes[position]!;
    if (result.ok) created.push({ index, issue: result.ref });
    else failed.push({ index, error: result.error, notCreated: result.notCreated });
  });
  if (options.afterRemoteCreate && created.length > 0) await options.afterRemoteCreate(created.map((entry) => entry.issue));
  const written = await store.markCreatedMany(created.map(({ index, issue }) => ({ id: rows[index]!.id, issue })));
  for (const { index, issue } of created) {
    const ticket = written.get(rows[index]!.id);
    if (!ticket) throw new Error(`ticket ${rows[index]!.id} vanished while it was being created`);
    outcomes[index] = { kind: 'created', ticket, issue };
  }
  for (const { index, error, notCreated } of failed) {
    await store.markFailed(rows[index]!.id, error.message, notCreated);
    outcomes[index] = failure(rows[index]!, error);
  }
}
