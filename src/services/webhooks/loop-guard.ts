/**
 * Loop guard: a change we made ourselves comes back as a webhook and must not start new work.
 * Two signals, for what the service writes today (issue creates, comments, PR links) and for the
 * status writes of the closed loop:
 *
 * - the actor: Jira names who made the change (`user.accountId`, `user.name` on Server); when that
 *   is the connection's own account, it is ours. ServiceNow's `sys_updated_by` is compared with the
 *   connection's account likewise.
 * - what we wrote: `recordOwnWrite` keeps the status/priority we last set on a ticket; a delivery
 *   that reports exactly that, with the ticket already there, is our echo (the actor can be a
 *   shared account or an automation rule).
 * - what changed (process.ts, Jira): only status and priority move a ticket, so our comments
 *   (`comment_created`, `jira:issue_updated` carrying only a comment) and field edits (labels,
 *   description, links: a changelog without status or priority) are ignored whoever made them;
 *   nothing needs recording for them.
 */
import { eq } from 'drizzle-orm';
import type { Orm } from '../../db/database.ts';
import { tickets } from '../../db/schema.ts';

/** Call after writing a status or priority to the provider, before its webhook can arrive. */
export async function recordOwnWrite(orm: Orm, ticketId: string, written: { status?: string | null; priority?: string | null }, now: Date = new Date()): Promise<void> {
  await orm
    .update(tickets)
    .set({
      ...(written.status !== undefined ? { lastWrittenStatus: written.status } : {}),
      ...(written.priority !== undefined ? { lastWrittenPriority: written.priority } : {}),
      lastWrittenAt: now,
    })
    .where(eq(tickets.id, ticketId));
}

const same = (a: string | null | undefined, b: string | null | undefined) => (a ?? '').trim().toLowerCase() === (b ?? '').trim().toLowerCase();

export interface ReportedChange {
  /** Who made it, as the provider names them (accountId, user name); null when not said. */
  actor: string | null;
  status: string | null;
  priority: string | null;
}

export interface TicketWriteState {
  externalStatus: string | null;
  externalPriority: string | null;
  lastWrittenStatus: string | null;
  lastWrittenPriority: string | null;
}

/** Why a change is ours, or null when it is not (or we cannot tell). */
export function ownChangeReason(change: ReportedChange, ticket: TicketWriteState, ownAccounts: (string | null)[]): string | null {
  if (change.actor && ownAccounts.some((account) => account && same(account, change.actor))) return 'made by the connection’s own account';
  const wroteStatus = ticket.lastWrittenStatus !== null;
  const wrotePriority = ticket.lastWrittenPriority !== null;
  if (!wroteStatus && !wrotePriority) return null;
  const statusEcho = !wroteStatus || (same(change.status, ticket.lastWrittenStatus) && same(ticket.externalStatus, ticket.lastWrittenStatus));
  const priorityEcho =
    !wrotePriority || change.priority === null || (same(change.priority, ticket.lastWrittenPriority) && same(ticket.externalPriority, ticket.lastWrittenPriority));
  return statusEcho && priorityEcho && (change.status === null || wroteStatus) ? 'reports what we last wrote' : null;
}
