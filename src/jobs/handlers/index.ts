/**
 * The registry of job handlers the product runs, one module per job kind under this folder.
 * A kind with no handler here stays queued until a worker that has one picks it up.
 */
import type { AppContext } from '../../context.ts';
import type { JobHandlers } from '../queue.ts';
import { commentHandler } from './comment.ts';
import { createHandler } from './create.ts';
import { openPrHandler } from './open-pr.ts';
import { runItemsHandler } from './run-items.ts';
import { slaScanHandler } from './sla-scan.ts';
import { syncHandler } from './sync.ts';
import { transitionHandler } from './transition.ts';
import { updateHandler } from './update.ts';
import { webhookDeliveryHandler } from './webhook-delivery.ts';

export function productHandlers(context: AppContext): JobHandlers {
  return {
    comment: commentHandler(context),
    create: createHandler(context),
    open_pr: openPrHandler(context),
    run_items: runItemsHandler(context),
    sla_scan: slaScanHandler(context),
    sync: syncHandler(context),
    transition: transitionHandler(context),
    update: updateHandler(context),
    webhook_delivery: webhookDeliveryHandler(context),
  };
}
