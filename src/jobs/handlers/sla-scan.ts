/**
 * The `sla_scan` job: marks one organization's open findings that are past their SLA due date (each
 * once) and queues a comment on each of their tickets (src/services/sla). Queued by the SLA
 * scheduler every SLA_SCAN_INTERVAL_SECONDS for organizations with something to mark.
 */
import type { AppContext } from '../../context.ts';
import { scanBreaches } from '../../services/sla/index.ts';
import type { JobPayload } from '../kinds.ts';
import type { JobHandler } from '../queue.ts';

export type SlaScanJobData = JobPayload<'sla_scan'>;

export function slaScanHandler(context: AppContext): JobHandler<'sla_scan'> {
  return async (data, job) => {
    const result = await scanBreaches(context, data.org_id);
    if (result.breached > 0) job.logger.info({ breached: result.breached, comments: result.comments }, 'SLA breaches marked');
    return result;
  };
}
