/**
 * `jobs-throughput`: jobs per second through the service's JobQueue (pg-boss) with a no-op `update`
 * handler, on the embedded database (PGlite in a temp dir) and on PostgreSQL (a scratch database,
 * when a server answers). Two phases per database:
 *  - backlog: enqueue N jobs with no worker running (enqueue rate), then start the worker and time
 *    until all N are completed (drain rate);
 *  - live: with the worker running, enqueue N more and time from the first enqueue until all are
 *    completed (end-to-end rate).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { JobQueue, type JobPolicy } from '../../src/jobs/queue.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { intFromEnv } from '../lib/env.ts';
import { onScratchPostgres } from '../lib/postgres.ts';
import { perSecond, round, runBounded, sleep } from '../lib/stats.ts';
import type { Benchmark, BenchEnv, BenchmarkOutcome } from '../lib/types.ts';

interface Parameters {
  jobs: number;
  worker_concurrency: number;
  enqueue_concurrency: number;
  phase_timeout_seconds: number;
}

interface PhaseNumbers {
  jobs_completed: number;
  elapsed_ms: number;
  jobs_per_second: number;
  /** false when the phase deadline passed first; the rate is then completed jobs over the deadline. */
  finished: boolean;
}

interface QueueNumbers {
  queue_start_ms: number;
  enqueue: { jobs: number; elapsed_ms: number; jobs_per_second: number };
  drain: PhaseNumbers;
  end_to_end: PhaseNumbers;
}

const policy: JobPolicy = { timeoutSeconds: 300, maxAttempts: 1, retryDelaySeconds: 5, retryDelayMaxSeconds: 60 };
/** The no-op handler never reads the ticket: one id serves every job (the payload only has to validate). */
const BENCH_TICKET = '00000000-0000-4000-8000-000000000001';
const logger = createLogger({ level: 'silent', timezone: 'Asia/Kolkata' });

async function completedSyncJobs(queue: JobQueue): Promise<number> {
  return (await queue.counts())['update:completed'] ?? 0;
}

/**
 * Waits until `target` jobs are recorded completed or the deadline passes: first on the handler's
 * in-memory counter (cheap), then polling the table until pg-boss has recorded them all.
 */
async function waitForCompleted(
  queue: JobQueue,
  handled: () => number,
  target: { handled: number; completed: number },
  startedAt: number,
  deadline: number,
): Promise<{ completed: number; elapsedMs: number; finished: boolean }> {
  while (handled() < target.handled && performance.now() < deadline) await sleep(5);
  let completed = await completedSyncJobs(queue);
  while (completed < target.completed && performance.now() < deadline) {
    await sleep(10);
    completed = await completedSyncJobs(queue);
  }
  const elapsedMs = Math.min(performance.now(), deadline) - startedAt;
  return { completed, elapsedMs, finished: completed >= target.completed };
}

function phase(completed: number, elapsedMs: number, finished: boolean): PhaseNumbers {
  return { jobs_completed: completed, elapsed_ms: round(elapsedMs), jobs_per_second: perSecond(completed, elapsedMs), finished };
}

/**
 * The service's schema and one organization: every job is recorded per org in `job_records` (the
 * queue's tenant scoping), so the jobs need a real org id, as in the service.
 */
async function prepare(db: Database): Promise<string> {
  await runMigrations(db);
  const rows = await db.query<{ id: string }>(`insert into organizations (id, slug, name) values (gen_random_uuid(), 'bench', 'Bench') returning id`);
  return rows[0]!.id;
}

