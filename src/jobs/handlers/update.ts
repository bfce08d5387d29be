/**
 * The `update` job (seed 003's worker model: create, update, sync): pushes our finding's current
 * values to its ticket when our side changed them — severity → the priority the connection's mapping
 * gives (Jira: a priority name; ServiceNow: impact/urgency), title → summary, SLA due date → due date.
 * The priority we write is recorded for the webhook loop guard before the provider call, so the
 * echo of our own edit starts nothing. Rate limits and outages are retried with the queue's backoff;
 * a refusal (a priority the site does not have, the issue gone) fails the job for good with the
 * provider's message.
 */
import { and, eq } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { tickets } from '../../db/schema.ts';
import { getFinding } from '../../services/findings.ts';
import { MappingService } from '../../services/mappings.ts';
import { subjectOf } from '../../services/tickets/subject.ts';
import { ticketServiceFor } from '../../services/tickets/ticket-operations.ts';
import { isProviderError } from '../../services/tickets/ticket-session.ts';
import { recordOwnWrite } from '../../services/webhooks/loop-guard.ts';
import { PermanentJobError, RetryLaterError } from '../errors.ts';
import type { JobHandler } from '../queue.ts';

export function updateHandler(context: AppContext): JobHandler<'update'> {
  const service = ticketServiceFor(context);
  return async (data) => {
    const [ticket] = await context.db.orm.select().from(tickets).where(and(eq(tickets.orgId, data.org_id), eq(tickets.id, data.ticket_id)));
    if (!ticket) throw new PermanentJobError('the ticket no longer exists');
    const key = ticket.externalKey ?? ticket.externalId;
    if (!key || ticket.syncState !== 'created') throw new RetryLaterError('the issue is not created yet', 30_000);
    const finding = await getFinding(context.db.orm, data.org_id, ticket.findingId);
    if (!finding) throw new PermanentJobError('the finding no longer exists');
    const subject = subjectOf(finding);
    // The stored SLA due date when there is one (the database computes it from first_seen_at).
    if (finding.dueAt) subject.dueDate = finding.dueAt.toISOString().slice(0, 10);
    try {
      const session = await service.sessionFor({ orgId: data.org_id, orgSlug: '', userId: ticket.createdBy ?? '' }, null, ticket.connectionId);
      const rows = await new MappingService(context.db.orm).rows(data.org_id, ticket.connectionId);
      const written = await session.ticketing.updateFromFinding(key, subject, data.fields, rows, {
        // Before the provider call: its webhook may arrive before the call returns. The status is the
        // one we know (this edit leaves it), so an echo reporting both is recognised as ours.
        beforeWrite: async ({ priority }) => {
          if (priority !== null) await recordOwnWrite(context.db.orm, ticket.id, { status: ticket.externalStatus, priority });
        },
      });
      if (written.priority !== null) {
        await context.db.orm
          .update(tickets)
          .set({ externalPriority: written.priority, lastWrittenPriority: written.priority, lastWrittenAt: new Date(), lastSyncedAt: new Date(), updatedAt: new Date() })
          .where(eq(tickets.id, ticket.id));
      }
      return { ticket: key, fields: data.fields, priority: written.priority };
    } catch (error) {
      if (isProviderError(error)) {
        if (error.retryAfterMs) throw new RetryLaterError(error.message, error.retryAfterMs, { cause: error });
        if (!error.retryable) throw new PermanentJobError(error.message, { cause: error });
      }
      throw error;
    }
  };
}
