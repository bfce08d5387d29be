/**
 * The durable job queue: pg-boss on the service's own database (PGlite through pg-boss's
 * `fromPglite` adapter, or PostgreSQL with any number of worker processes). pg-boss gives
 * SKIP LOCKED fetching, retries with exponential backoff and jitter, expiry of jobs whose worker
 * died, and keeps failed jobs. This module adds tenant scoping, Retry-After and permanent failures.
 */
import { fromPglite, type JobResult, type JobWithMetadata, PgBoss } from 'pg-boss';
import type { CursorPosition } from '../db/cursor.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../logging/logger.ts';
import { PermanentJobError, RetryLaterError } from './errors.ts';
import { type JobData, type JobKind, type JobState, jobKinds } from './kinds.ts';

export interface JobPolicy {
  timeoutSeconds: number;
  maxAttempts: number;
  retryDelaySeconds: number;
  retryDelayMaxSeconds: number;
}

export interface JobView {
  id: string;
  kind: JobKind;
  state: JobState;
  attempts: number;
  max_attempts: number;
  next_run_at: string | null;
  last_error: string | null;
  created_at: string;
  completed_at: string | null;
  data: Record<string, unknown>;
}

export interface JobContext {
  id: string;
  kind: JobKind;
  attempt: number;
  signal: AbortSignal;
  logger: Logger;
}

export type JobHandler = (data: JobData, context: JobContext) => Promise<unknown>;

const SCHEMA = 'pgboss';
/** Kinds enqueued with a singleton key (one per ticket or PR), so duplicates collapse. */
const singletonKinds = new Set<JobKind>(['create']);

export class JobQueue {
  readonly boss: PgBoss;
  readonly #db: Database;
  readonly #logger: Logger;
  readonly #policy: JobPolicy;
  #started = false;
  #working = false;
  readonly #inflight = new Map<string, AbortController>();

