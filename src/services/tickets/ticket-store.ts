/**
 * Database side of tickets: the row per (finding, connection) that makes a second issue impossible,
 * the compare-and-set claim that records the intent before a remote create, and the writes after it.
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Orm } from '../../db/database.ts';
import { tickets } from '../../db/schema.ts';

export type TicketRow = typeof tickets.$inferSelect;

export class TicketStore {
  readonly #orm: Orm;

  constructor(orm: Orm) {
    this.#orm = orm;
  }

  /** One row per finding for this connection, created pending when missing; returned in input order. */
  async ensureRows(orgId: string, connectionId: string, provider: string, findingIds: string[], createdBy: string | null): Promise<TicketRow[]> {
    if (findingIds.length === 0) return [];
    const unique = [...new Set(findingIds)];
    for (let start = 0; start < unique.length; start += 500) {
      const chunk = unique.slice(start, start + 500);
      await this.#orm
        .insert(tickets)
        .values(chunk.map((findingId) => ({ orgId, findingId, connectionId, provider, createdBy })))
        .onConflictDoNothing({ target: [tickets.findingId, tickets.connectionId] });
    }
    const rows: TicketRow[] = [];
    for (let start = 0; start < unique.length; start += 500) {
      const chunk = unique.slice(start, start + 500);
      rows.push(
        ...(await this.#orm
          .select()
          .from(tickets)
          .where(and(eq(tickets.orgId, orgId), eq(tickets.connectionId, connectionId), inArray(tickets.findingId, chunk)))),
      );
    }
    const byFinding = new Map(rows.map((row) => [row.findingId, row]));
    return findingIds.map((id) => {
      const row = byFinding.get(id);
      if (!row) throw new Error(`ticket row for finding ${id} is missing after insert`);
      return row;
    });
  }

  /**
   * Claims rows for a remote create by stamping `create_requested_at`, only where it still holds the
   * value we read (null for a first attempt). Rows another process claimed meanwhile are not returned.
   * The value we read is a Date (milliseconds) while PostgreSQL keeps microseconds, so an earlier
   * intent is compared at millisecond precision (a Date read back truncates), and a new stamp is at
   * least a millisecond past the old one, so a claimer holding the old value can never match it.
   */
  async claim(rows: TicketRow[]): Promise<Set<string>> {
    const claimed = new Set<string>();
    const fresh = rows.filter((row) => row.createRequestedAt === null).map((row) => row.id);
    for (let start = 0; start < fresh.length; start += 500) {
      const updated = await this.#orm
        .update(tickets)
        .set({ createRequestedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(inArray(tickets.id, fresh.slice(start, start + 500)), isNull(tickets.createRequestedAt), sql`${tickets.syncState} <> 'created'`))
        .returning({ id: tickets.id });
      for (const row of updated) claimed.add(row.id);
    }
    for (const row of rows) {
      if (row.createRequestedAt === null) continue;
      const updated = await this.#orm
        .update(tickets)
        .set({ createRequestedAt: sql`greatest(now(), ${tickets.createRequestedAt} + interval '1 millisecond')`, updatedAt: sql`now()` })
        .where(
          and(
            eq(tickets.id, row.id),
            sql`date_trunc('milliseconds', ${tickets.createRequestedAt}) = ${row.createRequestedAt.toISOString()}::timestamptz`,
            sql`${tickets.syncState} <> 'created'`,
          ),
        )
        .returning({ id: tickets.id });
      if (updated.length > 0) claimed.add(row.id);
    }
    return claimed;
  }

  /** markCreated for many rows in a few statements (a bulk create answers 50 keys at a time). */
  async markCreatedMany(entries: { id: string; issue: { id: string; key: string; url: string } }[]): Promise<Map<string, TicketRow>> {
    const out = new Map<string, TicketRow>();
    for (let start = 0; start < entries.length; start += 300) {
      const chunk = entries.slice(start, start + 300);
      const pick = (value: (entry: (typeof chunk)[number]) => string) =>
        sql`(case ${sql.join(
          chunk.map((entry) => sql`when ${tickets.id} = ${entry.id} then ${value(entry)}`),
          sql` `,
        )} end)`;
      const rows = await this.#orm
        .update(tickets)
        .set({
          syncState: 'created',
          externalId: pick((entry) => entry.issue.id),
          externalKey: pick((entry) => entry.issue.key),
          url: pick((entry) => entry.issue.url),
          lastError: null,
          updatedAt: sql`now()`,
        })
        .where(inArray(tickets.id, chunk.map((entry) => entry.id)))
        .returning();
      for (const row of rows) out.set(row.id, row);
    }
    return out;
  }

  async markCreated(id: string, issue: { id: string; key: string; url: string }, status?: { name: string; priority: string | null; state: string }): Promise<TicketRow> {
    const [row] = await this.#orm
      .update(tickets)
      .set({
        syncState: 'created',
        externalId: issue.id,
        externalKey: issue.key,
        url: issue.url,
        lastError: null,
        ...(status ? { externalStatus: status.name, externalPriority: status.priority, state: status.state, lastSyncedAt: sql`now()` } : {}),
        updatedAt: sql`now()`,
      })
      .where(eq(tickets.id, id))
      .returning();
    if (!row) throw new Error(`ticket ${id} vanished`);
    return row;
  }

  /**
   * Records a failed attempt. `definitelyNotCreated` clears the intent so the next attempt creates
   * at once; otherwise the intent stays and the next attempt looks the issue up first.
   */
  async markFailed(id: string, message: string, definitelyNotCreated: boolean): Promise<void> {
    await this.#orm
      .update(tickets)
      .set({
        syncState: definitelyNotCreated ? 'failed' : 'pending',
        lastError: message,
        // Unknown outcome: the consistency window starts now, when we stopped knowing, not at the claim.
        createRequestedAt: definitelyNotCreated ? null : sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(tickets.id, id), sql`${tickets.syncState} <> 'created'`));
  }

  async updateStatus(id: string, status: { name: string; priority: string | null; state: string }): Promise<TicketRow | null> {
    const [row] = await this.#orm
      .update(tickets)
      .set({ externalStatus: status.name, externalPriority: status.priority, state: status.state, lastSyncedAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(tickets.id, id))
      .returning();
    return row ?? null;
  }
}
