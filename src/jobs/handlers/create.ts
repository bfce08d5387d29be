/**
 * The `create` job: (re)tries opening the Jira issue for one finding on a stored connection. It is
 * queued when a synchronous attempt could not finish (rate limits, outages, an unconfirmed earlier
 * create), and runs the same exactly-once path, so a crash at any point never yields two issues.
 */
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { getFinding } from '../../services/findings.ts';
import type { ExactlyOnceOptions } from '../../services/tickets/exactly-once.ts';
import { subjectOf } from '../../services/tickets/subject.ts';
import { caseNameOf } from '../../services/tickets/ticket-operations.ts';
import { TicketService } from '../../services/tickets/ticket-service.ts';
import { PermanentJobError, RetryLaterError } from '../errors.ts';
import type { JobPayload } from '../kinds.ts';
import type { JobHandler } from '../queue.ts';

export type CreateJobData = JobPayload<'create'>;

export function createHandler(context: AppContext, hooks: { afterRemoteCreate?: ExactlyOnceOptions['afterRemoteCreate'] } = {}): JobHandler<'create'> {
  const service = new TicketService(context, { consistencyWindowMs: context.config.jiraSearchConsistencyMs, ...hooks });
  return async (data, job) => {
    const tenant = { orgId: data.org_id, orgSlug: '', userId: data.requested_by ?? '' };
    const finding = await getFinding(context.db.orm, data.org_id, data.finding_id);
    if (!finding) throw new PermanentJobError('the finding no longer exists');
    let session: Awaited<ReturnType<TicketService['sessionFor']>>;
    try {
      session = await service.sessionFor(tenant, null, data.connection_id);
    } catch (error) {
      throw new PermanentJobError(error instanceof Error ? error.message : String(error));
    }
    const caseName = await caseNameOf(context, tenant, finding);
    let drafted: Awaited<ReturnType<TicketService['draft']>>;
    try {
      drafted = await service.draft(session, [subjectOf(finding, caseName)], data.options);
    } catch (error) {
      if (error instanceof AppError && error.status < 500) throw new PermanentJobError(error.message);
      throw error;
    }
    const result = drafted.results[0]!;
    if (!result.ok) {
      if (result.code === 'PROVIDER_RATE_LIMITED' || result.code === 'PROVIDER_UNAVAILABLE' || result.code === 'PROVIDER_UNREACHABLE') throw new Error(result.message);
      throw new PermanentJobError(`${result.code}: ${result.message}`);
    }
    const [outcome] = await service.create(session, tenant, [result.draft], { requeue: false });
    if (!outcome) throw new Error('no outcome');
    if (outcome.kind !== 'failed') {
      job.logger.info({ issue_key: outcome.issue.key, outcome: outcome.kind }, 'ticket ensured');
      return { issue_key: outcome.issue.key, outcome: outcome.kind };
    }
    if (outcome.retryAfterMs) throw new RetryLaterError(outcome.message, outcome.retryAfterMs);
    if (outcome.retryable) throw new Error(outcome.message);
    throw new PermanentJobError(`${outcome.code}: ${outcome.message}`);
  };
}
