/**
 * `GET /api/v1/analytics` (docs/policies-and-sla.md): findings opened and resolved per day or week,
 * current counts by state and severity, mean and p90 time to resolve by severity, open SLA
 * breaches by severity, for the organization and per scan target. The web UI imports these too.
 */
import { z } from 'zod';
import { severityLevels } from '../domain/severity.ts';
import { internalStates } from '../domain/states.ts';
import { identifier } from './primitives.ts';

export const analyticsBuckets = ['day', 'week'] as const;
export type AnalyticsBucket = (typeof analyticsBuckets)[number];
/** At most this many buckets per answer (a year of days, seven years of weeks). */
export const MAX_ANALYTICS_BUCKETS = 366;
/** At most this many targets in `targets` (most open findings first). */
export const MAX_ANALYTICS_TARGETS = 100;

export const analyticsQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional().describe('Start (inclusive, ISO 8601); aligned down to its bucket (UTC). Default: 30 days (12 weeks) before `to`'),
  to: z.iso.datetime({ offset: true }).optional().describe('End (exclusive, ISO 8601). Default: now'),
  bucket: z.enum(analyticsBuckets).default('day').describe('day or week (weeks start on Monday, UTC)'),
  target: identifier(500).optional().describe('Only the findings of this scan target (the `target` of imports)'),
});

export type AnalyticsQuery = z.infer<typeof analyticsQuery>;

const bySeverity = z.record(z.enum(severityLevels), z.number().int());

export const analyticsView = z
  .object({
    from: z.string().describe('Start of the first bucket'),
    to: z.string(),
    bucket: z.enum(analyticsBuckets),
    target: z.string().nullable(),
    buckets: z.array(z.object({ start: z.string(), opened: bySeverity, resolved: bySeverity })).describe('Findings first seen (opened) and resolved in each bucket, by severity'),
    states: z.array(z.object({ state: z.enum(internalStates), by_severity: bySeverity, total: z.number().int() })).describe('Current counts by state and severity'),
    time_to_resolve: z
      .array(z.object({ severity: z.enum(severityLevels), resolved: z.number().int(), mean_seconds: z.number().nullable(), p90_seconds: z.number().nullable() }))
      .describe('Findings resolved within the range: first seen → resolved, mean and 90th percentile (continuous)'),
    open_breaches: bySeverity.describe('Open findings past their SLA due date now'),
    targets: z
      .array(z.object({ target: z.string(), open: z.number().int(), opened: z.number().int(), resolved: z.number().int(), open_breaches: z.number().int() }))
      .describe(`Per scan target (at most ${MAX_ANALYTICS_TARGETS}, most open first): open now, opened and resolved within the range, open breaches`),
  })
  .meta({ id: 'Analytics' });

export type AnalyticsView = z.infer<typeof analyticsView>;
