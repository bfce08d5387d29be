/**
 * The `comment` job: posts a comment on a ticket, in the provider's own format (Jira: ADF on Cloud,
 * wiki markup on Server). The provider refusing the comment (4xx) fails the job for good; rate limits
 * and outages are retried.
 */
import { and, eq } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { tickets } from '../../db/schema.ts';
import { recordAudit } from '../../services/audit.ts';
import { ticketServiceFor } from '../../services/tickets/ticket-operations.ts';
import { isProviderError } from '../../services/tickets/ticket-session.ts';
import { PermanentJobError, RetryLaterError } from '../errors.ts';
import type { JobPayload } from '../kinds.ts';
import type { JobHandler } from '../queue.ts';

export type CommentJobData = JobPayload<'comment'>;

export function commentHandler(context: AppContext): JobHandler<'comment'> {
  const service = ticketServiceFor(context);
  return async (data) => {
    const [ticket] = await context.db.orm.select().from(tickets).where(and(eq(tickets.orgId, data.org_id), eq(tickets.id, data.ticket_id)));
    if (!ticket) throw new PermanentJobError('the ticket no longer exists');
    if (!ticket.externalKey) throw new RetryLaterError('the issue is not created yet', 30_000);
    const tenant = { orgId: data.org_id, orgSlug: '', userId: ticket.createdBy ?? '' };
    let session: Awaited<ReturnType<typeof service.sessionFor>>;
    try {
      session = await service.sessionFor(tenant, null, ticket.connectionId);
    } catch (error) {
      throw new PermanentJobError(error instanceof Error ? error.message : String(error));
    }
    const started = performance.now();
    let comment: { id: string | null };
    try {
      comment = await session.ticketing.comment(ticket.externalKey, { text: data.text, ...(data.links ? { links: data.links } : {}) });
    } catch (error) {
      if (isProviderError(error)) {
        // The provider may have posted it without our hearing back; posting again could show it twice,
        // so a comment is delivered at most once and the job says why it stopped.
        if (error.outcomeUnknown) throw new PermanentJobError(`the comment may have been posted (no answer from the provider); not retried: ${error.message}`, { cause: error });
        if (error.retryAfterMs) throw new RetryLaterError(error.message, error.retryAfterMs, { cause: error });
        if (!error.retryable) throw new PermanentJobError(error.message, { cause: error });
      }
      throw error;
    }
    // The comment is posted; a failure to record it must not make the job post it again.
    await recordAudit(context.db.orm, {
      orgId: data.org_id,
      actor: data.requested_by ?? 'service',
      action: 'tickets.comment',
      targetType: 'ticket',
      targetId: ticket.id,
      status: 'ok',
      durationMs: performance.now() - started,
      detail: { issue_key: ticket.externalKey, comment_id: comment.id },
    }).catch((error: unknown) => context.logger.error({ err: error, ticket_id: ticket.id }, 'could not record the comment in the audit log'));
    return { comment_id: comment.id };
  };
}
