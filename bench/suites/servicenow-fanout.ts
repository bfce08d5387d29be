/**
 * `servicenow-fanout`: N findings (default 2,000) created as incidents in the ServiceNow simulator
 * through the ServiceNow client directly (no service, no database), with 50 ms added latency and a
 * rate-limit rule of 20 Table API calls per second (scope all). ServiceNow has no bulk create: the
 * client runs the creates concurrently (its per-connection cap) within the rule, pacing itself from
 * X-RateLimit-Limit/Reset and waiting out Retry-After on 429.
 *
 * Each finding is one `createOnce` keyed by its correlation id, as the ticketing adapter will call it
 * for findings it has no ticket for (lookups happen only after a lost answer). Measured: wall time
 * against the bound (calls needed ÷ rate: N ÷ 20 s), every request the simulator received (its fault
 * injector's decide() runs once per non-admin request), 429s, calls per finding, and from the
 * simulator's records: duplicates and missing correlation ids.
 */
import { pino } from 'pino';
import { createOutboundClient, createOutboundGuard, type OutboundClient } from '../../src/http-client/index.ts';
import { staticCredentials } from '../../src/providers/credentials/index.ts';
import { createServiceNowClient, createServiceNowLimiterRegistry, impactUrgencyFor, shortDescriptionFor } from '../../src/providers/servicenow/index.ts';
import { createMemorySharedState } from '../../src/shared-state/index.ts';
import type { FaultDecision } from '../../test/simulators/common/faults.ts';
import { startServiceNowSimulator } from '../../test/simulators/servicenow/index.ts';
import { intFromEnv } from '../lib/env.ts';
import { round } from '../lib/stats.ts';
import type { Benchmark, BenchEnv, BenchmarkOutcome } from '../lib/types.ts';

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

function progress(message: string): void {
  process.stderr.write(`[servicenow-fanout] ${message}\n`);
}

async function run(env: BenchEnv): Promise<BenchmarkOutcome> {
  const findings = intFromEnv(env, 'BENCH_SERVICENOW_FINDINGS', 2000, { min: 1, max: 100_000 });
  const latencyMs = intFromEnv(env, 'BENCH_SERVICENOW_LATENCY_MS', 50, { min: 0, max: 5000 });
  const rate = intFromEnv(env, 'BENCH_SERVICENOW_RATE_PER_SECOND', 20, { min: 1, max: 10_000 });
  const concurrency = intFromEnv(env, 'BENCH_SERVICENOW_CONCURRENCY', 4, { min: 1, max: 64 });
  const parameters = { findings, latency_ms: latencyMs, rate_limit: { limit: rate, per: 'second', scope: 'all' }, client_max_concurrent: concurrency, table: 'incident' };

  const sim = await startServiceNowSimulator({ latencyMs, rateLimit: { limit: rate, per: 'second', scope: 'all' } });
  const injector = sim.admin.faults;
  const decide = injector.decide.bind(injector);
  let received = 0;
  injector.decide = (): FaultDecision => {
    received++;
    return decide();
  };
  const logger = pino({ level: 'silent' });
  const inner = createOutboundClient({ logger, guard: createOutboundGuard({ allowedHosts: ['127.0.0.1'] }), defaultTimeoutMs: 30_000, maxRetries: 2 });
  const statuses = new Map<number, number>();
  const http: OutboundClient = {
    request: async (req) => {
      const response = await inner.request(req);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      return response;
    },
    close: () => inner.close(),
  };
  const client = createServiceNowClient(
    { instanceUrl: sim.url, table: 'incident', credentials: staticCredentials({ kind: 'basic', username: sim.credentials.username, password: sim.credentials.password }), connectionId: 'bench' },
    { http, sharedState: createMemorySharedState(), logger, limiters: createServiceNowLimiterRegistry(), limits: { maxConcurrent: concurrency, maxRateLimitWaitMs: 120_000 } },
  );

  try {
    const keys = Array.from({ length: findings }, (_, i) => `bench-finding-${i.toString().padStart(6, '0')}`);
    progress(`creating ${findings} incidents at ${rate} req/s (bound ${round(findings / rate, 1)} s)`);
    const started = performance.now();
    const outcomes = await Promise.allSettled(
      keys.map((key, i) => {
        const severity = SEVERITIES[i % SEVERITIES.length]!;
        const finding = { kind: 'vulnerability' as const, title: `Finding ${i}`, severity, packageName: `pkg-${i}`, installedVersion: '1.0.0' };
        return client.createOnce('incident', key, { short_description: shortDescriptionFor(finding), ...impactUrgencyFor([], severity) }, { lookupFirst: false, fields: ['sys_id', 'number'] });
      }),
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const failed = outcomes.filter((o) => o.status === 'rejected');

    const byKey = new Map<string, number>();
    for (const record of sim.admin.records('incident')) byKey.set(record.correlation_id ?? '', (byKey.get(record.correlation_id ?? '') ?? 0) + 1);
    const duplicates = [...byKey.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    const missing = keys.filter((key) => !byKey.has(key)).length;
    const boundSeconds = findings / rate;
    const results = {
      wall_seconds: round(wallSeconds, 2),
      bound_seconds: round(boundSeconds, 2),
      wall_over_bound: round(wallSeconds / boundSeconds, 3),
      achieved_calls_per_second: round(received / wallSeconds, 2),
      calls_received_by_simulator: received,
      calls_per_finding: round(received / findings, 4),
      statuses: Object.fromEntries([...statuses.entries()].sort(([a], [b]) => a - b)),
      rate_limited_429: statuses.get(429) ?? 0,
      created: outcomes.length - failed.length,
      failed: failed.length,
      first_failure: failed.length > 0 ? String((failed[0] as PromiseRejectedResult).reason?.message ?? failed[0]) : null,
      duplicates,
      missing,
    };
    progress(`done in ${results.wall_seconds} s (bound ${results.bound_seconds} s), ${received} calls, ${results.rate_limited_429} × 429, ${duplicates} duplicates, ${missing} missing`);
    return {
      parameters,
      results,
      summary: {
        wall_seconds: results.wall_seconds,
        bound_seconds: results.bound_seconds,
        wall_over_bound: results.wall_over_bound,
        calls_per_finding: results.calls_per_finding,
        rate_limited_429: results.rate_limited_429,
        duplicates,
        missing,
      },
    };
  } finally {
    await http.close();
    await sim.close();
  }
}

export const benchmark: Benchmark = {
  name: 'servicenow-fanout',
  description: 'N findings (default 2,000) created as incidents in the ServiceNow simulator (50 ms latency, rule of 20 Table API calls/s) through the ServiceNow client directly: wall time against calls ÷ rate, calls per finding, duplicates, missing',
  run,
};
