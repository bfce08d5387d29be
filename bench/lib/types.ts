/**
 * The contract every benchmark module under bench/suites implements: run with the given
 * environment, stop by itself within bounded time and count, and return what it measured.
 * The runner (bench/run.ts) adds the machine, the timestamp and writes the result file.
 */
export type BenchEnv = Record<string, string | undefined>;

export interface BenchmarkOutcome {
  /** The inputs that shaped the numbers (durations, counts, concurrency), recorded with them. */
  parameters: Record<string, unknown>;
  /** Everything measured, for bench/results/<name>.json. */
  results: Record<string, unknown>;
  /** The headline numbers, printed as one JSON line on stdout. */
  summary: Record<string, unknown>;
}

export interface Benchmark {
  name: string;
  description: string;
  run(env: BenchEnv): Promise<BenchmarkOutcome>;
}
