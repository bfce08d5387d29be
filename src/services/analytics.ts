/**
 * Findings analytics for the web UI (GET /api/v1/analytics), computed in SQL on PostgreSQL and
 * PGlite alike. Buckets are UTC days or ISO weeks (Monday); the range is [from aligned down to its
 * bucket, to). "Opened" counts findings by first_seen_at, "resolved" by resolved_at (a finding
 * reopened later has no resolved_at any more, so it no longer counts as resolved). Time to resolve
 * is resolved_at - first_seen_at of findings resolved within the range; p90 is percentile_cont(0.9).
 */
import { type AnalyticsBucket, type AnalyticsView, MAX_ANALYTICS_BUCKETS, MAX_ANALYTICS_TARGETS } from '../contracts/analytics.ts';
import type { Database } from '../db/database.ts';
import { type Severity, severityLevels } from '../domain/severity.ts';
import { internalStates } from '../domain/states.ts';
import { AppError } from '../errors/app-error.ts';

const DAY = 86_400_000;
const OPEN = `f.state not in ('done', 'wont_fix')`;

export interface AnalyticsRange {
  from: Date;
  to: Date;
  bucket: AnalyticsBucket;
  starts: Date[];
}

/** The bucket `at` falls in (UTC midnight; Monday for weeks). */
export function bucketStart(at: Date, bucket: AnalyticsBucket): Date {
  const day = Math.floor(at.getTime() / DAY) * DAY;
  if (bucket === 'day') return new Date(day);
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
  return new Date(day - weekday * DAY);
}

/** Checks and aligns a range; 400 naming the field when it is empty, reversed or too long. */
export function analyticsRange(input: { from?: string | undefined; to?: string | undefined; bucket: AnalyticsBucket }, now: Date = new Date()): AnalyticsRange {
  const step = input.bucket === 'day' ? DAY : 7 * DAY;
  const to = input.to ? new Date(input.to) : now;
  const from = bucketStart(input.from ? new Date(input.from) : new Date(to.getTime() - (input.bucket === 'day' ? 30 : 84) * DAY), input.bucket);
  if (!(from.getTime() < to.getTime())) throw new AppError('VALIDATION_FAILED', 'from: must be before to', { field: 'from' });
  const count = Math.ceil((to.getTime() - from.getTime()) / step);
  if (count > MAX_ANALYTICS_BUCKETS) {
    throw new AppError('VALIDATION_FAILED', `from: the range holds ${count} ${input.bucket}s; at most ${MAX_ANALYTICS_BUCKETS} per call`, { field: 'from' });
  }
  const starts = Array.from({ length: count }, (_, i) => new Date(from.getTime() + i * step));
  return { from, to, bucket: input.bucket, starts };
}

function zeroes(): Record<Severity, number> {
  return Object.fromEntries(severityLevels.map((s) => [s, 0])) as Record<Severity, number>;
}

const num = (value: unknown): number => Number(value ?? 0);

export async function analytics(db: Database, orgId: string, range: AnalyticsRange, target: string | null): Promise<AnalyticsView> {
  // $1 org, $2 target (null = the whole organization), $3 from, $4 to.
  const params = [orgId, target, range.from.toISOString(), range.to.toISOString()];
  const scoped = params.slice(0, 2);
  const scope = `from findings f left join scan_target_findings t on t.finding_id = f.id
    where f.org_id = $1::uuid and ($2::text is null or t.target = $2::text)`;
  const unit = range.bucket === 'day' ? 'day' : 'week';
  const [opened, resolved, states, ttr, breaches, targets] = await Promise.all([
    db.query<{ b: string; severity: string; n: string }>(
      `select to_char(date_trunc('${unit}', f.first_seen_at at time zone 'UTC'), 'YYYY-MM-DD') as b, f.severity, count(*) as n ${scope}
         and f.first_seen_at >= $3::timestamptz and f.first_seen_at < $4::timestamptz group by 1, 2`,
      params,
    ),
    db.query<{ b: string; severity: string; n: string }>(
      `select to_char(date_trunc('${unit}', f.resolved_at at time zone 'UTC'), 'YYYY-MM-DD') as b, f.severity, count(*) as n ${scope}
         and f.resolved_at >= $3::timestamptz and f.resolved_at < $4::timestamptz group by 1, 2`,
      params,
    ),
    db.query<{ state: string; severity: string; n: string }>(`select f.state, f.severity, count(*) as n ${scope} group by 1, 2`, scoped),
    db.query<{ severity: string; n: string; mean: string | null; p90: string | null }>(
      `select f.severity, count(*) as n,
              avg(extract(epoch from f.resolved_at - f.first_seen_at)) as mean,
              percentile_cont(0.9) within group (order by extract(epoch from f.resolved_at - f.first_seen_at)) as p90
         ${scope} and f.resolved_at >= $3::timestamptz and f.resolved_at < $4::timestamptz group by 1`,
      params,
    ),
    db.query<{ severity: string; n: string }>(`select f.severity, count(*) as n ${scope} and ${OPEN} and f.due_at <= now() group by 1`, scoped),
    db.query<{ target: string; open: string; opened: string; resolved: string; breaches: string }>(
      `select t.target,
              count(*) filter (where ${OPEN}) as open,
              count(*) filter (where f.first_seen_at >= $3::timestamptz and f.first_seen_at < $4::timestamptz) as opened,
              count(*) filter (where f.resolved_at >= $3::timestamptz and f.resolved_at < $4::timestamptz) as resolved,
              count(*) filter (where ${OPEN} and f.due_at <= now()) as breaches
         from findings f join scan_target_findings t on t.finding_id = f.id
        where f.org_id = $1::uuid and ($2::text is null or t.target = $2::text)
        group by t.target order by open desc, t.target limit ${MAX_ANALYTICS_TARGETS}`,
      params,
    ),
  ]);

  const buckets = range.starts.map((start) => ({ start: start.toISOString(), opened: zeroes(), resolved: zeroes() }));
  const byDay = new Map(buckets.map((b) => [b.start.slice(0, 10), b]));
  for (const row of opened) {
    const b = byDay.get(row.b);
    if (b) b.opened[row.severity as Severity] += num(row.n);
  }
  for (const row of resolved) {
    const b = byDay.get(row.b);
    if (b) b.resolved[row.severity as Severity] += num(row.n);
  }
  const stateRows = internalStates.map((state) => ({ state, by_severity: zeroes(), total: 0 }));
  for (const row of states) {
    const entry = stateRows.find((s) => s.state === row.state);
    if (!entry) continue;
    entry.by_severity[row.severity as Severity] += num(row.n);
    entry.total += num(row.n);
  }
  const ttrBy = new Map(ttr.map((row) => [row.severity, row]));
  const openBreaches = zeroes();
  for (const row of breaches) openBreaches[row.severity as Severity] = num(row.n);
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    bucket: range.bucket,
    target,
    buckets,
    states: stateRows,
    time_to_resolve: severityLevels.map((severity) => {
      const row = ttrBy.get(severity);
      return {
        severity,
        resolved: num(row?.n),
        mean_seconds: row?.mean == null ? null : Number(row.mean),
        p90_seconds: row?.p90 == null ? null : Number(row.p90),
      };
    }),
    open_breaches: openBreaches,
    targets: targets.map((row) => ({ target: row.target, open: num(row.open), opened: num(row.opened), resolved: num(row.resolved), open_breaches: num(row.breaches) })),
  };
}