  constructor(db: Database, logger: Logger, policy: JobPolicy) {
    this.#db = db;
    this.#logger = logger;
    this.#policy = policy;
    const maintenance = {
      schema: SCHEMA,
      // Expired jobs (worker killed) are noticed within a few seconds of their deadline.
      monitorIntervalSeconds: Math.max(1, Math.min(60, Math.floor(policy.timeoutSeconds / 2))),
      superviseIntervalSeconds: Math.max(1, Math.min(60, Math.floor(policy.timeoutSeconds / 2))),
    };
    this.boss = db.pglite
      ? new PgBoss({ ...maintenance, db: fromPglite(db.pglite) })
      : new PgBoss({ ...maintenance, connectionString: db.url ?? '', max: 4, useListenNotify: true });
    this.boss.on('error', (error) => this.#logger.error({ err: error }, 'job queue error'));
  }

  get running(): boolean {
    return this.#started;
  }

  get working(): boolean {
    return this.#working;
  }

  async start(): Promise<void> {
    await this.boss.start();
    for (const kind of jobKinds) {
      const existing = await this.boss.getQueue(kind);
      const options = {
        retryLimit: this.#policy.maxAttempts - 1,
        retryDelay: this.#policy.retryDelaySeconds,
        retryBackoff: true,
        retryDelayMax: this.#policy.retryDelayMaxSeconds,
        expireInSeconds: this.#policy.timeoutSeconds,
        notify: true,
      };
      // `short`: one queued job per singleton key, so re-enqueuing the same work is a no-op. Only for
      // kinds whose every job carries a key (pg-boss treats a missing key as one shared key).
      const policy = singletonKinds.has(kind) ? 'short' : 'standard';
      if (existing) {
        await this.boss.updateQueue(kind, options);
        if (existing.policy !== policy) {
          this.#logger.warn({ queue: kind, policy: existing.policy, wanted: policy }, 'queue policy differs; pg-boss cannot change it in place');
        }
      } else {
        await this.boss.createQueue(kind, { ...options, policy });
      }
    }
    this.#started = true;
  }

  /** Enqueue one job; on `short` queues a `singletonKey` makes a repeat enqueue a no-op while one is queued. */
  async enqueue(kind: JobKind, data: JobData, options: { singletonKey?: string; startAfterSeconds?: number } = {}): Promise<string | null> {
    return this.boss.send(kind, data, {
      ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
      ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
    });
  }

  /**
   * Start taking jobs of the given kinds in this process. Each kind fetches up to `concurrency` jobs
   * at a time and runs them concurrently; while fetches come back full it fetches again at once
   * (pg-boss's burst mode), so a backlog drains at the handlers' pace, not the polling interval's.
   */
  async work(handlers: Partial<Record<JobKind, JobHandler>>, concurrency: number): Promise<void> {
    for (const [kind, handler] of Object.entries(handlers) as [JobKind, JobHandler][]) {
      await this.boss.work<JobData>(
        kind,
        {
          batchSize: concurrency,
          // Burst mode needs batches of at least two; with one job at a time pg-boss polls.
          burstWhenBatchFull: concurrency > 1,
          pollingIntervalSeconds: 1,
          // NOTIFY wakes workers for new jobs only; retries whose delay ran out are found by polling.
          notifyPollingIntervalSeconds: 2,
          includeMetadata: true,
          perJobResults: true,
        },
        async (jobs) =>
          Promise.all(
            jobs.map(async (job): Promise<JobResult> => {
              try {
                // A provider's Retry-After set this job's delay by hand for one wait; later failures
                // get the exponential backoff again.
                if (!(job as JobWithMetadata<JobData>).retryBackoff) await this.#restoreBackoff(job.id);
                const output = await this.#run(kind, handler, job.id, job.data, job.retryCount + 1);
                return { id: job.id, status: 'completed', output: (output ?? null) as object | null };
              } catch (error) {
                const output = { message: error instanceof Error ? error.message : String(error), code: (error as { code?: unknown }).code ?? null };
                // deadletter = failed for good, skipping the remaining attempts (no dead-letter queue is configured).
                return { id: job.id, status: error instanceof PermanentJobError ? 'deadletter' : 'failed', output };
              }
            }),
          ),
      );
    }
    this.#working = true;
  }

  async #run(kind: JobKind, handler: JobHandler, id: string, data: JobData, attempt: number): Promise<unknown> {
    const controller = new AbortController();
    this.#inflight.set(id, controller);
    const logger = this.#logger.child({ job_id: id, job_kind: kind, attempt });
    const started = performance.now();
    try {
      const result = await handler(data, { id, kind, attempt, signal: controller.signal, logger });
      logger.info({ duration_ms: Math.round(performance.now() - started) }, 'job completed');
      return result;
    } catch (error) {
      logger.warn({ err: error, duration_ms: Math.round(performance.now() - started) }, 'job attempt failed');
      if (error instanceof RetryLaterError) await this.#delayNextAttempt(id, error.retryAfterMs);
      throw error;
    } finally {
      this.#inflight.delete(id);
    }
  }

