/**
 * Runs: batches of the internal create endpoint too large to answer in one request (over 100
 * items). Two modes, both never stuck in `running`:
 * - `queued` (stored connections only): the items are child jobs (`run_items`, one per chunk) that
 *   survive a restart; each chunk's results land in `run_chunks`, and the last one to settle writes
 *   the run's answer. A chunk whose job failed for good is failed by the sweeper with the reason.
 * - `in-process` (request credentials, which are never stored or queued): one process works the
 *   batch in memory and heartbeats; any process's sweeper fails a run whose owner missed three
 *   heartbeats, with the reason, so a crash ends the run `failed` within a bounded time.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Orm } from '../../db/database.ts';
import { runChunks, runs } from '../../db/schema.ts';

/** This process, as the owner of the in-process runs it works. */
export const processOwnerId = `${process.pid}-${randomUUID().slice(0, 8)}`;

export type RunMode = 'in-process' | 'queued';

export interface RunView {
  id: string;
  kind: string;
  status: string;
  mode: RunMode;
  total: number;
  completed: number;
  failed: number;
  result: unknown;
  created_at: string;
  updated_at: string;
}

/** What one chunk contributes to the run's answer (the internal endpoint's ItemResult shape). */
export interface ChunkResult {
  results: { item_id: string; jira: { status: string }; github: { status: string; pr_url: string | null } }[];
  notes: string[];
}

function toView(row: typeof runs.$inferSelect): RunView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    mode: row.mode as RunMode,
    total: row.total,
    completed: row.completed,
    failed: row.failed,
    result: row.status === 'completed' || row.status === 'failed' ? row.result : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

function failedItem(itemId: string, code: string, message: string) {
  const none = { issue_id: null, issue_key: null, issue_url: null };
  return {
    item_id: itemId,
    jira: { status: 'failed', ...none, error: message, error_code: code },
    github: { status: 'skipped', pr_number: null, pr_url: null, branch: null, base: null, error: null, error_code: null, note: null, reason_code: null, jira_commented: false },
  };
}

const isFailed = (result: ChunkResult['results'][number]) => result.jira.status === 'failed' || result.github.status === 'failed';

export class RunStore {
  readonly #orm: Orm;

  constructor(orm: Orm) {
    this.#orm = orm;
  }

  /** A run this process works in memory; `ownerId` heartbeats for it. */
  async createInProcess(orgId: string, kind: string, total: number, ownerId: string = processOwnerId): Promise<RunView> {
    const [row] = await this.#orm
      .insert(runs)
      .values({ orgId, kind, total, status: 'running', mode: 'in-process', ownerId, heartbeatAt: sql`now()` })
      .returning();
    return toView(row!);
  }

