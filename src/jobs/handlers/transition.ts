/**
 * The `transition` job: moves one ticket to an internal state at the provider (the closed loop:
 * a fix PR merged → done with a comment naming the merge commit; a finding back → reopened), records
 * the write for the webhook loop guard first, and moves the finding with it
 * (src/services/webhooks/closed-loop.ts). Rate limits and outages are retried with the queue's
 * backoff; a refusal (no transition reaches the state, the issue is gone) fails the job for good.
 */
import type { AppContext } from '../../context.ts';
import { performTransition } from '../../services/webhooks/closed-loop.ts';
import { isProviderError } from '../../services/tickets/ticket-session.ts';
import { PermanentJobError, RetryLaterError } from '../errors.ts';
import type { JobHandler } from '../queue.ts';

export function transitionHandler(context: AppContext): JobHandler<'transition'> {
  return async (data) => {
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
