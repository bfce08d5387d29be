/**
 * `http-health`: the real app (runtime + Fastify, in-memory embedded database) listening on
 * 127.0.0.1, driven with autocannon on GET /health for a fixed duration. The load generator runs in
 * a worker thread so it does not share the server's event loop.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { openDatabase } from '../../src/db/database.ts';
import { startRuntime } from '../../src/runtime.ts';
import { intFromEnv } from '../lib/env.ts';
import { serviceEnv } from '../lib/service-env.ts';
import { round } from '../lib/stats.ts';
import type { Benchmark, BenchEnv, BenchmarkOutcome } from '../lib/types.ts';

async function run(env: BenchEnv): Promise<BenchmarkOutcome> {
  const parameters = {
    path: '/health',
    duration_seconds: intFromEnv(env, 'BENCH_DURATION_SECONDS', 10, { min: 1, max: 300 }),
    connections: intFromEnv(env, 'BENCH_CONNECTIONS', 50, { min: 1, max: 1000 }),
    warmup_requests: intFromEnv(env, 'BENCH_WARMUP_REQUESTS', 500, { min: 0, max: 100_000 }),
    load_generator_workers: 1,
    database: 'embedded (PGlite, in memory)',
  };

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-http-'));
  const config = loadConfig(serviceEnv(dataDir), dataDir);
  const startedAt = performance.now();
  const database = await openDatabase({ kind: 'embedded', dir: null });
  const runtime = await startRuntime(config, { database, skipClockCheck: true });
  const app = await buildApp(runtime.context);
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const startupMs = performance.now() - startedAt;
    const { port } = app.server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}${parameters.path}`;

    const probe = await fetch(url);
    if (probe.status !== 200) throw new Error(`GET ${parameters.path} answered ${probe.status} before the run`);
    await probe.arrayBuffer();

    if (parameters.warmup_requests > 0) {
      await autocannon({ url, connections: Math.min(10, parameters.connections), amount: parameters.warmup_requests });
    }
    const result = await autocannon({
      url,
      connections: parameters.connections,
      duration: parameters.duration_seconds,
      workers: parameters.load_generator_workers,
    });

    const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, Number(stat.count)]));
    const results = {
      startup_ms: round(startupMs),
      requests_total: result.requests.total,
      requests_per_second: round(result.requests.average),
      latency_ms: {
        average: round(result.latency.average, 2),
        p50: result.latency.p50,
        p90: result.latency.p90,
        p97_5: result.latency.p97_5,
        p99: result.latency.p99,
        max: result.latency.max,
      },
      throughput_bytes_per_second: round(result.throughput.average),
      errors: result.errors,
      timeouts: result.timeouts,
      non_2xx: result.non2xx,
      status_codes: statusCodes,
      measured_duration_seconds: result.duration,
      server_rss_mb: round(process.memoryUsage().rss / 1024 / 1024),
    };
    return {
      parameters,
      results,
      summary: {
        requests_per_second: results.requests_per_second,
        p50_ms: results.latency_ms.p50,
        p99_ms: results.latency_ms.p99,
        errors: results.errors,
        non_2xx: results.non_2xx,
      },
    };
  } finally {
    await app.close();
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: 'http-health',
  description: 'GET /health on the real app (in-memory embedded database) under autocannon load',
  run,
};
