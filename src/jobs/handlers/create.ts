/**
 * The `create` job: (re)tries opening the ticket for one finding on a stored connection, whatever its
 * ticketing provider. It is queued when a synchronous attempt could not finish (rate limits, outages,
 * an unconfirmed earlier create), and runs the same use case (fileTickets, exactly once), so a crash
 * at any point never yields two tickets.
 */
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { getFinding } from '../../services/findings.ts';
import { subjectOf } from '../../services/tickets/subject.ts';
import { caseNameOf, type FiledError, fileTickets } from '../../services/tickets/ticket-operations.ts';
import { TicketService, type TicketServiceOptions } from '../../services/tickets/ticket-service.ts';
import { PermanentJobError, RetryLaterError } from '../errors.ts';
import type { JobPayload } from '../kinds.ts';
import type { JobHandler } from '../queue.ts';

export type CreateJobData = JobPayload<'create'>;

export function createHandler(context: AppContext, hooks: Pick<TicketServiceOptions, 'afterRemoteCreate' | 'inFlightTtlMs'> = {}): JobHandler<'create'> {
  const service = new TicketService(context, { ...hooks });
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
    const subject = subjectOf(finding, await caseNameOf(context, tenant, finding));
    let filed: Awaited<ReturnType<typeof fileTickets>>;
    try {
      filed = await fileTickets(service, session, tenant, { items: [{ findingId: finding.id, subject }], options: data.options, dryRun: false, requeue: false });
    } catch (error) {
      // A problem of the request itself (no project, unknown assignee) will not pass by retrying.
      if (error instanceof AppError && error.status < 500 && !outageCodes.has(error.code)) throw new PermanentJobError(error.message);
      throw error;
    }
    const item = filed.items[0]!;
    if (item.status !== 'failed' && item.ref) {
      job.logger.info({ issue_key: item.ref.key, outcome: item.status }, 'ticket ensured');
      return { issue_key: item.ref.key, outcome: item.status };
    }
    const error: FiledError = item.error ?? { code: 'INTERNAL', message: 'no outcome', retryable: true };
    // Another holder's in-flight mark: try again once it is gone (its holder finished, or died and the
    // mark expired), one attempt, instead of retrying every few seconds until the attempts run out
    // while a killed worker's mark still stands (it lives a minute or more).
    if (error.markExpiresInMs !== undefined) {
      throw new RetryLaterError(error.message, Math.max(error.retryAfterMs ?? 0, error.markExpiresInMs + MARK_EXPIRY_MARGIN_MS));
    }
    if (error.retryAfterMs) throw new RetryLaterError(error.message, error.retryAfterMs);
    if (error.retryable || outageCodes.has(error.code)) throw new Error(error.message);
    throw new PermanentJobError(`${error.code}: ${error.message}`);
  };
}

/** Past an in-flight mark's expiry, so the retry does not arrive just before Redis drops the key. */
const MARK_EXPIRY_MARGIN_MS = 500;

/** Provider failures that pass by themselves: the job is retried with the queue's backoff. */
const outageCodes = new Set<string>(['PROVIDER_RATE_LIMITED', 'PROVIDER_UNAVAILABLE', 'PROVIDER_UNREACHABLE']);
