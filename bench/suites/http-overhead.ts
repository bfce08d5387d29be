/**
 * `http-overhead`: what the service adds to a light request, measured in one run on one machine.
 * Five targets, each listening on 127.0.0.1 in this process and driven in turn by autocannon (in a
 * worker thread) for the same duration, interleaved over several rounds so that a noisy neighbour
 * hits all of them alike; the median round counts:
 *
 * - `bare`: a Fastify route with no logger returning a small JSON object (the ceiling);
 * - `health_info` / `health_silent`: the real app's GET /health with LOG_LEVEL=info (the default:
 *   one access line per request, written to a file) and with logs off (one app, its level switched
 *   between targets: the metrics registry allows one app per runtime);
 * - `list_info` / `list_silent`: an authenticated GET /api/v1/findings (50 of 200 findings, JWT
 *   verified, tenant resolved, one query on the embedded database) with and without logs.
 *
 * Reported: requests per second, p50/p99 latency, the server thread's CPU time per request
 * (process.threadCpuUsage of the main thread; the load generator runs in its own thread), and each
 * target's ratio to `bare` (issue 9's target: /health with info logs at ≥ 0.70 of bare). On a busy
 * shared machine req/s swings with the neighbours; CPU per request hardly does, so both ratios are
 * given: `*_to_bare` from req/s, `*_to_bare_by_cpu` = bare's CPU per request / the target's.
 *
 * Measured 2026-12-02 on the shared 2-core machine (load 10-15), four runs with the defaults, after
 * one access line per request, the buffer-mode log destination, per-route auth and metrics hooks:
 * bare 36-49 µs CPU per request, health_silent 56-64 µs, health_info 70-81 µs, so /health with info
 * logs at 0.50-0.61 of bare by CPU (0.56-0.69 by req/s); before these changes, the same machine
 * gave 0.55 (one run) and a colleague's runs 0.40-0.53. Issue 9's 0.70 is not reached. Where the
 * rest goes (CPU profile of /health under autocannon, logs silent, in order): the zod response
 * check and serialization, @fastify/cors's per-request hook (it also runs without an Origin
 * header), the pino child logger Fastify makes per request (its request_id binding is redacted),
 * genReqId's randomUUID, the metrics recorder (prom-client hashes labels on every call), the web UI
 * plugin's onRequest hook (when web/dist is built); with info logs, pino's line assembly and the
 * asynchronous file write. The findings list costs milliseconds per request on the embedded
 * database, so its ratio is about the query, not the HTTP layer.
 *
 * Then (same day, load still high, three runs: one with 3 s per target and round, two with the
 * defaults), after cheap per-request cuts: request ids from a per-process prefix and a counter
 * instead of randomUUID, @fastify/cors skipped for requests without Origin (same headers set
 * directly), /health serialized without the zod response check (the schema still documents it),
 * the web UI hook leaving matched non-root requests at once: bare 34-38 µs CPU per request,
 * health_silent 45-53 µs, health_info 59-72 µs; by CPU health_silent at 0.72-0.77 of bare and
 * health_info at 0.53-0.58 (by req/s 0.71-0.76 and 0.59-0.67). Issue 9's 0.70 for /health with info
 * logs is still not reached: the access line (pino's child per request, serializers, redaction
 * checks, line assembly, the buffered write) is now most of the gap, about 14-19 µs per request.
 * prom-client still hashes the label object on every inc/observe of a bound child.
 *
 * 2026-12-07, after the last cuts: the access line written preformatted (src/logging/access.ts:
 * fields serialized once with the logger's own request serializer, then the logger's level label,
 * time, redacted child bindings and stream, byte for byte the line pino would write; about 1.4 µs
 * instead of 2.4 µs in isolation), request metrics tallied in plain numbers and handed to
 * prom-client at scrape (no label hashing per request), the web UI hook synchronous. From this
 * date the service targets also run the web UI's onRequest hook (a built UI in a temporary
 * WEB_UI_DIR, as in the Docker image), which the earlier runs did not. Four runs with the defaults
 * on the shared 2-core machine at load 9-19 (other agents' tests and benchmarks): /health with
 * info logs at 0.74, 0.72, 0.79 and 0.86 of bare by CPU per request (by req/s 0.78, 0.84, 1.56
 * and 0.90: at that load req/s says little), health_silent at 0.91, 0.94, 0.93 and 1.07. Issue 9's
 * 0.70 was reached in every run, with little margin in one; single rounds are noisier (the fourth
 * run's rounds: 0.62, 1.24, 0.82). What is left between info and silent is mostly not the line's
 * own CPU (in-process, through inject, a /health request with info logs to the file costs about
 * 0.6 µs more than with logs off) but how the busy machine treats a process that also writes
 * 4-5 MB/s of log: the spread between rounds of one run is as large as the gap
 * (`ratios_per_round`).
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { signHmacToken } from '../../src/auth/sign.ts';
import { loadConfig } from '../../src/config/index.ts';
import { openDatabase } from '../../src/db/database.ts';
import { bufferedDestination, createLogger } from '../../src/logging/logger.ts';
import { startRuntime } from '../../src/runtime.ts';
import { intFromEnv } from '../lib/env.ts';
import { serviceEnv } from '../lib/service-env.ts';
import { median, round } from '../lib/stats.ts';
import type { Benchmark, BenchEnv, BenchmarkOutcome } from '../lib/types.ts';

interface Target {
  name: string;
  url: string;
  headers?: Record<string, string>;
  /** The service app's log level while this target runs (the bare app has no logger). */
  level?: 'info' | 'silent';
}