async function measureQueue(db: Database, parameters: Parameters): Promise<QueueNumbers> {
  const orgId = await prepare(db);
  const queue = new JobQueue(db, logger, policy);
  const timeoutMs = parameters.phase_timeout_seconds * 1000;
  let handled = 0;
  let startedAt = performance.now();
  await queue.start();
  const queueStartMs = performance.now() - startedAt;
  try {
    const enqueue = (offset: number) =>
      runBounded(parameters.jobs, parameters.enqueue_concurrency, (index) =>
        queue.enqueue('update', { org_id: orgId, ticket_id: BENCH_TICKET, fields: ['priority'], reason: `bench ${offset + index}` }),
      );

    // Backlog: everything queued first, then one worker drains it.
    startedAt = performance.now();
    await enqueue(0);
    const enqueueMs = performance.now() - startedAt;

    startedAt = performance.now();
    await queue.work(
      {
        update: async () => {
          handled++;
        },
      },
      parameters.worker_concurrency,
    );
    const target = { handled: parameters.jobs, completed: parameters.jobs };
    const drain = await waitForCompleted(queue, () => handled, target, startedAt, startedAt + timeoutMs);

    // A backlog left over from a slow drain would blur the next phase: drop what is still queued
    // (jobs already active then may still land in the next count: at most worker_concurrency).
    if (!drain.finished) {
      await queue.boss.deleteQueuedJobs('update');
      await sleep(200);
    }

    // Live: the worker is already waiting when the jobs arrive (what a running service sees).
    const before = { handled, completed: await completedSyncJobs(queue) };
    startedAt = performance.now();
    await enqueue(parameters.jobs);
    const live = await waitForCompleted(
      queue,
      () => handled,
      { handled: before.handled + parameters.jobs, completed: before.completed + parameters.jobs },
      startedAt,
      startedAt + timeoutMs,
    );

    return {
      queue_start_ms: round(queueStartMs),
      enqueue: { jobs: parameters.jobs, elapsed_ms: round(enqueueMs), jobs_per_second: perSecond(parameters.jobs, enqueueMs) },
      drain: phase(drain.completed, drain.elapsedMs, drain.finished),
      end_to_end: phase(live.completed - before.completed, live.elapsedMs, live.finished),
    };
  } finally {
    await queue.stop(5000);
  }
}

async function embedded(parameters: Parameters): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-jobs-'));
  try {
    const startedAt = performance.now();
    const db = await openDatabase({ kind: 'embedded', dir: path.join(dir, 'pgdata') });
    const openMs = performance.now() - startedAt;
    try {
      return { status: 'measured', database: 'PGlite (temp dir)', open_ms: round(openMs), ...(await measureQueue(db, parameters)) };
    } finally {
      await db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function run(env: BenchEnv): Promise<BenchmarkOutcome> {
  const parameters: Parameters = {
    jobs: intFromEnv(env, 'BENCH_JOBS', 2000, { min: 1, max: 100_000 }),
    worker_concurrency: intFromEnv(env, 'BENCH_WORKER_CONCURRENCY', 4, { min: 1, max: 256 }),
    enqueue_concurrency: intFromEnv(env, 'BENCH_ENQUEUE_CONCURRENCY', 8, { min: 1, max: 256 }),
    phase_timeout_seconds: intFromEnv(env, 'BENCH_PHASE_TIMEOUT_SECONDS', 30, { min: 1, max: 1800 }),
  };
  const results = { embedded: await embedded(parameters), postgres: await onScratchPostgres(env, async (db) => ({ ...(await measureQueue(db, parameters)) })) };
  const headline = (numbers: Record<string, unknown>) => {
    if (numbers.status !== 'measured') return { status: numbers.status };
    const measured = numbers as unknown as QueueNumbers;
    return {
      enqueue_jobs_per_second: measured.enqueue.jobs_per_second,
      drain_jobs_per_second: measured.drain.jobs_per_second,
      end_to_end_jobs_per_second: measured.end_to_end.jobs_per_second,
      all_finished: measured.drain.finished && measured.end_to_end.finished,
    };
  };
  return {
    parameters: { ...parameters, job_kind: 'update', handler: 'no-op' },
    results,
    summary: {
      embedded: { open_ms: results.embedded.open_ms, ...headline(results.embedded) },
      postgres: headline(results.postgres),
    },
  };
}

export const benchmark: Benchmark = {
  name: 'jobs-throughput',
  description: 'Jobs per second through the pg-boss job queue with a no-op handler, on PGlite and on PostgreSQL',
  run,
};
