/** The ticket as the API shows it (snake_case), and seed 002's `jira_tickets` shape. */
import type { TicketRow } from './ticket-store.ts';

export interface TicketView {
  id: string;
  finding_id: string;
  connection_id: string;
  provider: string;
  external_id: string | null;
  external_key: string | null;
  url: string | null;
  external_status: string | null;
  external_priority: string | null;
  state: string;
  sync_state: string;
  last_error: string | null;
  last_synced_at: string | null;
  created_at: string;
}

export function toTicketView(row: TicketRow): TicketView {
  return {
    id: row.id,
    finding_id: row.findingId,
    connection_id: row.connectionId,
    provider: row.provider,
    external_id: row.externalId,
    external_key: row.externalKey,
    url: row.url,
    external_status: row.externalStatus,
    external_priority: row.externalPriority,
    state: row.state,
    sync_state: row.syncState,
    last_error: row.lastError,
    last_synced_at: row.lastSyncedAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
  };
}

/** Seed 002: `{ id, jira_ticket_id, jira_ticket_key, jira_ticket_url, status }` (+ what links it). */
export interface SeedTicketView {
  id: string;
  violation_id: string;
  jira_ticket_id: string | null;
  jira_ticket_key: string | null;
  jira_ticket_url: string | null;
  status: string | null;
  internal_state: string;
  last_synced_at: string | null;
}

export function toSeedTicketView(row: TicketRow): SeedTicketView {
  return {
    id: row.id,
    violation_id: row.findingId,
    jira_ticket_id: row.externalId,
    jira_ticket_key: row.externalKey,
    jira_ticket_url: row.url,
    status: row.externalStatus,
    internal_state: row.state,
    last_synced_at: row.lastSyncedAt?.toISOString() ?? null,
  };
}