interface Sample {
  requests_per_second: number;
  cpu_us_per_request: number;
  p50_ms: number;
  p99_ms: number;
  non_2xx: number;
  errors: number;
}


async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

async function run(env: BenchEnv): Promise<BenchmarkOutcome> {
  const parameters = {
    duration_seconds_per_target_and_round: intFromEnv(env, 'BENCH_DURATION_SECONDS', 5, { min: 1, max: 300 }),
    rounds: intFromEnv(env, 'BENCH_ROUNDS', 3, { min: 1, max: 20 }),
    connections: intFromEnv(env, 'BENCH_CONNECTIONS', 50, { min: 1, max: 1000 }),
    warmup_requests: intFromEnv(env, 'BENCH_WARMUP_REQUESTS', 1000, { min: 0, max: 100_000 }),
    findings_stored: 200,
    list_page_size: 50,
    load_generator_workers: 1,
    database: 'embedded (PGlite, in memory), one runtime shared by the service targets',
    info_logs_to: 'a file in a temporary directory, through the same buffered destination the service uses for stdout',
    web_ui: 'built (an index.html in a temporary WEB_UI_DIR), as in the Docker image: its onRequest hook runs on every request',
  };

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-overhead-'));
  // A built web UI, as in the Docker image, so that its onRequest hook runs as it does there.
  const webUiDir = path.join(dataDir, 'web');
  await mkdir(webUiDir);
  await writeFile(path.join(webUiDir, 'index.html'), '<!doctype html><title>bench</title>');
  const envVars: BenchEnv = { ...serviceEnv(dataDir), WEB_UI_DIR: webUiDir };
  const config = loadConfig({ ...envVars, LOG_LEVEL: 'silent' }, dataDir);
  const logFile = path.join(dataDir, 'service.log');
  // The production destination (bufferedDestination), pointed at a file instead of stdout.
  const logger = createLogger({ level: 'info', timezone: config.log.timezone, destination: bufferedDestination(logFile) });

  const database = await openDatabase({ kind: 'embedded', dir: null });
  const runtime = await startRuntime(config, { database, skipClockCheck: true, logger: logger.child({ component: 'runtime' }, { level: 'silent' }) });
  const apps: FastifyInstance[] = [];
  try {
    const bare = Fastify();
    bare.get('/health', async () => ({ status: 'ok', time: new Date().toISOString() }));
    apps.push(bare);
    const service = await buildApp({ ...runtime.context, logger });
    apps.push(service);
    const bareUrl = await listen(bare);
    const serviceUrl = await listen(service);
    // Request loggers are children of the app's logger, created per request with its level.
    const setLevel = (level: 'info' | 'silent') => {
      service.log.level = level;
    };

    const token = await signHmacToken(envVars.JWT_SECRET_KEY as string, 'HS256', { subject: 'bench', org: 'bench-org' });
    const headers = { authorization: `Bearer ${token}` };
    const findings = Array.from({ length: parameters.findings_stored }, (_, index) => ({
      kind: 'vulnerability',
      title: `Prototype pollution in pkg-${index}`,
      description: 'Upgrade to the fixed version. See https://github.com/advisories for details.',
      severity: 'high',
      ecosystem: 'npm',
      package_name: `pkg-${index}`,
      current_version: '1.0.0',
      fixed_version: '1.0.1',
      cve_ids: [`CVE-2024-${10000 + index}`],
      repo_url: 'https://github.com/acme/web',
      manifest_path: 'package.json',
    }));
    setLevel('silent');
    const seeded = await service.inject({ method: 'POST', url: '/api/v1/findings', headers, payload: { findings } });
    if (seeded.statusCode !== 200) throw new Error(`seeding findings answered ${seeded.statusCode}: ${seeded.body.slice(0, 300)}`);

    const listPath = `/api/v1/findings?limit=${parameters.list_page_size}`;
    const targets: Target[] = [
      { name: 'bare', url: `${bareUrl}/health` },
      { name: 'health_info', url: `${serviceUrl}/health`, level: 'info' },
      { name: 'health_silent', url: `${serviceUrl}/health`, level: 'silent' },
      { name: 'list_info', url: `${serviceUrl}${listPath}`, headers, level: 'info' },
      { name: 'list_silent', url: `${serviceUrl}${listPath}`, headers, level: 'silent' },
    ];
    for (const target of targets) {
      if (target.level) setLevel(target.level);
      const probe = await fetch(target.url, { headers: target.headers ?? {} });
      if (probe.status !== 200) throw new Error(`${target.name}: GET ${target.url} answered ${probe.status} before the run`);
      await probe.arrayBuffer();
      if (parameters.warmup_requests > 0) {
        await autocannon({ url: target.url, headers: target.headers ?? {}, connections: 10, amount: parameters.warmup_requests });
      }
    }

    const samples: Record<string, Sample[]> = Object.fromEntries(targets.map((target) => [target.name, []]));
    for (let round_ = 0; round_ < parameters.rounds; round_ += 1) {
      // Rotate the order each round, so no target always runs right after the heaviest one.
      const order = targets.map((_, index) => targets[(index + round_) % targets.length] as Target);
      for (const target of order) {
        if (target.level) setLevel(target.level);
        const cpuBefore = process.threadCpuUsage();
        const result = await autocannon({
          url: target.url,
          headers: target.headers ?? {},
          connections: parameters.connections,
          duration: parameters.duration_seconds_per_target_and_round,
          workers: parameters.load_generator_workers,
        });
        const cpu = process.threadCpuUsage(cpuBefore);
        samples[target.name]?.push({
          requests_per_second: result.requests.average,
          cpu_us_per_request: result.requests.total > 0 ? (cpu.user + cpu.system) / result.requests.total : 0,
          p50_ms: result.latency.p50,
          p99_ms: result.latency.p99,
          non_2xx: result.non2xx,
          errors: result.errors,
        });
      }
    }

    const perTarget: Record<string, Record<string, number | number[]>> = {};
    for (const target of targets) {
      const list = samples[target.name] ?? [];
      perTarget[target.name] = {
        requests_per_second: round(median(list.map((sample) => sample.requests_per_second))),
        rounds_requests_per_second: list.map((sample) => round(sample.requests_per_second)),
        cpu_us_per_request: round(median(list.map((sample) => sample.cpu_us_per_request))),
        rounds_cpu_us_per_request: list.map((sample) => round(sample.cpu_us_per_request)),
        p50_ms: median(list.map((sample) => sample.p50_ms)),
        p99_ms: median(list.map((sample) => sample.p99_ms)),
        non_2xx: list.reduce((sum, sample) => sum + sample.non_2xx, 0),
        errors: list.reduce((sum, sample) => sum + sample.errors, 0),
      };
    }
    const rps = (name: string) => perTarget[name]?.requests_per_second as number;
    const ratio = (name: string, base = 'bare') => round(rps(name) / rps(base), 3);
    const cpu = (name: string) => perTarget[name]?.cpu_us_per_request as number;
    const cpuRatio = (name: string, base = 'bare') => round(cpu(base) / cpu(name), 3);
    const ratios = {
      health_info_to_bare: ratio('health_info'),
      health_silent_to_bare: ratio('health_silent'),
      list_info_to_bare: ratio('list_info'),
      list_silent_to_bare: ratio('list_silent'),
      health_info_to_health_silent: ratio('health_info', 'health_silent'),
      list_info_to_list_silent: ratio('list_info', 'list_silent'),
      health_info_to_bare_by_cpu: cpuRatio('health_info'),
      health_silent_to_bare_by_cpu: cpuRatio('health_silent'),
      list_info_to_bare_by_cpu: cpuRatio('list_info'),
      list_silent_to_bare_by_cpu: cpuRatio('list_silent'),
      health_info_to_health_silent_by_cpu: cpuRatio('health_info', 'health_silent'),
      list_info_to_list_silent_by_cpu: cpuRatio('list_info', 'list_silent'),
    };
    // The same ratios round by round (each target against bare of the same round): their spread
    // shows how much of a run's ratio is the neighbours.
    const perRound = (name: string) =>
      (samples[name] ?? []).map((sample, index) => {
        const base = samples.bare?.[index]?.cpu_us_per_request ?? 0;
        return sample.cpu_us_per_request > 0 ? round(base / sample.cpu_us_per_request, 3) : 0;
      });
    const roundRatios = {
      health_info_to_bare_by_cpu: perRound('health_info'),
      health_silent_to_bare_by_cpu: perRound('health_silent'),
    };
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    const logBytes = (await stat(logFile).catch(() => ({ size: 0 }))).size;
    const results = {
      targets: perTarget,
      ratios,
      ratios_per_round: roundRatios,
      target_health_info_to_bare: 0.7,
      info_log_bytes_written: logBytes,
      server_rss_mb: round(process.memoryUsage().rss / 1024 / 1024),
    };
    return {
      parameters,
      results,
      summary: {
        bare_rps: rps('bare'),
        health_info_rps: rps('health_info'),
        list_info_rps: rps('list_info'),
        ...ratios,
        errors: Object.values(perTarget).reduce((sum, target) => sum + (target.errors as number) + (target.non_2xx as number), 0),
      },
    };
  } finally {
    for (const app of apps) await app.close().catch(() => {});
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: 'http-overhead',
  description: 'req/s of a bare Fastify route vs the service\'s /health and an authenticated findings list, with info and silent logs, in one run',
  run,
};
