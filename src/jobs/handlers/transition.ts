/**
 * The `transition` job: moves one ticket to an internal state at the provider (the closed loop:
 * a fix PR merged → done with a comment naming the merge commit; a finding back → reopened), records
 * the write for the webhook loop guard first, and moves the finding with it
 * (src/services/webhooks/closed-loop.ts). Rate limits and outages are retried with the queue's
 * backoff; a refusal (no transition reaches the state, the issue is gone) fails the job for good.
 * With `if_finding` the job is void (completed, nothing written) when the finding moved on before
 * it ran: a scan's resolution of a finding that a newer scan reported again, or the other way round.
 */
import { and, eq } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { findings, tickets } from '../../db/schema.ts';
import { performTransition } from '../../services/webhooks/closed-loop.ts';
import { isProviderError } from '../../services/tickets/ticket-session.ts';
import { PermanentJobError, RetryLaterError } from '../errors.ts';
import type { JobHandler } from '../queue.ts';

export function transitionHandler(context: AppContext): JobHandler<'transition'> {
  return async (data) => {
    if (data.if_finding) {
      const moved = await findingMovedOn(context, data.org_id, data.ticket_id, data.if_finding);
      if (moved) return { ticket: 'skipped', reason: moved };
    }
    try {
      const result = await performTransition(context, {
        orgId: data.org_id,
        ticketId: data.ticket_id,
        to: data.to,
        reason: data.reason,
        comment: data.comment,
        onceKey: data.once_key,
      });
      if (result.ticket === 'missing') throw new PermanentJobError('the ticket no longer exists');
      if (result.ticket === 'not_created') throw new RetryLaterError('the issue is not created yet', 30_000);
      return result;
    } catch (error) {
      if (isProviderError(error)) {
        if (error.retryAfterMs) throw new RetryLaterError(error.message, error.retryAfterMs, { cause: error });
        if (!error.retryable) throw new PermanentJobError(error.message, { cause: error });
      }
      throw error;
    }
  };
}

/** Why the job is void: the ticket's finding no longer is `expected` (or is gone); null when it still is. */
async function findingMovedOn(context: AppContext, orgId: string, ticketId: string, expected: 'resolved' | 'open'): Promise<string | null> {
  const [row] = await context.db.orm
    .select({ state: findings.state })
    .from(tickets)
    .innerJoin(findings, eq(findings.id, tickets.findingId))
    .where(and(eq(tickets.orgId, orgId), eq(tickets.id, ticketId)));
  if (!row) return null; // the ticket is gone: performTransition says so
  const resolved = row.state === 'done';
  const open = row.state !== 'done' && row.state !== 'wont_fix';
  if (expected === 'resolved' && !resolved) return `the finding is ${row.state} again`;
  if (expected === 'open' && !open) return `the finding is ${row.state} again`;
  return null;
}
