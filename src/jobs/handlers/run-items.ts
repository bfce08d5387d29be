/**
 * The `run_items` job: one chunk of a queued batch run (POST /internal/create-issues-and-prs on
 * stored connections). It runs the same pipeline as the synchronous endpoint for its items and
 * records their results on the run; the last chunk to settle writes the run's answer. Running a
 * chunk again after a crash duplicates nothing: tickets are created exactly once per finding and
 * connection, and a fix PR is opened or updated per branch.
 */
import type { AppContext } from '../../context.ts';
import type { WorkItem } from '../../services/internal/create-issues-and-prs.ts';
import { runCreateIssuesAndPrs } from '../../services/internal/create-issues-and-prs.ts';
import { RunStore } from '../../services/internal/runs.ts';
import type { ExactlyOnceOptions } from '../../services/tickets/exactly-once.ts';
import { TicketService } from '../../services/tickets/ticket-service.ts';
import type { JobHandler } from '../queue.ts';

export function runItemsHandler(context: AppContext, hooks: { afterRemoteCreate?: ExactlyOnceOptions['afterRemoteCreate'] } = {}): JobHandler<'run_items'> {
  const service = new TicketService(context, { ...hooks });
  const runs = new RunStore(context.db.orm);
  return async (data, job) => {
    if (!(await runs.chunkPending(data.run_id, data.chunk))) return { skipped: 'the chunk or its run is already settled' };
    const tenant = { orgId: data.org_id, orgSlug: data.org_slug, userId: data.user_id };
    const items: WorkItem[] = data.items;
    const response = await runCreateIssuesAndPrs(
      { context, service, tenant, subject: data.subject, dryRun: false, fieldPrefix: data.field_prefix },
      items,
    );
    await runs.chunkDone(data.run_id, data.chunk, { results: response.results, notes: response.notes ?? [] });
    job.logger.info({ run_id: data.run_id, chunk: data.chunk, items: items.length, failed: response.summary.failed }, 'batch chunk done');
    return { items: items.length, failed: response.summary.failed };
  };
}
