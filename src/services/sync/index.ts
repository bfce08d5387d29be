/**
 * The periodic ticket sync (issue 13): catches what webhooks missed. Per ticketing connection that
 * holds tickets, a `sync` job asks the provider for our tickets changed since the connection's cursor
 * (TicketingClient.listChangedSince: Jira JQL `updated >=`, ServiceNow `sys_updated_on>=` with a
 * correlation_id), bounded by `limit` per run and paced by the provider's limiter, and applies each
 * to the tickets we hold through the same function as webhook deliveries (applyTicketChange): the
 * ticket takes the status, its finding follows, our own writes move nothing. The cursor (the newest
 * `updated` seen) is the connection's `sync_cursor` column: in the database every worker shares, it
 * survives restarts and only moves forward (two workers racing never move it back); without one the
 * sync looks back DEFAULT_LOOKBACK_MS. (It was in the shared state, which without REDIS_URL is the
 * process's memory: lost on every restart, after which the 24 h look-back missed anything older.)
 * The scheduler queues one job per connection (singleton key) every TICKET_SYNC_INTERVAL_SECONDS.
 */
import { and, eq, inArray, or, sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { connections, tickets } from '../../db/schema.ts';
import { ticketingProviders } from '../../providers/registry.ts';
import type { TicketState } from '../../providers/ticketing/types.ts';
import { ticketServiceFor } from '../tickets/ticket-operations.ts';
import { applyTicketChange, changeFromRemote } from '../webhooks/process.ts';

export const DEFAULT_SYNC_LIMIT = 200;
export const DEFAULT_LOOKBACK_MS = 24 * 3_600_000;

export interface SyncResult {
  since: string;
  cursor: string;
  changed: number;
  applied: number;
  details: string[];
}

/** Provider timestamps: Jira `2026-03-01T10:00:00.000+0000`, ServiceNow `2026-03-01 10:00:00` (UTC). */
export function parseProviderTime(value: string | null): Date | null {
  if (!value) return null;
  let text = value.trim();
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(text)) text = `${text.replace(' ', 'T')}Z`;
  text = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : new Date(time);
}

export async function readSyncCursor(context: Pick<AppContext, 'db'>, connectionId: string): Promise<Date | null> {
  const [row] = await context.db.orm.select({ cursor: connections.syncCursor }).from(connections).where(eq(connections.id, connectionId));
  return row?.cursor ?? null;
}

/** Moves the cursor forward only. */
export async function writeSyncCursor(context: Pick<AppContext, 'db'>, connectionId: string, cursor: Date): Promise<void> {
  await context.db.orm
    .update(connections)
    .set({ syncCursor: sql`greatest(${connections.syncCursor}, ${cursor.toISOString()}::timestamptz)` })
    .where(eq(connections.id, connectionId));
}

/** Applies one ticket's state as read from the provider to the tickets we hold for it (one code path with webhooks). */
export async function applyRemoteTicket(context: AppContext, orgId: string, connectionId: string, provider: string, remote: TicketState) {
  const found = await context.db.orm
    .select()
    .from(tickets)
    .where(and(eq(tickets.orgId, orgId), eq(tickets.connectionId, connectionId), or(eq(tickets.externalId, remote.ref.id), eq(tickets.externalKey, remote.ref.key))));
  return applyTicketChange(context, orgId, found, changeFromRemote(provider, remote), undefined, { onlyChanges: true });
}

export async function syncConnection(context: AppContext, orgId: string, connectionId: string, options: { limit?: number; now?: Date } = {}): Promise<SyncResult> {
  const limit = options.limit ?? DEFAULT_SYNC_LIMIT;
  const now = options.now ?? new Date();
  const session = await ticketServiceFor(context).sessionFor({ orgId, orgSlug: '', userId: '' }, null, connectionId);
  const since = (await readSyncCursor(context, connectionId)) ?? new Date(now.getTime() - DEFAULT_LOOKBACK_MS);
  const changed = await session.ticketing.listChangedSince(since, limit);
  let cursor = since;
  let applied = 0;
  const details: string[] = [];
  for (const remote of changed) {
    const outcome = await applyRemoteTicket(context, orgId, connectionId, session.ticketing.provider, remote);
    if (outcome.outcome === 'processed') {
      applied += 1;
      details.push(outcome.detail);
    }
    const updated = parseProviderTime(remote.updated);
    if (updated && updated > cursor) cursor = updated;
  }
  await writeSyncCursor(context, connectionId, cursor);
  return { since: since.toISOString(), cursor: cursor.toISOString(), changed: changed.length, applied, details: details.slice(0, 50) };
}

/** Queues one `sync` job per ticketing connection that holds created tickets (one queued per connection at a time). */
export async function queueTicketSyncs(context: AppContext): Promise<number> {
  const providers = ticketingProviders();
  if (providers.length === 0) return 0;
  const rows = await context.db.orm
    .selectDistinct({ orgId: tickets.orgId, connectionId: tickets.connectionId })
    .from(tickets)
    .where(and(eq(tickets.syncState, 'created'), inArray(tickets.provider, providers)));
  let queued = 0;
  for (const row of rows) {
    if (await context.queue.enqueue('sync', { org_id: row.orgId, connection_id: row.connectionId }, { singletonKey: `sync:${row.connectionId}` })) queued++;
  }
  return queued;
}

/** Every process that runs the queue ticks; the singleton key keeps one job queued per connection. */
export function startTicketSyncScheduler(context: AppContext, intervalMs: number): () => Promise<void> {
  if (intervalMs <= 0) return async () => {};
  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (running || !context.queue.running) return;
    running = queueTicketSyncs(context)
      .catch((error: unknown) => context.logger.error({ err: error }, 'could not queue the ticket syncs'))
      .finally(() => (running = null));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