  /** A run of child jobs; each chunk lists its item ids until its results replace them. */
  async createQueued(orgId: string, kind: string, chunks: { first: number; itemIds: string[] }[]): Promise<RunView> {
    const total = chunks.reduce((sum, chunk) => sum + chunk.itemIds.length, 0);
    return this.#orm.transaction(async (tx) => {
      const [row] = await tx.insert(runs).values({ orgId, kind, total, status: 'running', mode: 'queued' }).returning();
      await tx.insert(runChunks).values(
        chunks.map((chunk, index) => ({ runId: row!.id, chunk: index, first: chunk.first, items: chunk.itemIds.length, result: { item_ids: chunk.itemIds } })),
      );
      return toView(row!);
    });
  }

  async chunkJob(runId: string, chunk: number, jobId: string): Promise<void> {
    await this.#orm.update(runChunks).set({ jobId, updatedAt: sql`now()` }).where(and(eq(runChunks.runId, runId), eq(runChunks.chunk, chunk)));
  }

  /** Whether a chunk still needs working (its run running, the chunk not settled). */
  async chunkPending(runId: string, chunk: number): Promise<boolean> {
    const [row] = await this.#orm
      .select({ status: runChunks.status, runStatus: runs.status })
      .from(runChunks)
      .innerJoin(runs, eq(runs.id, runChunks.runId))
      .where(and(eq(runChunks.runId, runId), eq(runChunks.chunk, chunk)));
    return row?.status === 'pending' && row.runStatus === 'running';
  }

  /** Records a chunk's results and, when it was the last one, finishes the run. */
  async chunkDone(runId: string, chunk: number, result: ChunkResult): Promise<void> {
    await this.#settleChunk(runId, chunk, 'done', result);
  }

  /** A chunk that can no longer run (its job failed for good): its items fail with the reason. */
  async chunkFailed(runId: string, chunk: number, code: string, message: string): Promise<void> {
    await this.#settleChunk(runId, chunk, 'failed', { code, message });
  }

  async #settleChunk(runId: string, chunk: number, status: 'done' | 'failed', outcome: ChunkResult | { code: string; message: string }): Promise<void> {
    await this.#orm.transaction(async (tx) => {
      // The run row is the lock: chunks settling at once finish the run exactly once.
      const [locked] = await tx.select({ status: runs.status }).from(runs).where(eq(runs.id, runId)).for('update');
      if (locked?.status !== 'running') return;
      const [current] = await tx.select().from(runChunks).where(and(eq(runChunks.runId, runId), eq(runChunks.chunk, chunk)));
      if (!current || current.status !== 'pending') return;
      const itemIds = ((current.result as { item_ids?: string[] } | null)?.item_ids ?? []) as string[];
      const result: ChunkResult =
        status === 'done'
          ? (outcome as ChunkResult)
          : { results: itemIds.map((id) => failedItem(id, (outcome as { code: string }).code, (outcome as { message: string }).message)), notes: [] };
      await tx.update(runChunks).set({ status, result, updatedAt: sql`now()` }).where(and(eq(runChunks.runId, runId), eq(runChunks.chunk, chunk)));

      const all = await tx.select().from(runChunks).where(eq(runChunks.runId, runId)).orderBy(asc(runChunks.chunk));
      const settled = all.filter((row) => row.status !== 'pending');
      const results = settled.flatMap((row) => (row.result as ChunkResult).results);
      const completed = results.length;
      const failed = results.filter(isFailed).length;
      if (settled.length < all.length) {
        await tx.update(runs).set({ completed, failed, updatedAt: sql`now()` }).where(eq(runs.id, runId));
        return;
      }
      const notes = [...new Set(all.flatMap((row) => (row.result as ChunkResult).notes ?? []))];
      const body = {
        dry_run: false,
        results,
        summary: {
          total: results.length,
          jira_created: results.filter((item) => item.jira.status === 'created').length,
          prs_created: new Set(results.filter((item) => item.github.status === 'created').map((item) => item.github.pr_url)).size,
          failed,
        },
        ...(notes.length > 0 ? { notes } : {}),
      };
      await tx.update(runs).set({ status: 'completed', result: body, completed, failed, updatedAt: sql`now()` }).where(eq(runs.id, runId));
    });
  }

  async progress(id: string, completed: number, failed: number): Promise<void> {
    await this.#orm.update(runs).set({ completed, failed, updatedAt: sql`now()` }).where(and(eq(runs.id, id), eq(runs.status, 'running')));
  }

  /** Ends a running run; false when it had already ended (for example failed by a sweeper). */
  async finish(id: string, status: 'completed' | 'failed', result: unknown, counts: { completed: number; failed: number }): Promise<boolean> {
    const rows = await this.#orm
      .update(runs)
      .set({ status, result: result as object, completed: counts.completed, failed: counts.failed, updatedAt: sql`now()` })
      .where(and(eq(runs.id, id), eq(runs.status, 'running')))
      .returning({ id: runs.id });
    return rows.length > 0;
  }

  async get(orgId: string, id: string): Promise<RunView | null> {
    const [row] = await this.#orm.select().from(runs).where(and(eq(runs.orgId, orgId), eq(runs.id, id)));
    return row ? toView(row) : null;
  }

  /** One statement per beat for every in-process run this owner works. */
  async heartbeat(ownerId: string = processOwnerId): Promise<void> {
    await this.#orm
      .update(runs)
      .set({ heartbeatAt: sql`now()` })
      .where(and(eq(runs.ownerId, ownerId), eq(runs.status, 'running'), eq(runs.mode, 'in-process')));
  }

  /**
   * In-process runs whose owner stopped heartbeating (crashed, killed, lost its database) will never
   * finish: they end `failed` with the reason. Runs from before heartbeats count from their last update.
   */
  async failOrphaned(staleSeconds: number): Promise<number> {
    const cutoff = sql`now() - make_interval(secs => ${staleSeconds}::double precision)`;
    const rows = await this.#orm
      .update(runs)
      .set({
        status: 'failed',
        result: sql`jsonb_build_object('error', jsonb_build_object('code', 'INTERRUPTED', 'message',
          'the process working this batch (' || coalesce(${runs.ownerId}, 'unknown') || ') stopped: no heartbeat since ' ||
          to_char(coalesce(${runs.heartbeatAt}, ${runs.updatedAt}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') ||
          '. The request''s credentials are never stored, so the batch cannot resume: post it again (nothing already created is duplicated)'))`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(runs.status, 'running'),
          eq(runs.mode, 'in-process'),
          or(lt(runs.heartbeatAt, cutoff), and(isNull(runs.heartbeatAt), lt(runs.updatedAt, cutoff))),
        ),
      )
      .returning({ id: runs.id });
    return rows.length;
  }

  /** At shutdown: this process's in-process runs cannot go on without it; they end `failed` at once. */
  async failOwned(ownerId: string = processOwnerId): Promise<number> {
    const rows = await this.#orm
      .update(runs)
      .set({
        status: 'failed',
        result: { error: { code: 'INTERRUPTED', message: "the service shut down before this batch finished. The request's credentials are never stored, so the batch cannot resume: post it again (nothing already created is duplicated)" } },
        updatedAt: sql`now()`,
      })
      .where(and(eq(runs.ownerId, ownerId), eq(runs.status, 'running'), eq(runs.mode, 'in-process')))
      .returning({ id: runs.id });
    return rows.length;
  }

  /** Kept for `serve`'s start-up check: the same sweep as the periodic one. */
  async failInterrupted(staleSeconds = 30): Promise<number> {
    return this.failOrphaned(staleSeconds);
  }

  /** Pending chunks of running queued runs: the sweeper checks that each still has a live job. */
  async pendingChunks(olderThanSeconds: number): Promise<{ runId: string; chunk: number; jobId: string | null }[]> {
    return this.#orm
      .select({ runId: runChunks.runId, chunk: runChunks.chunk, jobId: runChunks.jobId })
      .from(runChunks)
      .innerJoin(runs, eq(runs.id, runChunks.runId))
      .where(
        and(
          eq(runChunks.status, 'pending'),
          eq(runs.status, 'running'),
          eq(runs.mode, 'queued'),
          lt(runChunks.updatedAt, sql`now() - make_interval(secs => ${olderThanSeconds}::double precision)`),
        ),
      );
  }
}

