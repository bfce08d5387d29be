/**
 * `servicenow-fanout`: N findings (default 2,000) turned into ServiceNow incidents through the real
 * service (runtime + Fastify in process, in-memory embedded database, driven with `app.inject`):
 * `POST /api/v1/tickets/bulk` with a ServiceNow connection (basic auth) against the ServiceNow
 * simulator with 50 ms added latency and a rate-limit rule of 20 Table API calls per second (scope
 * all). ServiceNow has no bulk create: the ticketing adapter runs one create per finding
 * concurrently and the client keeps them within the rule (X-RateLimit-Limit/Reset pacing, Retry-After
 * on 429).
 *
 * Phases:
 *  1. setup (not timed): the connection (POST /api/v1/connections) and N findings;
 *  2. fan-out (timed): one bulk request for all N ids; then every request the simulator received
 *     (its fault injector's decide() runs once per non-admin request, 429s included), by path and
 *     status, and from the simulator's records: duplicates and missing correlation ids;
 *  3. repost (timed): the same bulk request again, which must create nothing.
 *
 * The reference is the bound: calls needed ÷ rate, where calls needed = one create per finding plus
 * the distinct successful reads the service made (the credential check).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../../src/app.ts';
import { signHmacToken } from '../../src/auth/sign.ts';
import { loadConfig } from '../../src/config/index.ts';
import { openDatabase } from '../../src/db/database.ts';
import { fingerprintLabel } from '../../src/domain/fingerprint.ts';
import { startRuntime } from '../../src/runtime.ts';
import { startServiceNowSimulator } from '../../test/simulators/servicenow/index.ts';
import { intFromEnv } from '../lib/env.ts';
import { serviceEnv } from '../lib/service-env.ts';
import { callsByPath, countCalls, withDeadline } from '../lib/simulators.ts';
import { round } from '../lib/stats.ts';
import type { Benchmark, BenchEnv, BenchmarkOutcome } from '../lib/types.ts';

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const TABLE_PATH = '/api/now/table/incident';

function progress(message: string): void {
  process.stderr.write(`[servicenow-fanout] ${message}\n`);
}

function findingBody(index: number) {
  const severity = SEVERITIES[index % SEVERITIES.length]!;
  return {
    kind: 'vulnerability' as const,
    title: `Prototype pollution in pkg-${index}`,
    description: `pkg-${index} before 1.0.1 lets a crafted payload modify Object.prototype.`,
    severity,
    ecosystem: 'npm',
    package_name: `pkg-${index}`,
    current_version: '1.0.0',
    fixed_version: '1.0.1',
    cve_ids: [`CVE-2026-${20000 + index}`],
    repo_url: 'https://github.com/acme/web',
    manifest_path: 'package.json',
  };
}

interface BulkAnswer {
  wallMs: number;
  status: number;
  summary: { total: number; created: number; existing: number; planned: number; failed: number } | null;
  failures: Record<string, number>;
  firstFailure: string | null;
  errorBody: string | null;
}

async function postBulk(inject: (url: string, payload: object) => Promise<{ statusCode: number; body: string }>, ids: string[], connectionId: string): Promise<BulkAnswer> {
  const startedAt = performance.now();
  const response = await inject('/api/v1/tickets/bulk', { finding_ids: ids, connection_id: connectionId });
  const wallMs = performance.now() - startedAt;
  if (response.statusCode !== 200) return { wallMs, status: response.statusCode, summary: null, failures: {}, firstFailure: null, errorBody: response.body.slice(0, 500) };
  const body = JSON.parse(response.body) as { summary: NonNullable<BulkAnswer['summary']>; results: { status: string; error: { code: string; message: string } | null }[] };
  const failures: Record<string, number> = {};
  let firstFailure: string | null = null;
  for (const item of body.results) {
    if (item.status !== 'failed' || !item.error) continue;
    failures[item.error.code] = (failures[item.error.code] ?? 0) + 1;
    firstFailure ??= `${item.error.code}: ${item.error.message.slice(0, 300)}`;
  }
  return { wallMs, status: response.statusCode, summary: body.summary, failures, firstFailure, errorBody: null };
}

async function run(env: BenchEnv): Promise<BenchmarkOutcome> {
  const findings = intFromEnv(env, 'BENCH_SERVICENOW_FINDINGS', 2000, { min: 1, max: 5000 });
  const latencyMs = intFromEnv(env, 'BENCH_SERVICENOW_LATENCY_MS', 50, { min: 0, max: 5000 });
  const rate = intFromEnv(env, 'BENCH_SERVICENOW_RATE_PER_SECOND', 20, { min: 1, max: 10_000 });
  const timeoutSeconds = intFromEnv(env, 'BENCH_SERVICENOW_PHASE_TIMEOUT_SECONDS', 600, { min: 10, max: 3600 });
  const parameters = {
    findings,
    latency_ms: latencyMs,
    rate_limit: { limit: rate, per: 'second', scope: 'all' },
    table: 'incident',
    route: 'POST /api/v1/tickets/bulk (one request, all ids)',
    auth: 'basic',
    database: 'embedded (PGlite, in memory)',
    phase_timeout_seconds: timeoutSeconds,
  };

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-sn-fanout-'));
  const baseEnv: BenchEnv = { ...serviceEnv(dataDir), OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' };
  const config = loadConfig(baseEnv, dataDir);
  const sim = await startServiceNowSimulator({ latencyMs, rateLimit: { limit: rate, per: 'second', scope: 'all' }, outbound: null });
  const simCalls = countCalls(sim);
  const database = await openDatabase({ kind: 'embedded', dir: null });
  const runtime = await startRuntime(config, { database, skipClockCheck: true });
  const app = await buildApp(runtime.context);
  try {
    await app.ready();
    const token = await signHmacToken(baseEnv.JWT_SECRET_KEY as string, 'HS256', { subject: 'bench', roles: ['admin'] });
    const headers = { authorization: `Bearer ${token}` };
    const inject = async (url: string, payload: object) => {
      const response = await app.inject({ method: 'POST', url, headers, payload });
      return { statusCode: response.statusCode, body: response.body };
    };

    // 1. Setup (not timed).
    const connection = await inject('/api/v1/connections', {
      provider: 'servicenow',
      auth_kind: 'basic',
      name: 'Bench ServiceNow',
      instance_url: sim.url,
      username: sim.credentials.username,
      password: sim.credentials.password,
    });
    if (connection.statusCode !== 201) throw new Error(`POST /api/v1/connections answered ${connection.statusCode}: ${connection.body.slice(0, 500)}`);
    const connectionId = (JSON.parse(connection.body) as { id: string }).id;
    const stored = await inject('/api/v1/findings', { findings: Array.from({ length: findings }, (_, i) => findingBody(i)) });
    if (stored.statusCode !== 200) throw new Error(`POST /api/v1/findings answered ${stored.statusCode}: ${stored.body.slice(0, 500)}`);
    const rows = (JSON.parse(stored.body) as { findings: { id: string; fingerprint: string }[] }).findings;
    const ids = rows.map((row) => row.id);
    const expected = new Set(rows.map((row) => fingerprintLabel(row.fingerprint)));
    if (expected.size !== findings) throw new Error(`expected ${findings} distinct findings, the service stored ${expected.size}`);

    // 2. Fan-out (timed).
    sim.admin.requests.clear();
    simCalls.reset();
    progress(`fan-out: ${findings} findings at ${rate} calls/s (≥ ${round(findings / rate, 1)} s)`);
    const fanout = await withDeadline(timeoutSeconds * 1000, 'fan-out', postBulk(inject, ids, connectionId));
    const calls = simCalls.total();
    const received = sim.admin.received();
    const creates = received.filter((entry) => entry.method === 'POST' && entry.path.endsWith(TABLE_PATH));
    const reads = new Set(received.filter((entry) => entry.method === 'GET' && entry.status !== null && entry.status < 400).map((entry) => `${entry.path}?${entry.query}`));
    const byPath = callsByPath(sim);
    const rateLimited = received.filter((entry) => entry.status === 429).length;
    const perKey = new Map<string, number>();
    for (const record of sim.admin.records('incident')) {
      const key = record.correlation_id ?? '';
      if (expected.has(key)) perKey.set(key, (perKey.get(key) ?? 0) + 1);
    }
    const duplicates = [...perKey.values()].reduce((sum, n) => sum + (n - 1), 0);
    const missing = [...expected].filter((key) => !perKey.has(key)).length;
    const callsNeeded = findings + reads.size;
    const boundSeconds = callsNeeded / rate;
    const wallSeconds = fanout.wallMs / 1000;
    progress(`fan-out: ${round(wallSeconds, 2)} s (bound ${round(boundSeconds, 2)} s), ${calls} calls, ${rateLimited} × 429, ${duplicates} duplicates, ${missing} missing`);

    // 3. Repost (timed): nothing new.
    sim.admin.requests.clear();
    simCalls.reset();
    const before = sim.admin.records('incident').length;
    const repost = await withDeadline(timeoutSeconds * 1000, 'repost', postBulk(inject, ids, connectionId));
    const repostCreated = sim.admin.records('incident').length - before;
    progress(`repost: ${round(repost.wallMs / 1000, 2)} s, ${simCalls.total()} calls, ${repostCreated} incidents created`);

    const results = {
      wall_seconds: round(wallSeconds, 2),
      bound_seconds: round(boundSeconds, 2),
      wall_over_bound: round(wallSeconds / boundSeconds, 3),
      calls_needed: callsNeeded,
      calls_received_by_simulator: calls,
      calls_per_finding: round(calls / findings, 4),
      achieved_calls_per_second: round(calls / wallSeconds, 2),
      create_calls: creates.length,
      rate_limited_429: rateLimited,
      calls_by_path: byPath,
      incidents_created: [...perKey.values()].reduce((sum, n) => sum + n, 0),
      duplicates,
      missing,
      http_status: fanout.status,
      http_error_body: fanout.errorBody,
      service_summary: fanout.summary,
      service_failures_by_code: fanout.failures,
      service_first_failure: fanout.firstFailure,
      repost: { wall_seconds: round(repost.wallMs / 1000, 2), calls: simCalls.total(), incidents_created: repostCreated, service_summary: repost.summary, http_status: repost.status },
      server_rss_mb: round(process.memoryUsage().rss / 1024 / 1024),
    };
    const problems: string[] = [];
    if (fanout.status !== 200) problems.push(`bulk route answered ${fanout.status}`);
    if (duplicates !== 0) problems.push(`${duplicates} duplicate incidents`);
    if (missing !== 0) problems.push(`${missing} findings without an incident`);
    if (repostCreated !== 0) problems.push(`repost created ${repostCreated} incidents`);
    if (problems.length > 0) {
      process.stderr.write(`${JSON.stringify(results, null, 2)}\n`);
      throw new Error(problems.join('; '));
    }
    return {
      parameters,
      results,
      summary: {
        findings,
        wall_seconds: results.wall_seconds,
        bound_seconds: results.bound_seconds,
        wall_over_bound: results.wall_over_bound,
        calls_per_finding: results.calls_per_finding,
        rate_limited_429: rateLimited,
        duplicates,
        missing,
        repost_created: repostCreated,
      },
    };
  } finally {
    await app.close();
    await runtime.close();
    await sim.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: 'servicenow-fanout',
  description:
    'N findings (default 2,000) into the ServiceNow simulator (50 ms latency, rule of 20 Table API calls/s) through POST /api/v1/tickets/bulk on the real service: wall time against calls needed ÷ rate, calls per finding, duplicates, missing, and a repost that creates nothing',
  run,
};
