/**
 * `GET /api/v1/jobs[/{id}]`: a durable job as the API shows it, its kinds and states. Shared by the
 * route, the job queue (src/jobs/kinds.ts; src/jobs/queue.ts, whose JobView adds the payload) and
 * the web UI.
 */
import { z } from 'zod';

export const jobKinds = ['create', 'update', 'sync', 'comment', 'open_pr', 'transition', 'run_items', 'webhook_delivery', 'sla_scan'] as const;
export type JobKind = (typeof jobKinds)[number];

export const jobStates = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const;
export type JobState = (typeof jobStates)[number];

export const jobView = z
  .object({
    id: z.string(),
    kind: z.enum(jobKinds),
    state: z.enum(jobStates),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    next_run_at: z.string().nullable(),
    last_error: z.string().nullable(),
    result: z.record(z.string(), z.unknown()).nullable().describe("A completed job's answer (an open_pr job's pr_number and pr_url, a create job's issue_key); null otherwise"),
    created_at: z.string(),
    completed_at: z.string().nullable(),
  })
  .meta({ id: 'Job' });
export type JobApiView = z.infer<typeof jobView>;
