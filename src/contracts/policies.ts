/**
 * The organization's lifecycle policy (`GET/PUT /api/v1/policies`, docs/policies-and-sla.md): which
 * severities get tickets and fix PRs by themselves after a complete scan import, on which
 * connection, how fix PRs are grouped, and the SLA days per severity. The web UI imports these too.
 */
import { z } from 'zod';
import { type Severity, severityLevels } from '../domain/severity.ts';
import { identifier, safeLine } from './primitives.ts';

/** Days to remediate per severity; a severity left out (or null) gets no due date. */
export const DEFAULT_SLA_DAYS: Readonly<Record<Severity, number | null>> = { critical: 7, high: 30, medium: 90, low: 180, info: null };

export const MAX_SLA_DAYS = 3650;

export const prGroupings = ['repo_scan', 'package'] as const;
export type PrGrouping = (typeof prGroupings)[number];

const severityList = z
  .array(z.enum(severityLevels))
  .max(severityLevels.length)
  .transform((list) => [...new Set(list)]);

export const slaDaysSchema = z
  .object(Object.fromEntries(severityLevels.map((s) => [s, z.number().int().min(1).max(MAX_SLA_DAYS).nullable()])) as Record<Severity, z.ZodNullable<z.ZodNumber>>)
  .strict()
  .describe('Days from first seen to due, per severity; null = no due date for that severity');

export const ticketOptionsSchema = z
  .object({
    project_key: identifier(100).optional().describe('Jira project key (ServiceNow: ignored; the table comes from the connection)'),
    issue_type: safeLine(100).optional(),
    labels: z.array(identifier(255)).max(20).optional(),
  })
  .strict();

export const policyInput = z
  .object({
    tickets: z
      .object({
        severities: severityList.describe('Severities whose new findings get a ticket after a complete scan import; [] = none'),
        connection_id: z.uuid().nullable().describe('The organization-wide ticketing connection (Jira or ServiceNow) tickets are opened on'),
        options: ticketOptionsSchema.default({}),
      })
      .strict(),
    pull_requests: z
      .object({
        severities: severityList.describe('Severities whose new findings get a fix pull request; [] = none'),
        connection_id: z.uuid().nullable().describe('The organization-wide GitHub connection fix PRs are opened with'),
        grouping: z.enum(prGroupings).describe('repo_scan: one PR per repository and scan; package: one PR per package'),
      })
      .strict(),
    sla_days: slaDaysSchema,
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.tickets.severities.length > 0 && !value.tickets.connection_id) {
      ctx.addIssue({ code: 'custom', path: ['tickets', 'connection_id'], message: 'is required when tickets.severities is not empty' });
    }
    if (value.pull_requests.severities.length > 0 && !value.pull_requests.connection_id) {
      ctx.addIssue({ code: 'custom', path: ['pull_requests', 'connection_id'], message: 'is required when pull_requests.severities is not empty' });
    }
  });

export type PolicyInput = z.infer<typeof policyInput>;

export const policyView = z
  .object({
    tickets: z.object({
      severities: z.array(z.enum(severityLevels)),
      connection_id: z.string().nullable(),
      options: z.object({ project_key: z.string().optional(), issue_type: z.string().optional(), labels: z.array(z.string()).optional() }),
    }),
    pull_requests: z.object({ severities: z.array(z.enum(severityLevels)), connection_id: z.string().nullable(), grouping: z.enum(prGroupings) }),
    sla_days: z.record(z.enum(severityLevels), z.number().int().nullable()),
    /** false: nothing stored yet, these are the defaults. */
    stored: z.boolean(),
    updated_at: z.string().nullable(),
    updated_by: z.string().nullable(),
  })
  .meta({ id: 'Policy' });

export type PolicyView = z.infer<typeof policyView>;
