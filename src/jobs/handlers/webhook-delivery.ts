/**
 * The `webhook_delivery` job: applies verified deliveries (src/services/webhooks/process.ts) one
 * after the other, in the order they were received, and records on each what it did. The ingest
 * path queues one job per organization for each group commit, so a burst of deliveries costs a few
 * jobs, not one each (bench: webhook-ingest).
 *
 * - A delivery already settled is skipped, so a job run again (a retry, a repeat) applies only what
 *   is left.
 * - A delivery that fails is recorded `queued` with its error and the rest of the job goes on; the
 *   job then fails and is retried with the queue's backoff, and the retry applies only the failed
 *   ones. On the last attempt a failure leaves the delivery `failed` with its error.
 */
import type { AppContext } from '../../context.ts';
import { claimDelivery, processDelivery, settleDelivery } from '../../services/webhooks/process.ts';
import type { JobPayload } from '../kinds.ts';
import type { JobHandler } from '../queue.ts';

/** The deliveries a job applies, in order (a job queued before batches names one). */
export function deliveryIdsOf(data: JobPayload<'webhook_delivery'>): string[] {
  return 'delivery_ids' in data ? data.delivery_ids : [data.delivery_id];
}

export function webhookDeliveryHandler(context: AppContext): JobHandler<'webhook_delivery'> {
  return async (data, job) => {
    const ids = deliveryIdsOf(data);
    const last = job.attempt >= context.config.jobs.maxAttempts;
    const counts = { processed: 0, ignored: 0, skipped: 0, failed: 0 };
    let firstError: unknown = null;
    for (const id of ids) {
      if (job.signal.aborted) throw job.signal.reason ?? new Error('the job was stopped');
      const delivery = await claimDelivery(context, data.org_id, id);
      if (!delivery) {
        counts.skipped += 1;
        continue;
      }
      try {
        const result = await processDelivery(context, delivery);
        await settleDelivery(context, delivery.id, { outcome: result.outcome, detail: result.detail });
        counts[result.outcome] += 1;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await settleDelivery(context, delivery.id, { outcome: last ? 'failed' : 'queued', error: message.slice(0, 2000) });
        counts.failed += 1;
        firstError ??= error;
      }
    }
    if (firstError !== null) {
      if (ids.length === 1) throw firstError;
      const message = firstError instanceof Error ? firstError.message : String(firstError);
      throw new Error(`${counts.failed} of ${ids.length} deliveries failed (first: ${message})`, { cause: firstError });
    }
    return counts;
  };
}
