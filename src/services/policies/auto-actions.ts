/**
 * What an organization's policy does after a scan import commits (the lifecycle hook of
 * src/services/imports/lifecycle.ts), all as durable jobs:
 * - new findings of a complete scan whose severity the policy lists get a `create` job on the
 *   policy's ticket connection (exactly once per finding and connection, like POST /tickets/bulk's
 *   queued creates);
 * - the tickets of findings the scan resolved are commented and transitioned whatever the policy:
 *   that is the lifecycle's (`followScanTransitions` in src/services/imports/lifecycle.ts, which
 *   calls this first).
 * - new findings of a complete scan whose severity the policy's `pull_requests` lists get fix PRs:
 *   `open_pr` jobs on the policy's GitHub connection, one per repository and scan or one per package
 *   (src/services/pull-requests/policy-prs.ts; never a second one for a finding already on our PR);
 * - our open fix PRs whose every finding the scan resolved get an `open_pr` close job (closed
 *   unmerged, with a comment naming the scan), whatever the policy.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { findings } from '../../db/schema.ts';
import type { FindingTransitions } from '../imports/lifecycle.ts';
import { getPolicy } from './index.ts';
import { closeObsoletePullRequests } from '../pull-requests/pr-jobs.ts';
import { queuePolicyPullRequests } from '../pull-requests/policy-prs.ts';

export async function applyPolicyActions(context: AppContext, transitions: FindingTransitions): Promise<{ tickets: number; pullRequests: number; closes: number }> {
  const orm = context.db.orm;
  const { orgId } = transitions;
  let queuedTickets = 0;
  let pullRequests = 0;
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
    // After the tickets, so the PR usually finds them to name and link.
    if (policy.prConnectionId && policy.prSeverities.length > 0) {
      const input = { orgId, scanId: transitions.scanId, target: transitions.target, created: transitions.created, severities: policy.prSeverities };
      const ticketsToo = queuedTickets > 0;
      pullRequests = (await queuePolicyPullRequests(context, { ...input, connectionId: policy.prConnectionId, grouping: policy.prGrouping, ticketsToo })).queued;
    }
  }
  const closes = transitions.partial ? 0 : await closeObsoletePullRequests(context, { orgId, scanId: transitions.scanId, target: transitions.target, resolved: transitions.resolved });
  return { tickets: queuedTickets, pullRequests, closes };
}
