/**
 * `jira-fanout`: N findings (default 5,000) turned into Jira issues through the real service
 * (runtime + Fastify in process, in-memory embedded database, driven with `app.inject`) against the
 * Jira Cloud simulator with 50 ms added latency and a token bucket of 10 requests/s.
 *
 * Phases:
 *  1. setup (not timed): a jira-cloud connection and N distinct vulnerability findings;
 *  2. fan-out (timed): `POST /api/v1/tickets/bulk` for all N ids; then every Jira call it made (by
 *     path and status, 429s included), issues created, duplicates and missing (by fingerprint label);
 *  3. repost (timed): the same bulk request again, which must create nothing;
 *  4. seed approach, on a second simulator with the same settings: one `POST /rest/api/3/issue` per
 *     finding in sequence, sleeping Retry-After on 429 (exponential backoff otherwise), as seed 000's
 *     client does. Run on a sample (BENCH_SEED_SAMPLE) and extrapolated linearly to N.
 *
 * Every request reaching a simulator is counted by wrapping its fault injector's `decide()` (which
 * runs for every non-admin request, before the request log; 429s are answered before the log sees
 * them, so the log alone would under-count).
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
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../../test/simulators/jira/cloud/index.ts';
import { intFromEnv } from '../lib/env.ts';
import { serviceEnv } from '../lib/service-env.ts';
import { callsByPath, countCalls, withDeadline } from '../lib/simulators.ts';
import { round, sleep } from '../lib/stats.ts';
import type { Benchmark, BenchEnv, BenchmarkOutcome } from '../lib/types.ts';

const PROJECT_KEY = 'SEC';
const ISSUE_TYPE = 'Bug';
const JIRA_BULK_CHUNK = 50;
const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const SEED_PRIORITY: Record<(typeof SEVERITIES)[number], string> = { critical: 'Blocker', high: 'High', medium: 'Medium', low: 'Low' };

type Parameters = {
  findings: number;
  findings_per_upsert: number;
  ids_per_bulk_request: number;
  seed_sample: number;
  jira_latency_ms: number;
  jira_rate_limit: { capacity: number; refill_per_second: number };
  jira_search_lag_ms: number;
  phase_timeout_seconds: number;
  project_key: string;
  issue_type: string;
  database: string;
};

function progress(message: string): void {
  process.stderr.write(`[jira-fanout] ${message}\n`);
}

function startSimulator(parameters: Parameters): Promise<JiraCloudSimulator> {
  return startJiraCloudSimulator({
    searchLagMs: parameters.jira_search_lag_ms,
    faults: {
      latencyMs: parameters.jira_latency_ms,
      rateLimit: { capacity: parameters.jira_rate_limit.capacity, refillPerSecond: parameters.jira_rate_limit.refill_per_second },
    },
  });
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
    cve_ids: [`CVE-2026-${10000 + index}`],
    repo_url: 'https://github.com/acme/web',
    manifest_path: 'package.json',
  };
}

function isCreate(entry: { method: string; path: string }): boolean {
  return entry.method === 'POST' && (entry.path.endsWith('/rest/api/3/issue') || entry.path.endsWith('/rest/api/3/issue/bulk'));
}

interface BulkRun {
  wall_ms: number;
  requests: number;
  statuses: number[];
  summary: { total: number; created: number; existing: number; planned: number; failed: number };
  failures_by_code: Record<string, number>;
  first_failure: { code: string; message: string } | null;
  error_bodies: string[];
}

async function postBulk(
  inject: (url: string, payload: object) => Promise<{ statusCode: number; body: string }>,
  ids: string[],
  connectionId: string,
  perRequest: number,
  label: string,
): Promise<BulkRun> {
  const run: BulkRun = {
    wall_ms: 0,
    requests: 0,
    statuses: [],
    summary: { total: 0, created: 0, existing: 0, planned: 0, failed: 0 },
    failures_by_code: {},
    first_failure: null,
    error_bodies: [],
  };
  for (let start = 0; start < ids.length; start += perRequest) {
    const chunk = ids.slice(start, start + perRequest);
    const startedAt = performance.now();
    const response = await inject('/api/v1/tickets/bulk', {
      finding_ids: chunk,
      connection_id: connectionId,
      project_key: PROJECT_KEY,
      issue_type: ISSUE_TYPE,
    });
    const elapsed = performance.now() - startedAt;
    run.wall_ms += elapsed;
    run.requests++;
    run.statuses.push(response.statusCode);
    progress(`${label}: bulk request ${run.requests} (${chunk.length} ids) answered ${response.statusCode} in ${round(elapsed / 1000, 2)} s`);
    if (response.statusCode !== 200) {
      run.error_bodies.push(response.body.slice(0, 500));
      continue;
    }
    const body = JSON.parse(response.body) as {
      summary: BulkRun['summary'];
      results: { status: string; error: { code: string; message: string } | null }[];
    };
    for (const key of Object.keys(run.summary) as (keyof BulkRun['summary'])[]) run.summary[key] += body.summary[key];
    for (const item of body.results) {
      if (item.status !== 'failed' || !item.error) continue;
      run.failures_by_code[item.error.code] = (run.failures_by_code[item.error.code] ?? 0) + 1;
      run.first_failure ??= { code: item.error.code, message: item.error.message.slice(0, 300) };
    }
  }
  run.wall_ms = round(run.wall_ms);
  return run;
}

/** Seed 000's way: one create per finding, in sequence; Retry-After on 429, exponential backoff otherwise. */
async function seedApproach(sim: JiraCloudSimulator, sample: number, deadlineMs: number) {
  const api = `${sim.url}/rest/api/3/issue`;
  let calls = 0;
  let rateLimited = 0;
  let failed = 0;
  let sleptMs = 0;
  const startedAt = performance.now();
  const deadline = startedAt + deadlineMs;
  for (let index = 0; index < sample; index++) {
    const finding = findingBody(index);
    const body = JSON.stringify({
      fields: {
        project: { key: PROJECT_KEY },
        issuetype: { name: ISSUE_TYPE },
        summary: `[${finding.severity.toUpperCase()}] ${finding.title}`,
        description: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: finding.description }] }] },
        priority: { name: SEED_PRIORITY[finding.severity] },
      },
    });
    for (let attempt = 0; ; attempt++) {
      if (performance.now() > deadline) throw new Error(`seed approach did not finish ${sample} creates within ${deadlineMs / 1000} s (done ${index})`);
      calls++;
      let status: number;
      let retryAfter: string | null = null;
      try {
        const response = await fetch(api, {
          method: 'POST',
          headers: { authorization: sim.credentials.basicAuthHeader, 'content-type': 'application/json', accept: 'application/json' },
          body,
        });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        await response.arrayBuffer();
      } catch {
        status = 0;
      }
      if (status === 201) break;
      if (status === 429) rateLimited++;
      const retryable = status === 0 || status === 429 || status >= 500;
      if (!retryable || attempt >= 8) {
        failed++;
        break;
      }
      const seconds = retryAfter !== null ? Number(retryAfter) : Number.NaN;
      const waitMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : Math.min(30_000, 500 * 2 ** attempt);
      sleptMs += waitMs;
      await sleep(waitMs);
    }
    if ((index + 1) % 50 === 0) progress(`seed approach: ${index + 1}/${sample} created, ${calls} calls, ${round((performance.now() - startedAt) / 1000, 1)} s`);
  }
  return { wallMs: performance.now() - startedAt, calls, rateLimited, failed, sleptMs };
}

