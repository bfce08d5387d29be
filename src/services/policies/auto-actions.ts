/**
 * What an organization's policy does after a scan import commits (the lifecycle hook of
 * src/services/imports/lifecycle.ts), all as durable jobs:
 * - new findings of a complete scan whose severity the policy lists get a `create` job on the
 *   policy's ticket connection (exactly once per finding and connection, like POST /tickets/bulk's
 *   queued creates);
 * - findings the scan resolved get a `comment` job on each of their tickets ("no longer detected in
 *   scan X"), whatever the policy. Transitioning those tickets is the ticketing work's (not here).
 * Fix PRs for new findings are not opened here yet: there is no durable per-finding `open_pr` job
 * (docs/policies-and-sla.md says what is left).
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { findings, tickets } from '../../db/schema.ts';
import { type FindingTransitions, onFindingTransitions } from '../imports/lifecycle.ts';
import { getPolicy } from './index.ts';

export function resolvedCommentText(scanId: string, target: string): string {
  return `Resolved: no longer detected in scan ${scanId} of ${target}.`;
}

export async function applyPolicyActions(context: AppContext, transitions: FindingTransitions): Promise<{ tickets: number; comments: number }> {
  const orm = context.db.orm;
  const { orgId } = transitions;
  let queuedTickets = 0;
  let comments = 0;
  if (!transitions.partial && transitions.created.length > 0) {
    const policy = await getPolicy(orm, orgId);
    const connectionId = policy.ticketConnectionId;
    if (connectionId && policy.ticketSeverities.length > 0) {
      const wanted = await orm
        .select({ id: findings.id })
        .from(findings)
        .where(and(eq(findings.orgId, orgId), inArray(findings.id, transitions.created), inArray(findings.severity, policy.ticketSeverities)));
      const options = {
        ...(policy.ticketOptions.projectKey ? { projectKey: policy.ticketOptions.projectKey } : {}),
        ...(policy.ticketOptions.issueType ? { issueType: policy.ticketOptions.issueType } : {}),
        ...(policy.ticketOptions.labels ? { labels: policy.ticketOptions.labels } : {}),
      };
      for (const { id } of wanted) {
        const job = await context.queue.enqueue(
          'create',
          { org_id: orgId, connection_id: connectionId, finding_id: id, options, requested_by: null },
          { singletonKey: `create:${connectionId}:${id}` },
        );
        if (job) queuedTickets++;
      }
    }
  }
  if (transitions.resolved.length > 0) {
    const linked = await orm
      .select({ id: tickets.id })
      .from(tickets)
      .where(and(eq(tickets.orgId, orgId), inArray(tickets.findingId, transitions.resolved)));
    for (const ticket of linked) {
      await context.queue.enqueue('comment', { org_id: orgId, ticket_id: ticket.id, text: resolvedCommentText(transitions.scanId, transitions.target), requested_by: 'scan-import' });
      comments++;
    }
  }
  return { tickets: queuedTickets, comments };
}

/** Listens to this runtime's imports (another runtime's database in the same process is ignored). */
export function registerPolicyActions(context: AppContext): () => Promise<void> {
  const stop = onFindingTransitions(async (transitions) => {
    if (transitions.orm !== context.db.orm) return;
    const result = await applyPolicyActions(context, transitions);
    if (result.tickets > 0 || result.comments > 0) {
      context.logger.info({ scan_id: transitions.scanId, tickets: result.tickets, comments: result.comments }, 'scan import policy actions queued');
    }
  });
  return async () => {
    stop();
  };
}
