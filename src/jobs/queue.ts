/**
 * The durable job queue: pg-boss on the service's own database (PGlite through pg-boss's
 * `fromPglite` adapter, or PostgreSQL with any number of worker processes). pg-boss gives
 * SKIP LOCKED fetching, retries with exponential backoff and jitter, expiry of jobs whose worker
 * died, and keeps failed jobs. This module adds typed payloads (validated on enqueue and on
 * receipt), tenant scoping (our own `job_records` table), Retry-After and permanent failures.
 * pg-boss's tables are changed only through its public API; this module only reads them.
 */
import { createHash, randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { fromPglite, type JobResult, PgBoss } from 'pg-boss';
import type { CursorPosition } from '../db/cursor.ts';
import type { Database, SqlTransaction } from '../db/database.ts';
import { jobRecords } from '../db/schema.ts';
import type { Logger } from '../logging/logger.ts';
import { type Operation, runInOperation } from '../lib/operation-context.ts';
import { PermanentJobError, reauthRequiredIn, RetryLaterError } from './errors.ts';
import { type JobKind, type JobPayload, type JobState, jobKinds, jobPayloads, payloadProblem } from './kinds.ts';
import type { JobApiView } from '../contracts/jobs.ts';

export interface JobPolicy {
  timeoutSeconds: number;
  maxAttempts: number;
  retryDelaySeconds: number;
  retryDelayMaxSeconds: number;
}

/** A job as the API shows it (src/contracts/jobs.ts), with its payload. */
export interface JobView extends JobApiView {
  data: Record<string, unknown>;
}

export interface JobContext {
  id: string;
  kind: JobKind;
  attempt: number;
  signal: AbortSignal;
  logger: Logger;
}

export type JobHandler<K extends JobKind = JobKind> = (data: JobPayload<K>, context: JobContext) => Promise<unknown>;
/** The handlers a process runs, by kind; each receives its kind's validated payload. */
export type JobHandlers = { [K in JobKind]?: JobHandler<K> };

interface PendingJob {
  id: string;
  payload: { org_id: string };
  options: EnqueueOptions;
  resolve: (id: string) => void;
  reject: (error: unknown) => void;
}

export interface EnqueueOptions {
  singletonKey?: string;
  startAfterSeconds?: number;
  /** The run this job is a child of (listed with it, deleted with it). */
  runId?: string;
}

/**
 * pg-boss's statements on the caller's transaction, prepared once per connection under a name
 * derived from their text (the insert's text is fixed for a kind and options; its plan is reused).
 * `issued` is called once pg-boss has handed over its statement: its insert is one statement, and a
 * second one (a future version's) is refused rather than sent behind the COMMIT that `issued` lets
 * go (SqlTransaction.commitAfter).
 */
function transactionExecutor(tx: SqlTransaction, issued?: () => void): { executeSql(text: string, values?: unknown[]): Promise<{ rows: never[] }> } {
  let handedOver = false;
  return {
    async executeSql(text, values = []) {
      if (handedOver) throw new Error('pg-boss issued a second statement for one insert; it would run after the COMMIT');
      const rows = tx.query<never>(text, values, { name: statementName(text) });
      if (issued) {
        handedOver = true;
        issued();
      }
      return { rows: await rows };
    },
  };
}

const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `pgboss_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** A payload that does not match its kind's schema: a programming error, never queued. */
export class InvalidJobPayloadError extends Error {
  readonly code = 'JOB_BAD_PAYLOAD';
  constructor(kind: JobKind, problem: string) {
    super(`invalid ${kind} job payload: ${problem}`);
    this.name = 'InvalidJobPayloadError';
  }
}

const SCHEMA = 'pgboss';
/** Kinds enqueued with a singleton key (one per ticket or PR), so duplicates collapse. */
const singletonKinds = new Set<JobKind>(['create', 'sla_scan', 'sync']);

export class JobQueue {
  readonly boss: PgBoss;
  readonly #db: Database;
  readonly #logger: Logger;
  readonly #policy: JobPolicy;
  #started = false;
  #working = false;
  readonly #inflight = new Map<string, { kind: JobKind; controller: AbortController }>();

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
    await this.#recordEarlierJobs();
    this.#started = true;
  }

  /**
   * Jobs queued before `job_records` existed get their record once (read from pg-boss, written to
   * our table), so they stay visible in the jobs API after the upgrade.
   */
  async #recordEarlierJobs(): Promise<void> {
    await this.#db.query(
      `insert into job_records (id, org_id, kind, created_at)
       select j.id, o.id, j.name, j.created_on
         from ${SCHEMA}.job j join organizations o on o.id::text = j.data->>'org_id'
        where j.name = any($1::text[]) and not exists (select 1 from job_records)
       on conflict (id) do nothing`,
      [[...jobKinds]],
    );
  }

  /**
   * Enqueue one job; on `short` queues a `singletonKey` makes a repeat enqueue a no-op (null) while
   * one is queued. The payload is checked against its kind's schema first.
   */
  async enqueue<K extends JobKind>(kind: K, data: JobPayload<K>, options: EnqueueOptions = {}): Promise<string | null> {
    const parsed = jobPayloads[kind].safeParse(data);
    if (!parsed.success) throw new InvalidJobPayloadError(kind, payloadProblem(kind, data) ?? 'invalid');
    const payload = parsed.data as JobPayload<K>;
    // Without a singleton key the job always goes in: concurrent enqueues of one kind share their
    // writes (one records insert and one pg-boss insert per group, like a group commit), which on
    // the embedded database's single connection is most of the cost of a fan-out.
    if (!options.singletonKey) return this.#enqueueGrouped(kind, payload, options);
    // Our record first, under the id pg-boss will use: a job never exists without its tenant.
    const id = randomUUID();
    await this.#db.orm.insert(jobRecords).values({ id, orgId: payload.org_id, kind, runId: options.runId ?? null });
    let sent: string | null = null;
    try {
      sent = await this.boss.send(kind, payload, {
        id,
        ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
        ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
      });
    } finally {
      if (!sent) await this.#db.orm.delete(jobRecords).where(eq(jobRecords.id, id));
    }
    return sent;
  }

  readonly #groups = new Map<JobKind, { pending: PendingJob[]; flushing: boolean }>();

  /** Adds the job to its kind's next group; resolves with its id once the group is written. */
  #enqueueGrouped(kind: JobKind, payload: { org_id: string }, options: EnqueueOptions): Promise<string> {
    return new Promise((resolve, reject) => {
      let group = this.#groups.get(kind);
      if (!group) this.#groups.set(kind, (group = { pending: [], flushing: false }));
      group.pending.push({ id: randomUUID(), payload, options, resolve, reject });
      // One group in flight per kind: what arrives meanwhile is written together after it.
      if (!group.flushing) {
        group.flushing = true;
        queueMicrotask(() => void this.#flushGroups(kind, group));
      }
    });
  }

  async #flushGroups(kind: JobKind, group: { pending: PendingJob[]; flushing: boolean }): Promise<void> {
    try {
      while (group.pending.length > 0) {
        const batch = group.pending.splice(0, 500);
        try {
          await this.#writeGroup(kind, batch);
          for (const job of batch) job.resolve(job.id);
        } catch (error) {
          if (batch.length === 1) {
            batch[0]!.reject(error);
            continue;
          }
          // One bad job (an unknown org, say) must not fail the others it happened to share a
          // write with: each is tried alone, and only its own failure reaches its caller.
          for (const job of batch) {
            await this.#writeGroup(kind, [job]).then(
              () => job.resolve(job.id),
              (alone: unknown) => job.reject(alone),
            );
          }
        }
      }
    } finally {
      group.flushing = false;
    }
  }

  /** Our records first, under the ids pg-boss will use (a job never exists without its tenant), then the jobs. */
  async #writeGroup(kind: JobKind, batch: PendingJob[]): Promise<void> {
    await this.#db.orm.insert(jobRecords).values(batch.map((job) => ({ id: job.id, orgId: job.payload.org_id, kind, runId: job.options.runId ?? null })));
    let ids: string[] | null = null;
    try {
      ids = await this.boss.insert(
        kind,
        batch.map((job) => ({ id: job.id, data: job.payload, ...(job.options.startAfterSeconds ? { startAfter: job.options.startAfterSeconds } : {}) })),
        { returnId: true },
      );
    } finally {
      if ((ids?.length ?? 0) !== batch.length) {
        await this.#db.orm
          .delete(jobRecords)
          .where(inArray(jobRecords.id, batch.map((job) => job.id)))
          .catch(() => undefined);
      }
    }
    if ((ids?.length ?? 0) !== batch.length) throw new Error(`pg-boss inserted ${ids?.length ?? 0} of ${batch.length} ${kind} jobs`);
  }

  /**
   * Call once before enqueueIn for a kind: loads pg-boss's queue cache for it outside any
   * transaction. Otherwise its first insert would read the queue inside our transaction's callback on
   * its own connection, which on PGlite (one connection) waits for that transaction: a deadlock.
   */
  async prepareEnqueueIn(kind: JobKind): Promise<void> {
    await this.boss.insert(kind, []);
  }

  /**
   * Enqueue jobs of one kind inside the caller's transaction (Database.transaction): the jobs and
   * their records commit or roll back with the caller's own writes, in one commit, one records
   * insert and one pg-boss insert, both prepared statements (webhook ingest: a group of delivery rows
   * and their jobs, so a delivery is never stored without its job nor queued twice). No singleton
   * keys here. Returns the job ids in order.
   */
  async enqueueIn<K extends JobKind>(tx: SqlTransaction, kind: K, payloads: JobPayload<K>[], options: { issued?: () => void } = {}): Promise<string[]> {
    if (payloads.length === 0) {
      options.issued?.();
      return [];
    }
    const jobs = payloads.map((data) => {
      const parsed = jobPayloads[kind].safeParse(data);
      if (!parsed.success) throw new InvalidJobPayloadError(kind, payloadProblem(kind, data) ?? 'invalid');
      return { id: randomUUID(), data: parsed.data as JobPayload<K> };
    });
    const records = () =>
      tx.query(
        'insert into job_records (id, org_id, kind) select id, org_id, $3 from unnest($1::uuid[], $2::uuid[]) as given(id, org_id)',
        [jobs.map((job) => job.id), jobs.map((job) => job.data.org_id), kind],
        { name: 'job_records_insert' },
      );
    // options.issued is told when pg-boss hands its insert to the transaction (its last statement).
    const queued = () => this.boss.insert(kind, jobs, { db: transactionExecutor(tx, options.issued), returnId: true });
    // Issued together: one round trip where the transaction pipelines.
    const [, ids] = await Promise.all([records(), queued()]);
    if ((ids?.length ?? 0) !== jobs.length) throw new Error(`pg-boss inserted ${ids?.length ?? 0} of ${jobs.length} ${kind} jobs`);
    return jobs.map((job) => job.id);
  }

  /**
   * Start taking jobs of the given kinds in this process. Each kind fetches up to `concurrency` jobs
   * at a time and runs them concurrently; while fetches come back full it fetches again at once
   * (pg-boss's burst mode), so a backlog drains at the handlers' pace, not the polling interval's.
   */
  async work(handlers: JobHandlers, concurrency: number): Promise<void> {
    for (const [kind, handler] of Object.entries(handlers) as [JobKind, JobHandler][]) {
      await this.boss.work<Record<string, unknown>>(
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
              // A payload that does not match its kind can never succeed: failed for good at once.
              const problem = payloadProblem(kind, job.data);
              if (problem) {
                this.#logger.error({ job_id: job.id, job_kind: kind, problem }, 'malformed job payload; failed without retrying');
                return { id: job.id, status: 'deadletter', output: { message: `malformed payload: ${problem}`, code: 'JOB_BAD_PAYLOAD' } };
              }
              const data = jobPayloads[kind].parse(job.data) as JobPayload<typeof kind>;
              try {
                const output = await this.#run(kind, handler, job.id, data, job.retryCount + 1);
                return { id: job.id, status: 'completed', output: (output ?? null) as object | null };
              } catch (error) {
                const output = { message: error instanceof Error ? error.message : String(error), code: (error as { code?: unknown }).code ?? null };
                // deadletter = failed for good, skipping the remaining attempts (no dead-letter queue is configured).
                if (error instanceof PermanentJobError) return { id: job.id, status: 'deadletter', output };
                const reauth = reauthRequiredIn(error);
                if (reauth) {
                  this.#logger.warn({ job_id: job.id, job_kind: kind }, 'job stopped: its connection must be connected again');
                  return { id: job.id, status: 'deadletter', output: { message: reauth.message, code: 'OAUTH_REAUTH_REQUIRED' } };
                }
                if (error instanceof RetryLaterError) await this.#failWithRetryAfter(kind, job, output, error.retryAfterMs);
                return { id: job.id, status: 'failed', output };
              }
            }),
          ),
      );
    }
    this.#working = true;
  }

  async #run(kind: JobKind, handler: JobHandler, id: string, data: JobPayload<JobKind>, attempt: number): Promise<unknown> {
    const controller = new AbortController();
    this.#inflight.set(id, { kind, controller });
    const logger = this.#logger.child({ job_id: id, job_kind: kind, attempt });
    const started = performance.now();
    try {
      // The job is the operation its audit events and outbound calls are filed under (one for all attempts).
      const operation: Operation = { id, kind: 'job', name: kind, orgId: data.org_id, actor: 'service', requestId: null, startedAt: new Date() };
      const result = await runInOperation(operation, () => handler(data, { id, kind, attempt, signal: controller.signal, logger }));
      logger.info({ duration_ms: Math.round(performance.now() - started) }, 'job completed');
      return result;
    } catch (error) {
      logger.warn({ err: error, duration_ms: Math.round(performance.now() - started) }, 'job attempt failed');
      throw error;
    } finally {
      this.#inflight.delete(id);
    }
  }

  /**
   * A provider's Retry-After: the attempt is failed here (pg-boss's API, fenced to this attempt, so
   * the batch's own settle finds nothing left to do), and the retry is moved to when the provider
   * asked (never sooner than the retry delay), instead of the exponential backoff's guess. The
   * job's backoff settings are never changed, so later failures back off exponentially again.
   */
  async #failWithRetryAfter(kind: JobKind, job: { id: string; retryCount: number }, output: object, retryAfterMs: number): Promise<void> {
    try {
      await this.boss.fail(kind, { id: job.id, retryCount: job.retryCount }, output);
      const after = await this.boss.getJobById(kind, job.id);
      const at = Date.now() + Math.max(retryAfterMs, this.#policy.retryDelaySeconds * 1000);
      if (after?.state === 'retry') await this.boss.update(kind, undefined, { id: job.id, startAfter: new Date(at) });
    } catch (error) {
      this.#logger.error({ err: error, job_id: job.id, job_kind: kind }, "could not defer the job to the provider's Retry-After");
    }
  }

  /** A page of the organization's jobs, newest first; keyset cursor over (created_at, id) of our records. */
  async list(orgId: string, filter: { state?: JobState; kind?: JobKind; limit: number; cursor?: CursorPosition }): Promise<{ jobs: JobView[]; next: CursorPosition | null }> {
    const params: unknown[] = [orgId, filter.limit + 1];
    const where = ['r.org_id = $1'];
    if (filter.state) {
      params.push(filter.state);
      where.push(`j.state::text = $${params.length}`);
    }
    if (filter.kind) {
      params.push(filter.kind);
      where.push(`r.kind = $${params.length}`);
    }
    if (filter.cursor) {
      params.push(filter.cursor.at, filter.cursor.id);
      where.push(`(r.created_at, r.id) < (($${params.length - 1}::timestamp at time zone 'UTC'), $${params.length}::uuid)`);
    }
    // Read-only: the job's state comes from pg-boss's row, the tenant and order from ours.
    const rows = await this.#db.query<JobRow & { cursor_at: string }>(
      `select ${jobColumns}, to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as cursor_at
         from job_records r join ${SCHEMA}.job j on j.id = r.id and j.name = r.kind
        where ${where.join(' and ')} order by r.created_at desc, r.id desc limit $2`,
      params,
    );
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return { jobs: page.map(toView), next: rows.length > filter.limit && last ? { at: last.cursor_at, id: last.id } : null };
  }

  async get(orgId: string, id: string): Promise<JobView | null> {
    const rows = await this.#db.query<JobRow>(
      `select ${jobColumns} from job_records r join ${SCHEMA}.job j on j.id = r.id and j.name = r.kind where r.id = $1::uuid and r.org_id = $2::uuid`,
      [id, orgId],
    );
    return rows[0] ? toView(rows[0]) : null;
  }

  /** A job's state by kind and id, through pg-boss's API (no tenant check: for internal sweeps). */
  async stateOf(kind: JobKind, id: string): Promise<{ state: JobState; error: string | null } | null> {
    const job = await this.boss.getJobById(kind, id);
    return job ? { state: job.state as JobState, error: errorText(job.output) } : null;
  }

  /** Put a failed (or cancelled) job back in line. Returns false when the job is not in a retryable state. */
  async retry(orgId: string, id: string): Promise<boolean> {
    const job = await this.get(orgId, id);
    if (!job || (job.state !== 'failed' && job.state !== 'cancelled')) return false;
    if (job.state === 'failed') await this.boss.retry(job.kind, id);
    else await this.boss.resume(job.kind, id);
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
   * Graceful stop: take no new jobs, let running ones finish within `timeoutMs`. pg-boss fails the
   * jobs still running at the deadline; one that thereby used up its last attempt is put back in
   * line with pg-boss's `retry` (which grants one more attempt), so an interrupted run never uses
   * up a job's last attempt; it runs again (after the retry delay) on any worker.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#working = false;
    // Jobs aborted by the shutdown, and those pg-boss fails at the deadline, must not lose their last attempt.
    const interrupted = new Map<string, JobKind>();
    const abortLater = setTimeout(() => {
      for (const [id, { kind, controller }] of this.#inflight) {
        interrupted.set(id, kind);
        controller.abort(new Error('worker shutting down'));
      }
    }, Math.max(0, timeoutMs - 1_000));
    try {
      await this.boss.stop({ graceful: true, timeout: timeoutMs, close: false });
      for (const [id, { kind }] of this.#inflight) interrupted.set(id, kind);
      if (interrupted.size > 0) await this.#release(interrupted);
    } finally {
      clearTimeout(abortLater);
      await this.boss.stop({ close: true });
    }
  }

  async #release(jobs: Map<string, JobKind>): Promise<void> {
    this.#logger.warn({ jobs: jobs.size }, 'releasing jobs still running at the shutdown deadline');
    for (const [id, kind] of jobs) {
      try {
        const job = await this.boss.getJobById(kind, id);
        if (job?.state === 'failed') await this.boss.retry(kind, id);
      } catch (error) {
        this.#logger.error({ err: error, job_id: id }, 'could not release a running job');
      }
    }
  }
}

const jobColumns = `j.id::text as id, j.name, j.state::text as state, j.retry_count, j.retry_limit, j.start_after, r.created_at as created_on, j.completed_on, j.output, j.data`;

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
    result: state === 'completed' && row.output && typeof row.output === 'object' && !Array.isArray(row.output) ? (row.output as Record<string, unknown>) : null,
    created_at: iso(row.created_on) ?? '',
    completed_at: iso(row.completed_on),
    data: row.data,
  };
}
