/**
 * The registry of durable outbound work (SPEC section 2, Job): each kind is one pg-boss queue with
 * one zod schema for its payload and one handler module under ./handlers. Payloads are validated
 * when enqueued (a bad one is a programming error and throws) and again when a worker receives
 * them (a bad one fails that job for good, never a crash loop). Payloads never hold a credential.
 */
import { z } from 'zod';

// The kinds and states are part of the API's job view (src/contracts/jobs.ts).
export { type JobKind, jobKinds, type JobState, jobStates } from '../contracts/jobs.ts';
import type { JobKind } from '../contracts/jobs.ts';

/** What an `update` job may push from a finding to its ticket (TicketUpdateField). */
export const ticketUpdateFields = ['priority', 'summary', 'due_date'] as const;

/** The most deliveries one `webhook_delivery` job applies (a larger group commit queues several jobs). */
export const WEBHOOK_DELIVERIES_PER_JOB = 100;

/** Every job carries the organization it works for, so listing and retrying stay tenant-scoped. */
const base = z.object({ org_id: z.uuid() });

const text = z.string().max(100_000);
const ticketOptions = z.object({
  projectKey: z.string().max(100).nullish(),
  issueType: z.string().max(100).nullish(),
  priority: z.string().max(100).nullish(),
  assignee: z.string().max(320).nullish(),
  components: z.array(z.string().max(255)).max(100).optional(),
  labels: z.array(z.string().max(255)).max(100).optional(),
  customFields: z.record(z.string(), z.unknown()).optional(),
});

/** A vulnerability as the internal endpoint stores it (FindingInput). */
const vulnerabilityFinding = z.object({
  kind: z.literal('vulnerability'),
  title: text,
  description: text.nullish(),
  severity: z.enum(['critical', 'high', 'medium', 'low', 'info']).nullish(),
  ecosystem: z.string().max(50),
  packageName: z.string().max(500),
  installedVersion: z.string().max(200),
  fixedVersion: z.string().max(200).nullish(),
  advisoryIds: z.array(z.string().max(100)).max(400).optional(),
  repoUrl: z.string().max(2048).nullish(),
  manifestPath: z.string().max(1000).nullish(),
  source: z.string().max(200).nullish(),
  externalRef: z.string().max(200).nullish(),
});

/** A fix PR on the organization's stored GitHub connection: `token` is always null here. */
const storedPrPlan = z.object({
  repoUrl: z.string().max(2048),
  token: z.null(),
  baseBranch: z.string().max(255).nullable(),
  branch: z.string().max(255).nullable(),
  title: z.string().max(1000).nullable(),
  body: z.string().max(65_536).nullable(),
  packageName: z.string().max(500),
  ecosystem: z.string().max(50),
  fixedVersion: z.string().max(200).nullable(),
  currentVersion: z.string().max(200).nullable(),
  manifestPaths: z.array(z.string().max(1000)).max(100).nullable(),
  advisories: z.array(z.object({ id: z.string().max(100), url: z.string().max(2048).nullish(), severity: z.string().max(20).nullish() })).max(400),
  group: z.boolean(),
  transport: z.enum(['api', 'git']),
  labels: z.array(z.string().max(50)).max(20).nullable(),
  commentOnTicket: z.boolean(),
});

/** One item of a queued run: a finding, filed on a stored Jira connection and fixed on a stored GitHub one. */
export const storedWorkItem = z.object({
  itemId: z.string().max(200),
  finding: vulnerabilityFinding,
  jiraRequest: z.null(),
  jiraTarget: z.object({ credentials: z.null(), options: ticketOptions }).nullable(),
  pr: storedPrPlan.nullable(),
});

