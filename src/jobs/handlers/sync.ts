/**
 * The `sync` job: one ticketing connection's periodic sync (src/services/sync): the tickets the
 * provider changed since the connection's cursor, applied exactly as webhook deliveries are.
 * Rate limits and outages are retried with the queue's backoff.
 */
import type { AppContext } from '../../context.ts';
import { syncConnection } from '../../services/sync/index.ts';
import { isProviderError } from '../../services/tickets/ticket-session.ts';
import { PermanentJobError, RetryLaterError } from '../errors.ts';
import type { JobHandler } from '../queue.ts';

export function syncHandler(context: AppContext): JobHandler<'sync'> {
  return async (data) => {
    try {
      return await syncConnection(context, data.org_id, data.connection_id, data.limit !== undefined ? { limit: data.limit } : {});
    } catch (error) {
      if (isProviderError(error)) {
        if (error.retryAfterMs) throw new RetryLaterError(error.message, error.retryAfterMs, { cause: error });
        if (!error.retryable) throw new PermanentJobError(error.message, { cause: error });
      }
      throw error;
    }
  };
}
