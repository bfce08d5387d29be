/**
 * What an organization's policy does after a scan import commits (the lifecycle hook of
 * src/services/imports/lifecycle.ts), all as durable jobs:
 * - new findings of a complete scan whose severity the policy lists get a `create` job on the
 *   policy's ticket connection (exactly once per finding and connection, like POST /tickets/bulk's
 *   queued creates);
 * - the tickets of findings the scan resolved are commented and transitioned whatever the policy:
 *   that is the lifecycle's (`followScanTransitions` in src/services/imports/lifecycle.ts, which
 *   calls this first).
 * Fix PRs for new findings are not opened here yet: there is no durable per-finding `open_pr` job
 * (docs/policies-and-sla.md says what is left).
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { findings } from '../../db/schema.ts';
import type { FindingTransitions } from '../imports/lifecycle.ts';
import { getPolicy } from './index.ts';

export async function applyPolicyActions(context: AppContext, transitions: FindingTransitions): Promise<{ tickets: number }> {
  const orm = context.db.orm;
  const { orgId } = transitions;
  let queuedTickets = 0;
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
  return { tickets: queuedTickets };
}
