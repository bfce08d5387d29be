/**
 * `memory`: resident memory of a real `serve` process (spawned exactly as the docs say, `node
 * src/main/cli.ts serve`, with NODE_OPTIONS from BENCH_NODE_OPTIONS if given) on both databases:
 *
 * - idle: after start, a warm-up (findings written and listed, /health) and a quiet period;
 * - under load: peak and final VmRSS while autocannon drives /health and an authenticated findings
 *   list for BENCH_MEMORY_LOAD_SECONDS, with batches of findings written alongside;
 * - idle after load: after the same quiet period.
 *
 * RSS is VmRSS from /proc/<pid>/status (Linux). The embedded run uses a fresh data folder (so its
 * first open, initdb, is included); the PostgreSQL run a fresh database on BENCH_DATABASE_URL /
 * TEST_DATABASE_URL / postgres://postgres@127.0.0.1:5432, dropped afterwards. PostgreSQL's own
 * processes are not counted (they are the server's, shared by every client).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { signHmacToken } from '../../src/auth/sign.ts';
import { intFromEnv } from '../lib/env.ts';
import { adminTarget, createScratchDatabase, describeUrl, type ScratchDatabase } from '../lib/postgres.ts';
import { round } from '../lib/stats.ts';
import type { Benchmark, BenchEnv, BenchmarkOutcome } from '../lib/types.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

type Parameters = {
  warmup_requests: number;
  settle_seconds: number;
  load_seconds: number;
  connections: number;
  findings_batches_under_load: number;
  node_options: string;
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS for process ${pid}`);
  return round(kb / 1024, 1);
}

async function hwmMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024, 1);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitReady(base: string, child: ChildProcess, output: () => string): Promise<number> {
  const startedAt = performance.now();
  while (performance.now() - startedAt < 120_000) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode} before it was ready: ${output().slice(-2000)}`);
    const ok = await fetch(`${base}/ready`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) return performance.now() - startedAt;
    await sleep(200);
  }
  throw new Error(`serve was not ready within 120 s: ${output().slice(-2000)}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function findingsBatch(offset: number, size: number): string {
  const findings = Array.from({ length: size }, (_, i) => ({
    kind: 'vulnerability',
    title: `Prototype pollution in pkg-${offset + i}`,
    description: 'Upgrade to the fixed version. '.repeat(8),
    severity: 'high',
    ecosystem: 'npm',
    package_name: `pkg-${offset + i}`,
    current_version: '1.0.0',
    fixed_version: '1.0.1',
    cve_ids: [`CVE-2024-${String(10000 + offset + i)}`],
    repo_url: 'https://github.com/acme/web',
    manifest_path: 'package.json',
  }));
  return JSON.stringify({ findings });
}

async function measureOne(database: 'embedded' | 'postgres', databaseUrl: string | null, parameters: Parameters) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-memory-'));
  const port = await freePort();
  const secret = randomBytes(32).toString('hex');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    // The default log level: what a real deployment pays. Logs go to a pipe that is drained.
    LOG_LEVEL: 'info',
    NTP_SERVER: 'off',
    JWT_SECRET_KEY: secret,
    ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(parameters.node_options ? { NODE_OPTIONS: parameters.node_options } : {}),
  };
  let output = '';
  const child = spawn(process.execPath, ['src/main/cli.ts', 'serve'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const pid = child.pid;
  if (!pid) throw new Error('could not start serve');
  const base = `http://127.0.0.1:${port}`;
  try {
    const startupMs = await waitReady(base, child, () => output);
    const startupPeakMb = await hwmMb(pid);
    const token = await signHmacToken(secret, 'HS256', { subject: 'bench', org: 'bench-org', roles: ['admin'] });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    // Warm-up: every path the load uses once, then a few hundred requests.
    for (let batch = 0; batch < 5; batch++) {
      const response = await fetch(`${base}/api/v1/findings`, { method: 'POST', headers, body: findingsBatch(batch * 100, 100) });
      if (response.status !== 200) throw new Error(`POST /api/v1/findings answered ${response.status}: ${await response.text()}`);
    }
    const list = await fetch(`${base}/api/v1/findings?limit=50`, { headers });
    if (list.status !== 200) throw new Error(`GET /api/v1/findings answered ${list.status}`);
    await autocannon({ url: `${base}/health`, connections: 10, amount: parameters.warmup_requests });
    await autocannon({ url: `${base}/api/v1/findings?limit=50`, headers, connections: 10, amount: parameters.warmup_requests });
    await sleep(parameters.settle_seconds * 1000);
    const idleMb = await rssMb(pid);

    let peakMb = idleMb;
    const sampler = setInterval(() => {
      rssMb(pid).then(
        (mb) => {
          peakMb = Math.max(peakMb, mb);
        },
        () => {},
      );
    }, 250);
    const writes = (async () => {
      for (let batch = 0; batch < parameters.findings_batches_under_load; batch++) {
        const response = await fetch(`${base}/api/v1/findings`, { method: 'POST', headers, body: findingsBatch(1000 + batch * 200, 200) });
        await response.arrayBuffer();
      }
    })();
    const half = Math.max(1, Math.floor(parameters.connections / 2));
    const [health, listing] = await Promise.all([
      autocannon({ url: `${base}/health`, connections: half, duration: parameters.load_seconds }),
      autocannon({ url: `${base}/api/v1/findings?limit=50`, headers, connections: half, duration: parameters.load_seconds }),
    ]);
    await writes;
    clearInterval(sampler);
    const endOfLoadMb = await rssMb(pid);
    peakMb = Math.max(peakMb, endOfLoadMb);

    await sleep(parameters.settle_seconds * 1000);
    const idleAfterLoadMb = await rssMb(pid);
    return {
      startup_ms: round(startupMs),
      startup_peak_rss_mb: startupPeakMb,
      idle_rss_mb: idleMb,
      under_load_peak_rss_mb: peakMb,
      under_load_end_rss_mb: endOfLoadMb,
      idle_after_load_rss_mb: idleAfterLoadMb,
      process_peak_rss_mb: await hwmMb(pid),
      load: {
        health_requests_per_second: round(health.requests.average),
        findings_list_requests_per_second: round(listing.requests.average),
        non_2xx: health.non2xx + listing.non2xx,
        errors: health.errors + listing.errors,
      },
    };
  } finally {
    await stop(child);
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function run(env: BenchEnv): Promise<BenchmarkOutcome> {
  if (process.platform !== 'linux') throw new Error('the memory benchmark reads /proc/<pid>/status (Linux only)');
  const parameters: Parameters = {
    warmup_requests: intFromEnv(env, 'BENCH_WARMUP_REQUESTS', 500, { min: 0, max: 100_000 }),
    settle_seconds: intFromEnv(env, 'BENCH_MEMORY_SETTLE_SECONDS', 10, { min: 0, max: 600 }),
    load_seconds: intFromEnv(env, 'BENCH_MEMORY_LOAD_SECONDS', 10, { min: 1, max: 600 }),
    connections: intFromEnv(env, 'BENCH_CONNECTIONS', 20, { min: 2, max: 1000 }),
    findings_batches_under_load: intFromEnv(env, 'BENCH_MEMORY_WRITE_BATCHES', 10, { min: 0, max: 1000 }),
    node_options: env.BENCH_NODE_OPTIONS ?? '',
  };
  const results: Record<string, unknown> = {};
  results.embedded = await measureOne('embedded', null, parameters);

  const admin = adminTarget(env);
  let scratch: ScratchDatabase | null = null;
  try {
    scratch = await createScratchDatabase(admin.url);
  } catch (error) {
    if (admin.explicit) throw error;
    results.postgres = { skipped: `no PostgreSQL at ${describeUrl(admin.url)} (set BENCH_DATABASE_URL)` };
  }
  if (scratch) {
    try {
      results.postgres = { server: describeUrl(admin.url), server_version: scratch.serverVersion, ...(await measureOne('postgres', scratch.url, parameters)) };
    } finally {
      await scratch.drop();
    }
  }
  const pick = (entry: unknown) => {
    const value = entry as { idle_rss_mb?: number; under_load_peak_rss_mb?: number; idle_after_load_rss_mb?: number; skipped?: string };
    return value.skipped ? { skipped: value.skipped } : { idle: value.idle_rss_mb, load_peak: value.under_load_peak_rss_mb, idle_after_load: value.idle_after_load_rss_mb };
  };
  return {
    parameters,
    results,
    summary: { rss_mb_embedded: pick(results.embedded), rss_mb_postgres: pick(results.postgres) },
  };
}

export const benchmark: Benchmark = {
  name: 'memory',
  description: 'Resident memory (VmRSS) of a real serve process, idle and under load, on the embedded database and on PostgreSQL',
  run,
};
