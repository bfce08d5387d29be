/**
 * `npm run bench [-- <name>...]`: runs each registered benchmark in turn (or the named ones),
 * writes bench/results/<name>.json (machine, timestamp, parameters, results) and prints one JSON
 * line per benchmark on stdout. Exits non-zero when a benchmark fails or a name is unknown.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './lib/machine.ts';
import { round } from './lib/stats.ts';
import type { BenchEnv } from './lib/types.ts';
import { benchmarks } from './registry.ts';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

async function runOne(name: string, env: BenchEnv): Promise<boolean> {
  const load = benchmarks[name];
  if (!load) throw new Error(`unknown benchmark '${name}'`);
  const { benchmark } = await load();
  const timestamp = new Date().toISOString();
  const startedAt = performance.now();
  const resultFile = `bench/results/${name}.json`;
  let record: Record<string, unknown>;
  let ok = true;
  let summary: Record<string, unknown>;
  try {
    const outcome = await benchmark.run(env);
    record = {
      benchmark: name,
      description: benchmark.description,
      ok: true,
      timestamp,
      wall_seconds: round((performance.now() - startedAt) / 1000, 2),
      machine: machineInfo(),
      parameters: outcome.parameters,
      results: outcome.results,
    };
    summary = outcome.summary;
  } catch (error) {
    ok = false;
    const message = error instanceof Error ? error.message : String(error);
    record = { benchmark: name, description: benchmark.description, ok: false, timestamp, machine: machineInfo(), error: message };
    summary = { error: message };
    if (error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  }
  await mkdir(resultsDir, { recursive: true });
  await writeFile(new URL(`${name}.json`, `file://${resultsDir}`), `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify({ benchmark: name, ok, ...summary, result_file: resultFile })}\n`);
  return ok;
}

async function main(args: string[]): Promise<number> {
  const names = args.filter((arg) => !arg.startsWith('-'));
  if (args.includes('--list')) {
    for (const name of Object.keys(benchmarks)) process.stdout.write(`${name}\n`);
    return 0;
  }
  const unknown = names.filter((name) => !(name in benchmarks));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}\n`);
    return 2;
  }
  let failed = 0;
  for (const name of names.length > 0 ? names : Object.keys(benchmarks)) {
    if (!(await runOne(name, process.env))) failed++;
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
// Everything is closed by the suites; this only guards against a stray handle keeping the process up.
setTimeout(() => process.exit(), 2000).unref();
