/**
 * The `webhook_delivery` job: applies one verified delivery (src/services/webhooks/process.ts) and
 * records what it did on the delivery. A delivery already settled is skipped (a repeat job is a
 * no-op); a failure is recorded on the delivery and retried with the queue's backoff, and the last
 * attempt's failure leaves the delivery `failed` with its error.
 */
import type { AppContext } from '../../context.ts';
import { claimDelivery, processDelivery, settleDelivery } from '../../services/webhooks/process.ts';
import type { JobHandler } from '../queue.ts';

export function webhookDeliveryHandler(context: AppContext): JobHandler<'webhook_delivery'> {
  return async (data, job) => {
    const delivery = await claimDelivery(context, data.org_id, data.delivery_id);
    if (!delivery) return { skipped: 'the delivery is already settled or unknown' };
    try {
      const result = await processDelivery(context, delivery);
      await settleDelivery(context, delivery.id, { outcome: result.outcome, detail: result.detail });
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const last = job.attempt >= context.config.jobs.maxAttempts;
      await settleDelivery(context, delivery.id, { outcome: last ? 'failed' : 'queued', error: message.slice(0, 2000) });
      throw error;
    }
  };
}
