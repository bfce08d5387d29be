/**
 * The closed loop (issue 13): status flowing from a fix PR to its tickets and from findings to
 * tickets, as `transition` and `comment` jobs (retried with backoff by the queue):
 *
 * - our fix PR merged → a `transition` job per ticket linked to it (pull_request_tickets) to done,
 *   with a comment naming the merge commit and the PR; the job resolves the findings;
 * - our fix PR closed unmerged → a `comment` job per linked ticket; the tickets stay open;
 * - a resolved finding that comes back (a scan import reopens it) → a `transition` job to the
 *   finding's new state for each of its tickets that is done (queued by the import's follow-ups,
 *   src/services/imports/lifecycle.ts).
 *
 * The `transition` job (performTransition) records what it writes (loop-guard.ts) before the provider
 * call, so the webhook that comes back is recognised as our own change.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { pullRequestTickets, tickets } from '../../db/schema.ts';
import type { InternalState } from '../../domain/states.ts';
import { MappingService } from '../mappings.ts';
import { ticketServiceFor } from '../tickets/ticket-operations.ts';
import { moveFindingWithTicket, type FindingMove } from './finding-state.ts';
import { recordOwnWrite } from './loop-guard.ts';

export interface PullRequestOutcome {
  id: string;
  url: string;
  merged: boolean;
  mergeSha: string | null;
}

/** Queues the jobs a closed fix PR means for its tickets; returns how many were queued. */
export async function queuePullRequestOutcome(context: AppContext, orgId: string, pr: PullRequestOutcome): Promise<number> {
  const linked = await context.db.orm
    .select({ id: tickets.id })
    .from(pullRequestTickets)
    .innerJoin(tickets, eq(tickets.id, pullRequestTickets.ticketId))
    .where(and(eq(pullRequestTickets.pullRequestId, pr.id), eq(tickets.orgId, orgId), eq(tickets.syncState, 'created')));
  for (const ticket of linked) {
    if (pr.merged) {
      const commit = pr.mergeSha ? ` in commit ${pr.mergeSha}` : '';
      await context.queue.enqueue('transition', {
        org_id: orgId,
        ticket_id: ticket.id,
        to: 'done',
        reason: `fix PR ${pr.url} merged${commit}`,
        comment: { text: `The fix pull request was merged${commit}: ${pr.url}\n\nThis ticket is closed by the Integration Service.`, links: [{ text: 'Fix pull request', url: pr.url }] },
        once_key: `pr-merged:${pr.id}`,
      });
    } else {
      await context.queue.enqueue('comment', {
        org_id: orgId,
        ticket_id: ticket.id,
        text: `The fix pull request was closed without merging: ${pr.url}\n\nThe ticket stays open.`,
        links: [{ text: 'Fix pull request', url: pr.url }],
        requested_by: 'github-webhook',
      });
    }
  }
  return linked.length;
}

/** Queues a reopen for every done ticket of findings that came back. */
export async function queueTicketReopens(context: AppContext, orgId: string, findingIds: string[], reason: string): Promise<number> {
  if (findingIds.length === 0) return 0;
  const done = await context.db.orm
    .select({ id: tickets.id })
    .from(tickets)
    .where(and(eq(tickets.orgId, orgId), inArray(tickets.findingId, findingIds), inArray(tickets.state, ['done', 'wont_fix']), eq(tickets.syncState, 'created')));
  for (const ticket of done) {
    await context.queue.enqueue('transition', {
      org_id: orgId,
      ticket_id: ticket.id,
      to: 'todo',
      reason,
      comment: { text: `The finding was detected again (${reason}); the ticket is reopened.` },
      // Resolved again before the job ran (a newer scan): the reopen is void.
      if_finding: 'open',
    });
  }
  return done.length;
}

export interface TransitionRequest {
  orgId: string;
  ticketId: string;
  to: InternalState;
  reason: string;
  comment?: { text: string; links?: { text: string; url: string }[] } | undefined;
  onceKey?: string | undefined;
}

export type TransitionResult =
  | { ticket: 'missing' }
  | { ticket: 'not_created' }
  | { ticket: 'moved' | 'already'; status: string; finding: FindingMove; commented: boolean };

/** The status name we expect to write for `to` (a mapping row naming it, else a conventional name). */
function expectedStatus(rows: { kind: string; source: string; target: string }[], to: InternalState): string {
  const row = rows.find((candidate) => candidate.kind === 'status' && candidate.target === to && candidate.source !== 'default');
  if (row) return row.source.trim();
  return { done: 'Done', todo: 'To Do', backlog: 'To Do', in_progress: 'In Progress', in_review: 'In Review', wont_fix: "Won't Do" }[to];
}

/**
 * Moves one ticket to an internal state at the provider (Jira: walking the workflow), records the
 * write for the loop guard, comments once per `onceKey`, and moves the finding with it. Provider
 * errors are thrown for the job to classify (retry or fail).
 */
export async function performTransition(context: AppContext, request: TransitionRequest): Promise<TransitionResult> {
  const [ticket] = await context.db.orm.select().from(tickets).where(and(eq(tickets.orgId, request.orgId), eq(tickets.id, request.ticketId)));
  if (!ticket) return { ticket: 'missing' };
  const key = ticket.externalKey ?? ticket.externalId;
  if (!key || ticket.syncState !== 'created') return { ticket: 'not_created' };
  const session = await ticketServiceFor(context).sessionFor({ orgId: request.orgId, orgSlug: '', userId: ticket.createdBy ?? '' }, null, ticket.connectionId);
  const rows = await new MappingService(context.db.orm).rows(request.orgId, ticket.connectionId);
  // Before the provider call: the webhook for this change may arrive before the call returns.
  await recordOwnWrite(context.db.orm, ticket.id, { status: expectedStatus(rows, request.to) });
  const moved = await session.ticketing.transition(key, request.to, rows);
  await context.db.orm
    .update(tickets)
    .set({ externalStatus: moved.status, state: request.to, lastSyncedAt: new Date(), updatedAt: new Date(), lastWrittenStatus: moved.status, lastWrittenAt: new Date() })
    .where(eq(tickets.id, ticket.id));
  let commented = false;
  if (request.comment) {
    const posted = await session.ticketing.comment(key, request.comment, request.onceKey ? { onceKey: request.onceKey } : {});
    commented = posted.posted;
  }
  const finding = await moveFindingWithTicket(context.db.orm, { orgId: request.orgId, findingId: ticket.findingId, ticketState: request.to, reason: request.reason });
  return { ticket: moved.changed ? 'moved' : 'already', status: moved.status, finding, commented };
}