export interface RunSweeperOptions {
  orm: Orm;
  /** The state of a chunk's job, through the queue's API (null: no such job). */
  jobState: (jobId: string) => Promise<{ state: string; error: string | null } | null>;
  logger: { warn(fields: object, message: string): void; error(fields: object, message: string): void };
  heartbeatSeconds: number;
  /** The process this sweeper beats for (default: this one). */
  ownerId?: string;
}

/**
 * Every process heartbeats for the in-process runs it owns and sweeps for runs nobody will finish:
 * in-process runs whose owner missed three beats, and queued runs' chunks whose job failed for good
 * (a malformed payload, attempts used up) or was never queued. Returns a stop function.
 */
export function startRunSweeper(options: RunSweeperOptions): { sweep(): Promise<void>; stop(): Promise<void> } {
  const store = new RunStore(options.orm);
  const ownerId = options.ownerId ?? processOwnerId;
  const staleSeconds = options.heartbeatSeconds * 3;
  let running: Promise<void> | null = null;
  const sweep = async () => {
    await store.heartbeat(ownerId);
    const orphaned = await store.failOrphaned(staleSeconds);
    if (orphaned > 0) options.logger.warn({ runs: orphaned }, 'failed batch runs whose process stopped heartbeating');
    for (const pending of await store.pendingChunks(staleSeconds)) {
      const job = pending.jobId ? await options.jobState(pending.jobId) : null;
      if (job && job.state !== 'failed' && job.state !== 'cancelled') continue;
      const reason = !pending.jobId
        ? 'the chunk was never queued (the process accepting the batch stopped)'
        : job
          ? `its job ${job.state}: ${job.error ?? 'no reason recorded'}`
          : 'its job no longer exists';
      options.logger.warn({ run_id: pending.runId, chunk: pending.chunk, job_id: pending.jobId }, 'failing a batch chunk that can no longer run');
      await store.chunkFailed(pending.runId, pending.chunk, 'JOB_FAILED', `these items were not worked: ${reason}`);
    }
  };
  const tick = () => {
    if (running) return;
    running = sweep()
      .catch((error: unknown) => options.logger.error({ err: error }, 'run sweep failed'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, options.heartbeatSeconds * 1000);
  timer.unref();
  tick();
  return {
    sweep: async () => {
      while (running) await running;
      await sweep();
    },
    stop: async () => {
      clearInterval(timer);
      if (running) await running;
      const ended = await store.failOwned(ownerId).catch((error: unknown) => {
        options.logger.error({ err: error }, 'could not fail the batch runs of this process at shutdown');
        return 0;
      });
      if (ended > 0) options.logger.warn({ runs: ended }, 'shutdown: failed the in-process batch runs of this process');
    },
  };
}