export const jobPayloads = {
  create: base.extend({
    connection_id: z.uuid(),
    finding_id: z.uuid(),
    options: ticketOptions,
    requested_by: z.string().max(500).nullable(),
  }),
  comment: base.extend({
    ticket_id: z.uuid(),
    text: z.string().min(1).max(30_000),
    links: z.array(z.object({ text: z.string().max(500), url: z.string().max(2048) })).max(20).optional(),
    requested_by: z.string().max(500).optional(),
  }),
  /** A chunk of a queued run (POST /internal/create-issues-and-prs on stored connections). */
  run_items: base.extend({
    run_id: z.uuid(),
    chunk: z.number().int().min(0),
    /** Position of the chunk's first item in the request. */
    first: z.number().int().min(0),
    subject: z.string().max(500).nullable(),
    /** The caller, as the tenant the run works for (no credential). */
    org_slug: z.string().max(200),
    user_id: z.string().max(200),
    field_prefix: z.enum(['items', 'vulnerabilities']),
    items: z.array(storedWorkItem).min(1).max(1_000),
  }),
  /**
   * Verified webhook deliveries to apply, in the order they were received (their payloads are in the
   * deliveries rows, not here): one job per organization and group commit of the ingest path. A
   * single `delivery_id` is a job queued by a version before batches.
   */
  webhook_delivery: z.union([
    base.extend({ delivery_ids: z.array(z.uuid()).min(1).max(WEBHOOK_DELIVERIES_PER_JOB) }),
    base.extend({ delivery_id: z.uuid() }),
  ]),
  /** Marks the organization's open findings past their SLA due date and comments on their tickets (src/services/sla). */
  sla_scan: base,
  /** Moves one ticket to an internal state at the provider (the closed loop: PR merged → done, finding back → reopened). */
  transition: base.extend({
    ticket_id: z.uuid(),
    to: z.enum(['backlog', 'todo', 'in_progress', 'in_review', 'done', 'wont_fix']),
    reason: z.string().min(1).max(2_000),
    comment: z.object({ text: z.string().min(1).max(30_000), links: z.array(z.object({ text: z.string().max(500), url: z.string().max(2048) })).max(20).optional() }).optional(),
    once_key: z.string().max(200).optional(),
    /** Run only while the finding still is resolved (done) / open (neither done nor wont_fix); otherwise the job is void. */
    if_finding: z.enum(['resolved', 'open']).optional(),
  }),
  /** The periodic sync of one ticketing connection: changed-since query, statuses applied like webhooks. */
  sync: base.extend({ connection_id: z.uuid(), limit: z.number().int().min(1).max(1_000).optional() }),
  /** Opens or updates one fix PR (one branch) on a stored GitHub connection, or closes one no scan needs any more (src/services/pull-requests/pr-jobs.ts). */
  open_pr: z.discriminatedUnion('action', [
    base.extend({
      action: z.literal('open'),
      connection_id: z.uuid(),
      repo_url: z.string().max(2048),
      base_branch: z.string().max(255).nullable(),
      branch: z.string().max(255).nullable(),
      group: z.boolean(),
      title: z.string().max(1000).nullable(),
      body: z.string().max(65_536).nullable(),
      transport: z.enum(['api', 'git']),
      labels: z.array(z.string().max(50)).max(20).nullable(),
      items: z
        .array(
          z.object({
            package_name: z.string().max(500),
            ecosystem: z.string().max(50),
            fixed_version: z.string().max(200),
            current_version: z.string().max(200).nullable(),
            manifest_paths: z.array(z.string().max(1000)).max(100).nullable(),
            advisories: z.array(z.object({ id: z.string().max(100), url: z.string().max(2048).nullish(), severity: z.string().max(20).nullish() })).max(400),
            finding_ids: z.array(z.uuid()).max(1_000),
            ticket_ids: z.array(z.uuid()).max(1_000),
          }),
        )
        .min(1)
        .max(1_000),
      /** Comment the PR link on the findings' tickets (seed 001 `comment_with_pr_link`). */
      comment_on_ticket: z.boolean(),
      source: z.enum(['request', 'policy']),
      requested_by: z.string().max(500).nullable(),
    }),
    base.extend({
      action: z.literal('close'),
      pull_request_id: z.uuid(),
      scan_id: z.string().max(200),
      target: z.string().max(500),
    }),
  ]),
  /** Pushes a finding's changed values (severity → priority by the mapping, title → summary, SLA due date) to one ticket (src/jobs/handlers/update.ts). */
  update: base.extend({
    ticket_id: z.uuid(),
    fields: z.array(z.enum(ticketUpdateFields)).min(1).max(ticketUpdateFields.length),
    reason: z.string().min(1).max(2_000),
  }),
} satisfies Record<JobKind, z.ZodType<{ org_id: string }>>;

export type JobPayload<K extends JobKind> = z.infer<(typeof jobPayloads)[K]>;

/** Any payload (the common part). */
export interface JobData {
  org_id: string;
  [key: string]: unknown;
}

/** Why a payload is refused, in one line (field paths, never the values). */
export function payloadProblem(kind: JobKind, data: unknown): string | null {
  const parsed = jobPayloads[kind].safeParse(data);
  if (parsed.success) return null;
  return parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`)
    .join('; ');
}
