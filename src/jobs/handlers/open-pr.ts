/**
 * The `open_pr` job: opens or updates one fix PR (one branch) on a stored GitHub connection, or
 * closes one that a newer scan made obsolete (src/services/pull-requests/pr-jobs.ts). The branch's
 * lease keeps two workers off the same branch; failures that pass are retried with the queue's
 * backoff, the others fail the job for good.
 */
import type { AppContext } from '../../context.ts';
import { type PrJobHooks, runClosePrJob, runOpenPrJob } from '../../services/pull-requests/pr-jobs.ts';
import type { JobHandler } from '../queue.ts';

export function openPrHandler(context: AppContext, hooks: PrJobHooks = {}): JobHandler<'open_pr'> {
  return async (data, job) => (data.action === 'open' ? runOpenPrJob(context, data, job, hooks) : runClosePrJob(context, data, job, hooks));
}