  async #restoreBackoff(id: string): Promise<void> {
    await this.#db.query(`update ${SCHEMA}.job set retry_backoff = true, retry_delay = $2 where id = $1 and state = 'active'`, [
      id,
      this.#policy.retryDelaySeconds,
    ]);
  }

  /**
   * pg-boss computes the next attempt from the row's retry settings when the job fails; for a
   * provider's Retry-After we set this one active row's delay first, so the wait is at least that.
   */
  async #delayNextAttempt(id: string, retryAfterMs: number): Promise<void> {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    await this.#db.query(
      `update ${SCHEMA}.job set retry_backoff = false, retry_delay = greatest(retry_delay, $2) where id = $1 and state = 'active'`,
      [id, seconds],
    );
  }

  /** A page of the organization's jobs, newest first; keyset cursor over (created_on, id). */
  async list(orgId: string, filter: { state?: JobState; kind?: JobKind; limit: number; cursor?: CursorPosition }): Promise<{ jobs: JobView[]; next: CursorPosition | null }> {
    const params: unknown[] = [orgId, filter.limit + 1];
    const where = [`data->>'org_id' = $1`];
    if (filter.state) {
      params.push(filter.state);
      where.push(`state = $${params.length}`);
    }
    if (filter.kind) {
      params.push(filter.kind);
      where.push(`name = $${params.length}`);
    }
    if (filter.cursor) {
      params.push(filter.cursor.at, filter.cursor.id);
      where.push(`(created_on, id) < (($${params.length - 1}::timestamp at time zone 'UTC'), $${params.length}::uuid)`);
    }
    const rows = await this.#db.query<JobRow & { cursor_at: string }>(
      `select ${jobColumns}, to_char(created_on at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as cursor_at
         from ${SCHEMA}.job where ${where.join(' and ')} order by created_on desc, id desc limit $2`,
      params,
    );
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return { jobs: page.map(toView), next: rows.length > filter.limit && last ? { at: last.cursor_at, id: last.id } : null };
  }

  async get(orgId: string, id: string): Promise<JobView | null> {
    const rows = await this.#db.query<JobRow>(
      `select ${jobColumns} from ${SCHEMA}.job where id = $1::uuid and data->>'org_id' = $2`,
      [id, orgId],
    );
    return rows[0] ? toView(rows[0]) : null;
  }

  /** Put a failed (or cancelled) job back in line. Returns false when the job is not in a retryable state. */
  async retry(orgId: string, id: string): Promise<boolean> {
    const job = await this.get(orgId, id);
    if (!job || (job.state !== 'failed' && job.state !== 'cancelled')) return false;
    await this.boss.retry(job.kind, id);
    const after = await this.get(orgId, id);
    return after !== null && after.state !== 'failed' && after.state !== 'cancelled';
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.#db.query<{ name: string; state: string; n: string | number }>(
      `select name, state, count(*) as n from ${SCHEMA}.job group by name, state`,
    );
    const out: Record<string, number> = {};
    for (const row of rows) out[`${row.name}:${row.state}`] = Number(row.n);
    return out;
  }

  /**
   * Graceful stop: take no new jobs, let running ones finish within `timeoutMs`. Jobs still running
   * at the deadline are given one more attempt before pg-boss fails them on stop, so an interrupted
   * run never uses up a job's last attempt; they run again (after the retry delay) on any worker.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#working = false;
    const releaseLater = setTimeout(() => {
      const ids = [...this.#inflight.keys()];
      for (const controller of this.#inflight.values()) controller.abort(new Error('worker shutting down'));
      if (ids.length === 0) return;
      this.#logger.warn({ jobs: ids.length }, 'releasing jobs still running at the shutdown deadline');
      void this.#db
        .query(`update ${SCHEMA}.job set retry_limit = retry_limit + 1 where id = any($1::uuid[]) and state = 'active'`, [ids])
        .catch((error: unknown) => this.#logger.error({ err: error }, 'could not release running jobs'));
    }, Math.max(0, timeoutMs - 1_000));
    try {
      await this.boss.stop({ graceful: true, timeout: timeoutMs, close: true });
    } finally {
      clearTimeout(releaseLater);
    }
  }
}

const jobColumns = `id::text as id, name, state::text as state, retry_count, retry_limit, start_after, created_on, completed_on, output, data`;

interface JobRow {
  id: string;
  name: string;
  state: string;
  retry_count: number;
  retry_limit: number;
  start_after: Date | string | null;
  created_on: Date | string;
  completed_on: Date | string | null;
  output: unknown;
  data: Record<string, unknown>;
}

function iso(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function errorText(output: unknown): string | null {
  if (!output || typeof output !== 'object') return null;
  const message = (output as { message?: unknown }).message;
  return typeof message === 'string' ? message : null;
}

function toView(row: JobRow): JobView {
  const state = row.state as JobState;
  const pending = state === 'created' || state === 'retry';
  return {
    id: row.id,
    kind: row.name as JobKind,
    state,
    attempts: state === 'created' ? row.retry_count : row.retry_count + (state === 'retry' ? 0 : 1),
    max_attempts: row.retry_limit + 1,
    next_run_at: pending ? iso(row.start_after) : null,
    last_error: state === 'completed' ? null : errorText(row.output),
    created_at: iso(row.created_on) ?? '',
    completed_at: iso(row.completed_on),
    data: row.data,
  };
}
