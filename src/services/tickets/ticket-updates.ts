/**
 * Our side changed a finding its tickets show (severity, title, SLA due date): one `update` job per
 * filed ticket pushes the new values (src/jobs/handlers/update.ts). Called after the change is
 * committed, so the job reads what was written.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { tickets } from '../../db/schema.ts';
import type { UpsertedFinding } from '../findings.ts';

/** Queues the updates; returns how many jobs were queued. */
export async function queueTicketUpdates(context: AppContext, orgId: string, changed: readonly Pick<UpsertedFinding, 'id' | 'ticketChanges'>[], reason: string): Promise<number> {
  const byFinding = new Map(changed.filter((finding) => finding.ticketChanges.length > 0).map((finding) => [finding.id, finding.ticketChanges]));
  if (byFinding.size === 0) return 0;
  const filed = await context.db.orm
    .select({ id: tickets.id, findingId: tickets.findingId })
    .from(tickets)
    .where(and(eq(tickets.orgId, orgId), inArray(tickets.findingId, [...byFinding.keys()]), eq(tickets.syncState, 'created')));
  for (const ticket of filed) {
    await context.queue.enqueue('update', { org_id: orgId, ticket_id: ticket.id, fields: byFinding.get(ticket.findingId)!, reason });
  }
  return filed.length;
}
