/**
 * `import`: scanner-report import throughput and memory (issue 14). For each size (default 1k, 10k
 * and 100k findings; BENCH_IMPORT_SIZES) a synthetic Trivy report (10 lockfile targets, realistic
 * titles and descriptions) is written to a file and imported by a fresh child process (`node
 * bench/suites/import.ts <report> <database-url|embedded:dir>`) through the same service function
 * the API and the CLI use, on PostgreSQL (a scratch database per size) and, up to
 * BENCH_IMPORT_EMBEDDED_MAX findings (default 10,000), on the embedded database. Each child:
 * opens and migrates the database, imports (timed), re-imports the same report (timed: it must find everything
 * unchanged and write nothing new: no new rows, no finding's updated_at moved), and reports its peak
 * RSS (VmHWM: whole process, setup alone, and the imports alone after resetting the mark) and its RSS
 * before the import. BENCH_IMPORT_DATABASES=embedded|postgres limits the run to one database;
 * BENCH_IMPORT_NODE_FLAGS passes Node/V8 flags to the child (e.g. --liftoff-only). Results: findings/s and peak RSS per size, and their growth ratios
 * from the smallest size up.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminTarget, createScratchDatabase, describeUrl } from '../lib/postgres.ts';
import { intFromEnv } from '../lib/env.ts';
import { perSecond, round } from '../lib/stats.ts';
import type { Benchmark, BenchEnv, BenchmarkOutcome } from '../lib/types.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const nodeBinary = path.join(repoRoot, 'node_modules/.bin/node');

/** Writes a Trivy JSON report with `count` findings (pretty-printed like Trivy's own output). */
export async function writeReport(file: string, count: number): Promise<number> {
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const targets = 10;
  await write('{\n  "SchemaVersion": 2,\n  "ArtifactName": "bench-repo",\n  "ArtifactType": "filesystem",\n  "Results": [\n');
  for (let t = 0; t < targets; t++) {
    await write(`    {\n      "Target": "services/svc-${t}/package-lock.json",\n      "Class": "lang-pkgs",\n      "Type": "npm",\n      "Vulnerabilities": [\n`);
    const from = Math.floor((count * t) / targets);
    const to = Math.floor((count * (t + 1)) / targets);
    for (let i = from; i < to; i++) {
      const vuln = {
        VulnerabilityID: `CVE-2024-${String(100000 + i)}`,
        PkgID: `bench-pkg-${i}@1.${i % 10}.0`,
        PkgName: `bench-pkg-${i}`,
        PkgIdentifier: { PURL: `pkg:npm/bench-pkg-${i}@1.${i % 10}.0` },
        InstalledVersion: `1.${i % 10}.0`,
        FixedVersion: `1.${i % 10}.1, 2.0.0`,
        Status: 'fixed',
        SeveritySource: 'ghsa',
        Title: `bench-pkg-${i}: prototype pollution in merge() allows property injection`,
        Description: `bench-pkg-${i} before 1.${i % 10}.1 lets an attacker who controls the input to merge() add or modify properties of Object.prototype, leading to denial of service or, in some applications, remote code execution.`,
        Severity: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'][i % 4],
        CweIDs: ['CWE-1321'],
        CVSS: { ghsa: { V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', V3Score: 9.8 } },
        References: [`https://github.com/advisories/GHSA-bench-${i}`, `https://nvd.nist.gov/vuln/detail/CVE-2024-${100000 + i}`],
        PublishedDate: '2024-01-01T00:00:00Z',
      };
      const lines = JSON.stringify(vuln, null, 2).replace(/\n/g, '\n        ');
      await write(`        ${lines}${i < to - 1 ? ',' : ''}\n`);
    }
    await write(`      ]\n    }${t < targets - 1 ? ',' : ''}\n`);
  }
  await write('  ]\n}\n');
  out.end();
  await once(out, 'close');
  return (await stat(file)).size;
}

interface ChildResult {
  findings: number;
  rss_before_mb: number;
  peak_rss_mb: number;
  /** High-water mark of opening the database and migrating it (before the first import). */
  peak_rss_setup_mb: number;
  /** High-water mark of the two imports alone (the mark reset after setup); null where Linux cannot reset it. */
  peak_rss_import_mb: number | null;
  first: { ms: number; new: number; updated: number; unchanged: number };
  again: { ms: number; new: number; updated: number; unchanged: number; resolved: number; rows_added: number; rows_touched: number };
}

function runChild(report: string, database: string, nodeFlags: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary, [...nodeFlags, fileURLToPath(import.meta.url), report, database], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`import child failed (${code}): ${stderr.slice(-2000)}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult);
    });
  });
}

async function vm(field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  return round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) / 1024, 1);
}

/** Resets this process's VmHWM to its current RSS (Linux clear_refs 5); false when not possible. */
async function resetPeak(): Promise<boolean> {
  const { writeFile } = await import('node:fs/promises');
  try {
    await writeFile('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** The child: one database, one report, two imports. */
async function child(report: string, database: string): Promise<void> {
  const { createReadStream } = await import('node:fs');
  const { sql } = await import('drizzle-orm');
  const { openDatabase } = await import('../../src/db/database.ts');
  const { runMigrations } = await import('../../src/db/migrate.ts');
  const { TenantDirectory } = await import('../../src/services/tenancy.ts');
  const { importReport } = await import('../../src/services/imports/import-service.ts');
  const db = await openDatabase(database.startsWith('embedded:') ? { kind: 'embedded', dir: database.slice('embedded:'.length) } : { kind: 'postgres', url: database });
  try {
    await runMigrations(db);
    const orgId = await new TenantDirectory(db.orm).orgId('bench-org');
    const rssBefore = await vm('VmRSS');
    const setupPeak = await vm('VmHWM');
    const reset = await resetPeak();
    const options = { orgId, actor: 'bench', target: 'bench-repo', format: 'trivy' as const };
    let started = performance.now();
    const first = await importReport(db.orm, { ...options, source: createReadStream(report) });
    const firstMs = performance.now() - started;
    const stamp = async () => {
      // The newest updated_at as text: microseconds kept (a JS Date would round them away).
      const result = await db.orm.execute(sql`select count(*)::int as n, coalesce(max(updated_at), 'epoch')::text as at from findings`);
      const rows = ((result as { rows?: unknown[] }).rows ?? result) as { n: number; at: string }[];
      return { n: Number(rows[0]!.n), at: rows[0]!.at };
    };
    const before = await stamp();
    started = performance.now();
    const again = await importReport(db.orm, { ...options, source: createReadStream(report) });
    const againMs = performance.now() - started;
    const after = await stamp();
    const touched = await db.orm.execute(sql`select count(*)::int as n from findings where updated_at > ${before.at}::timestamptz`);
    const touchedRows = ((touched as { rows?: unknown[] }).rows ?? touched) as { n: number }[];
    const result: ChildResult = {
      findings: first.received,
      rss_before_mb: rssBefore,
      peak_rss_mb: Math.max(setupPeak, await vm('VmHWM')),
      peak_rss_setup_mb: setupPeak,
      peak_rss_import_mb: reset ? await vm('VmHWM') : null,
      first: { ms: round(firstMs, 0), new: first.new, updated: first.updated, unchanged: first.unchanged },
      again: { ms: round(againMs, 0), new: again.new, updated: again.updated, unchanged: again.unchanged, resolved: again.resolved, rows_added: after.n - before.n, rows_touched: Number(touchedRows[0]!.n) },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await db.close();
  }
}

function sizesFrom(env: BenchEnv): number[] {
  const raw = env.BENCH_IMPORT_SIZES?.trim();
  if (!raw) return [1_000, 10_000, 100_000];
  const sizes = raw.split(',').map((s) => Number(s.trim()));
  if (sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 1_000_000)) throw new Error(`BENCH_IMPORT_SIZES must be integers from 1 to 1000000, got '${raw}'`);
  return sizes;
}

export const benchmark: Benchmark = {
  name: 'import',
  description: 'Trivy report import: findings/s and peak RSS of a fresh process at 1k/10k/100k findings (PostgreSQL, and embedded up to a size), and a re-import that writes nothing new',
  async run(env: BenchEnv): Promise<BenchmarkOutcome> {
    const sizes = sizesFrom(env);
    const embeddedMax = intFromEnv(env, 'BENCH_IMPORT_EMBEDDED_MAX', 10_000, { min: 0, max: 1_000_000 });
    // BENCH_IMPORT_DATABASES=embedded (or postgres) measures one database only.
    const only = env.BENCH_IMPORT_DATABASES?.trim() || 'postgres,embedded';
    const databases = new Set(only.split(',').map((name) => name.trim()));
    if ([...databases].some((name) => name !== 'postgres' && name !== 'embedded')) throw new Error(`BENCH_IMPORT_DATABASES lists postgres and/or embedded, got '${only}'`);
    // Node/V8 flags for the importing child, e.g. BENCH_IMPORT_NODE_FLAGS=--liftoff-only (docs/importing.md, Memory).
    const nodeFlags = (env.BENCH_IMPORT_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
    if (nodeFlags.some((flag) => !/^--[a-z0-9-]+(=[\w.-]+)?$/.test(flag))) throw new Error(`BENCH_IMPORT_NODE_FLAGS takes --flags only, got '${env.BENCH_IMPORT_NODE_FLAGS}'`);
    const admin = adminTarget(env);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-import-'));
    const runs: Record<string, unknown>[] = [];
    try {
      for (const size of sizes) {
        const report = path.join(dir, `trivy-${size}.json`);
        const bytes = await writeReport(report, size);
        const targets: { database: string; url: string; drop: () => Promise<void> }[] = [];
        if (databases.has('postgres')) {
          const scratch = await createScratchDatabase(admin.url);
          targets.push({ database: 'postgres', url: scratch.url, drop: () => scratch.drop() });
        }
        if (databases.has('embedded') && size <= embeddedMax) {
          const folder = path.join(dir, `pgdata-${size}`);
          targets.push({ database: 'embedded', url: `embedded:${folder}`, drop: () => rm(folder, { recursive: true, force: true }) });
        }
        for (const target of targets) {
          try {
            const result = await runChild(report, target.url, nodeFlags);
            if (result.again.new !== 0 || result.again.updated !== 0 || result.again.rows_added !== 0 || result.again.rows_touched !== 0 || result.again.unchanged !== size) {
              throw new Error(`re-import of ${size} findings on ${target.database} wrote something: ${JSON.stringify(result.again)}`);
            }
            runs.push({
              database: target.database,
              ...(target.database === 'postgres' ? { server: describeUrl(admin.url) } : {}),
              findings: size,
              report_mb: round(bytes / 1024 / 1024, 1),
              import_ms: result.first.ms,
              findings_per_second: perSecond(size, result.first.ms),
              reimport_ms: result.again.ms,
              reimport_findings_per_second: perSecond(size, result.again.ms),
              reimport_wrote_nothing_new: true,
              rss_before_import_mb: result.rss_before_mb,
              peak_rss_mb: result.peak_rss_mb,
              peak_rss_setup_mb: result.peak_rss_setup_mb,
              peak_rss_import_mb: result.peak_rss_import_mb,
              first: result.first,
              again: result.again,
            });
          } finally {
            await target.drop();
          }
        }
        await rm(report, { force: true });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const growth = (database: string) => {
      const mine = runs.filter((r) => r.database === database) as { findings: number; findings_per_second: number; peak_rss_mb: number }[];
      const base = mine[0];
      return mine.map((r) => ({
        findings: r.findings,
        size_ratio: base ? round(r.findings / base.findings, 0) : null,
        throughput_ratio: base ? round(r.findings_per_second / base.findings_per_second, 2) : null,
        peak_rss_ratio: base ? round(r.peak_rss_mb / base.peak_rss_mb, 2) : null,
      }));
    };
    return {
      parameters: { sizes, embedded_max: embeddedMax, databases: [...databases], node_flags: nodeFlags, targets_per_report: 10, chunk: 500, database: describeUrl(admin.url) },
      results: { runs, growth: { postgres: growth('postgres'), embedded: growth('embedded') } },
      summary: Object.fromEntries(
        runs.map((r) => [`${r.database}_${r.findings}`, { findings_per_second: r.findings_per_second, peak_rss_mb: r.peak_rss_mb, reimport_ms: r.reimport_ms }]),
      ),
    };
  },
};

if (import.meta.main) {
  const [report, database] = process.argv.slice(2);
  if (!report || !database) {
    process.stderr.write('usage: node bench/suites/import.ts <report> <postgres-url|embedded:dir>\n');
    process.exit(2);
  }
  await child(report, database);
}
