/** Every benchmark, by name, in the order `npm run bench` runs them. Adding one: a module under suites/ and a line here. */
import type { Benchmark } from './lib/types.ts';

export const benchmarks: Record<string, () => Promise<{ benchmark: Benchmark }>> = {
  'http-health': () => import('./suites/http-health.ts'),
  'http-overhead': () => import('./suites/http-overhead.ts'),
  'jobs-throughput': () => import('./suites/jobs-throughput.ts'),
  'jira-fanout': () => import('./suites/jira-fanout.ts'),
  'servicenow-fanout': () => import('./suites/servicenow-fanout.ts'),
  'pr-engine': () => import('./suites/pr-engine.ts'),
  memory: () => import('./suites/memory.ts'),
  import: () => import('./suites/import.ts'),
  'webhook-ingest': () => import('./suites/webhook-ingest.ts'),
};