async function run(env: BenchEnv): Promise<BenchmarkOutcome> {
  const findings = intFromEnv(env, 'BENCH_FANOUT_FINDINGS', 5000, { min: 1, max: 20_000 });
  const parameters: Parameters = {
    findings,
    findings_per_upsert: 5000,
    ids_per_bulk_request: intFromEnv(env, 'BENCH_FANOUT_IDS_PER_REQUEST', 5000, { min: 1, max: 5000 }),
    seed_sample: Math.min(findings, intFromEnv(env, 'BENCH_SEED_SAMPLE', 300, { min: 1, max: 20_000 })),
    jira_latency_ms: 50,
    jira_rate_limit: { capacity: 10, refill_per_second: 10 },
    jira_search_lag_ms: 300,
    phase_timeout_seconds: intFromEnv(env, 'BENCH_FANOUT_PHASE_TIMEOUT_SECONDS', 240, { min: 10, max: 3600 }),
    project_key: PROJECT_KEY,
    issue_type: ISSUE_TYPE,
    database: 'embedded (PGlite, in memory)',
  };
  const timeoutMs = parameters.phase_timeout_seconds * 1000;

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-fanout-'));
  const baseEnv: BenchEnv = { ...serviceEnv(dataDir), OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' };
  const config = loadConfig(baseEnv, dataDir);
  const sim = await startSimulator(parameters);
  const simCalls = countCalls(sim);
  let seedSim: JiraCloudSimulator | null = null;
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

    // 1. Setup: connection and findings (not timed as part of the fan-out).
    const connection = await inject('/api/v1/connections', {
      provider: 'jira-cloud',
      name: 'Bench Jira',
      site_url: sim.url,
      email: sim.credentials.email,
      api_token: sim.credentials.apiToken,
    });
    if (connection.statusCode !== 201) throw new Error(`POST /api/v1/connections answered ${connection.statusCode}: ${connection.body.slice(0, 500)}`);
    const connectionId = (JSON.parse(connection.body) as { id: string }).id;

    const setupStartedAt = performance.now();
    const ids: string[] = [];
    const labelOf = new Map<string, string>();
    for (let start = 0; start < findings; start += parameters.findings_per_upsert) {
      const count = Math.min(parameters.findings_per_upsert, findings - start);
      const batch = Array.from({ length: count }, (_, offset) => findingBody(start + offset));
      const response = await inject('/api/v1/findings', { findings: batch });
      if (response.statusCode !== 200) throw new Error(`POST /api/v1/findings answered ${response.statusCode}: ${response.body.slice(0, 500)}`);
      for (const finding of (JSON.parse(response.body) as { findings: { id: string; fingerprint: string }[] }).findings) {
        ids.push(finding.id);
        labelOf.set(finding.id, fingerprintLabel(finding.fingerprint));
      }
    }
    const setupMs = performance.now() - setupStartedAt;
    if (new Set(ids).size !== findings) throw new Error(`expected ${findings} distinct findings, the service stored ${new Set(ids).size}`);
    progress(`setup: ${findings} findings stored in ${round(setupMs / 1000, 2)} s`);

    // 2. Fan-out, timed.
    sim.admin.requests.clear();
    simCalls.reset();
    const fanoutStartedEpoch = Date.now();
    const fanout = await withDeadline(timeoutMs, 'fan-out', postBulk(inject, ids, connectionId, parameters.ids_per_bulk_request, 'fan-out'));
    const fanoutEndedEpoch = Date.now();
    const received = sim.admin.received();
    const createCalls = received.filter(isCreate);
    const byPath = callsByPath(sim);
    const decisions = simCalls.byKind();
    const jiraCalls = simCalls.total();
    const rateLimitedResponses = decisions['rate-limited'] ?? 0;

    const issues = sim.admin.issues();
    const perLabel = new Map<string, number>();
    let unlabelled = 0;
    for (const issue of issues) {
      const label = issue.labels.find((l) => l.startsWith('isfp-'));
      if (!label) unlabelled++;
      else perLabel.set(label, (perLabel.get(label) ?? 0) + 1);
    }
    const expectedLabels = new Set(labelOf.values());
    const duplicates = [...perLabel.values()].reduce((sum, n) => sum + (n - 1), 0);
    const missing = [...expectedLabels].filter((label) => !perLabel.has(label)).length;
    const foreign = [...perLabel.keys()].filter((label) => !expectedLabels.has(label)).length;

    // Minimum: one bulk create per 50 findings plus each distinct metadata read once.
    const distinctReads = new Set(
      received.filter((entry) => !isCreate(entry) && entry.status !== null && entry.status < 400).map((entry) => `${entry.method} ${entry.path}?${entry.query}`),
    );
    const callsNeeded = Math.ceil(findings / JIRA_BULK_CHUNK) + distinctReads.size;
    const lowerBoundMs = (callsNeeded / parameters.jira_rate_limit.refill_per_second) * 1000;
    const firstCallAt = received[0]?.at;
    const lastCallAt = received.at(-1)?.at;
    progress(`fan-out: ${round(fanout.wall_ms / 1000, 2)} s, ${jiraCalls} Jira calls (${createCalls.length} creates answered, ${rateLimitedResponses} × 429), ${issues.length} issues, ${duplicates} duplicates, ${missing} missing`);

    // 3. Repost: the same request again must create nothing.
    sim.admin.requests.clear();
    simCalls.reset();
    const issuesBefore = sim.admin.issues().length;
    const repost = await withDeadline(timeoutMs, 'repost', postBulk(inject, ids, connectionId, parameters.ids_per_bulk_request, 'repost'));
    const repostIssues = sim.admin.issues().length - issuesBefore;
    const repostNumbers = {
      issues_created: repostIssues,
      jira_calls: simCalls.total(),
      rate_limited_responses: simCalls.byKind()['rate-limited'] ?? 0,
      calls_by_path: callsByPath(sim),
      wall_ms: repost.wall_ms,
      service_summary: repost.summary,
      http_statuses: repost.statuses,
    };
    progress(`repost: ${round(repost.wall_ms / 1000, 2)} s, ${repostNumbers.jira_calls} Jira calls, ${repostIssues} issues created`);

    // 4. Seed approach on a fresh simulator with the same settings.
    seedSim = await startSimulator(parameters);
    const seedCalls = countCalls(seedSim);
    progress(`seed approach: ${parameters.seed_sample} sequential creates (one per finding)`);
    const seed = await seedApproach(seedSim, parameters.seed_sample, timeoutMs);
    const seedIssues = seedSim.admin.issues().length;
    const seedCallsTotal = seedCalls.total();
    const extrapolatedMs = (seed.wallMs / parameters.seed_sample) * findings;
    const seedNumbers = {
      sample: parameters.seed_sample,
      extrapolated: parameters.seed_sample < findings,
      wall_ms_sample: round(seed.wallMs),
      calls_sample: seedCallsTotal,
      rate_limited_responses_sample: seed.rateLimited,
      issues_created_sample: seedIssues,
      failed_sample: seed.failed,
      slept_ms_sample: round(seed.sleptMs),
      extrapolated_wall_ms: round(extrapolatedMs),
      extrapolated_calls: Math.round((seedCallsTotal / parameters.seed_sample) * findings),
      calls_per_finding: round(seedCallsTotal / parameters.seed_sample, 2),
      /** N creates at the refill rate: what even a perfectly paced one-per-finding client needs. */
      rate_bound_ms: round((findings / parameters.jira_rate_limit.refill_per_second) * 1000),
    };
    progress(`seed approach: ${round(seed.wallMs / 1000, 2)} s for ${parameters.seed_sample} (${seedCallsTotal} calls), extrapolated ${round(extrapolatedMs / 1000, 1)} s for ${findings}`);

    const results = {
      findings,
      setup_ms: round(setupMs),
      wall_ms: fanout.wall_ms,
      jira_calls: jiraCalls,
      calls_per_finding: round(jiraCalls / findings, 4),
      create_calls: createCalls.length,
      create_calls_by_status: Object.fromEntries(
        [...new Set(createCalls.map((entry) => entry.status))].map((status) => [String(status), createCalls.filter((entry) => entry.status === status).length]),
      ),
      rate_limited_responses: rateLimitedResponses,
      jira_decisions: decisions,
      calls_by_path: byPath,
      issues_created: issues.length,
      duplicates,
      missing,
      unlabelled_issues: unlabelled,
      foreign_labels: foreign,
      service_summary: fanout.summary,
      service_failures_by_code: fanout.failures_by_code,
      service_first_failure: fanout.first_failure,
      http_statuses: fanout.statuses,
      http_error_bodies: fanout.error_bodies,
      bulk_requests: fanout.requests,
      /** From the request to the first Jira request the simulator logged (service-side work before Jira). */
      first_jira_call_after_ms: firstCallAt !== undefined ? firstCallAt - fanoutStartedEpoch : null,
      /** From the last Jira request logged to the response (service-side work after Jira). */
      last_jira_call_before_end_ms: lastCallAt !== undefined ? fanoutEndedEpoch - lastCallAt : null,
      calls_needed: callsNeeded,
      metadata_reads_needed: distinctReads.size,
      lower_bound_ms: round(lowerBoundMs),
      efficiency: round(lowerBoundMs / fanout.wall_ms, 3),
      repost: repostNumbers,
      seed_approach: seedNumbers,
      speedup: round(extrapolatedMs / fanout.wall_ms, 1),
      server_rss_mb: round(process.memoryUsage().rss / 1024 / 1024),
    };

    const problems: string[] = [];
    if (duplicates !== 0) problems.push(`${duplicates} duplicate issues`);
    if (missing !== 0) problems.push(`${missing} findings without an issue`);
    if (fanout.statuses.some((status) => status !== 200)) problems.push(`bulk route answered ${fanout.statuses.join(',')}`);
    if (repostIssues !== 0) problems.push(`repost created ${repostIssues} issues`);
    if (problems.length > 0) {
      process.stderr.write(`${JSON.stringify(results, null, 2)}\n`);
      throw new Error(
        `${problems.join('; ')} — ${JSON.stringify({ wall_ms: results.wall_ms, jira_calls: jiraCalls, issues_created: issues.length, duplicates, missing, service_summary: fanout.summary, failures: fanout.failures_by_code, first_failure: fanout.first_failure, calls_by_path: byPath, http_error_bodies: fanout.error_bodies })}`,
      );
    }

    return {
      parameters,
      results,
      summary: {
        findings,
        wall_ms: results.wall_ms,
        jira_calls: jiraCalls,
        calls_per_finding: results.calls_per_finding,
        issues_created: issues.length,
        duplicates,
        missing,
        lower_bound_ms: results.lower_bound_ms,
        efficiency: results.efficiency,
        seed_extrapolated_wall_ms: seedNumbers.extrapolated_wall_ms,
        speedup: results.speedup,
      },
    };
  } finally {
    await app.close();
    await runtime.close();
    await sim.close();
    await seedSim?.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: 'jira-fanout',
  description:
    'N findings into the Jira Cloud simulator (50 ms latency, 10 requests/s) through POST /api/v1/tickets/bulk on the real service, against the seed approach (one create per finding, in sequence)',
  run,
};
