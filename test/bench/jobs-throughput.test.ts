/**
 * The jobs-throughput benchmark runs at all (a few jobs, embedded database; PostgreSQL too when
 * TEST_DATABASE_URL is set). It failed with `relation "job_records" does not exist` from the day
 * jobs were recorded per organization, because it queued onto an unmigrated database with a made-up
 * org id; the numbers themselves are `npm run bench`'s business, not this test's.
 */
import { describe, expect, it } from 'vitest';
import { benchmark } from '../../bench/suites/jobs-throughput.ts';

describe('bench jobs-throughput', () => {
  it('queues, drains and counts its jobs through the real queue', async () => {
    const env: Record<string, string | undefined> = { BENCH_JOBS: '12', BENCH_PHASE_TIMEOUT_SECONDS: '60' };
    if (process.env.TEST_DATABASE_URL) env.TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
    const outcome = await benchmark.run(env);
    const results = outcome.results as Record<string, { status: string; drain?: { jobs_completed: number; finished: boolean } }>;
    expect(results.embedded!.status).toBe('measured');
    expect(results.embedded!.drain).toMatchObject({ jobs_completed: 12, finished: true });
    if (process.env.TEST_DATABASE_URL) expect(results.postgres!.drain).toMatchObject({ jobs_completed: 12, finished: true });
  }, 240_000);
});
