/** The kinds of durable outbound work (SPEC section 2, Job). Each kind is one pg-boss queue. */
export const jobKinds = ['create', 'update', 'sync', 'comment', 'open_pr', 'transition'] as const;
export type JobKind = (typeof jobKinds)[number];

export const jobStates = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const;
export type JobState = (typeof jobStates)[number];

/** Every job carries the organization it works for, so listing and retrying stay tenant-scoped. */
export interface JobData {
  org_id: string;
  [key: string]: unknown;
}
