/**
 * Runs: batches of the internal create endpoint too large to answer in one request (over 100
 * items). The work happens in this process in the background, because the request's credentials
 * may not be stored or queued; the run row records progress and the final response body. A run
 * still `running` when its process stopped is marked failed (interrupted) at the next start.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Orm } from '../../db/database.ts';
import { runs } from '../../db/schema.ts';

export interface RunView {
  id: string;
  kind: string;
  status: string;
  total: number;
  completed: number;
  failed: number;
  result: unknown;
  created_at: string;
  updated_at: string;
}

function toView(row: typeof runs.$inferSelect): RunView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    total: row.total,
    completed: row.completed,
    failed: row.failed,
    result: row.status === 'completed' || row.status === 'failed' ? row.result : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export class RunStore {
  readonly #orm: Orm;

  constructor(orm: Orm) {
    this.#orm = orm;
  }

  async create(orgId: string, kind: string, total: number): Promise<RunView> {
    const [row] = await this.#orm.insert(runs).values({ orgId, kind, total, status: 'running' }).returning();
    return toView(row!);
  }

  async progress(id: string, completed: number, failed: number): Promise<void> {
    await this.#orm.update(runs).set({ completed, failed, updatedAt: sql`now()` }).where(eq(runs.id, id));
  }

  async finish(id: string, status: 'completed' | 'failed', result: unknown, counts: { completed: number; failed: number }): Promise<void> {
    await this.#orm
      .update(runs)
      .set({ status, result: result as object, completed: counts.completed, failed: counts.failed, updatedAt: sql`now()` })
      .where(eq(runs.id, id));
  }

  async get(orgId: string, id: string): Promise<RunView | null> {
    const [row] = await this.#orm.select().from(runs).where(and(eq(runs.orgId, orgId), eq(runs.id, id)));
    return row ? toView(row) : null;
  }

  /**
   * At start: runs left `running` by a stopped process will never finish. A live process updates its
   * run at least every chunk, so only runs quiet for ten minutes are taken as interrupted.
   */
  async failInterrupted(): Promise<number> {
    const rows = await this.#orm
      .update(runs)
      .set({ status: 'failed', result: { error: { code: 'INTERRUPTED', message: 'the process running this batch stopped; post the batch again (nothing is duplicated)' } }, updatedAt: sql`now()` })
      .where(and(eq(runs.status, 'running'), sql`${runs.updatedAt} < now() - interval '10 minutes'`))
      .returning({ id: runs.id });
    return rows.length;
  }
}
