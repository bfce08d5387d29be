/**
 * A ticket session: one connection's ticketing client (src/providers/ticketing, found through the
 * provider registry) plus what planning needs from our side (the connection's mapping rows), for
 * one batch. Services never name a provider: whatever differs lives in the provider's folder.
 */
import type { AppContext } from '../../context.ts';
import type { MappingRow } from '../../domain/mapping.ts';
import { AppError } from '../../errors/app-error.ts';
import { CodedError } from '../../errors/coded-error.ts';
import type { ConnectionTarget } from '../../providers/descriptor/connection.ts';
import { ticketingFor } from '../../providers/registry.ts';
import type { TicketingClient } from '../../providers/ticketing/index.ts';

export interface TicketSession {
  ticketing: TicketingClient;
  connectionId: string;
  /** The registry id of the connection's provider ("jira-cloud", "servicenow", …). */
  provider: string;
  mappingRows: MappingRow[];
  /** Credentials came with the request (seeds 000/001): nothing may be queued for later. */
  ephemeral: boolean;
}

/** Credentials a request sends for its own use only (seeds 000/001 name them after Jira). */
export interface RequestTicketCredentials {
  jira_url: string;
  jira_email?: string | null;
  jira_pat: string;
}

export function openTicketSession(
  context: AppContext,
  provider: string,
  target: ConnectionTarget,
  details: { connectionId: string; mappingRows: MappingRow[]; ephemeral: boolean },
): TicketSession {
  const implementation = ticketingFor(provider);
  if (!implementation) throw new AppError('VALIDATION_FAILED', `${provider} connections cannot hold tickets`, { field: 'connection_id' });
  const ticketing = implementation.create(target, {
    http: context.outbound,
    sharedState: context.sharedState,
    logger: context.logger,
    timeoutMs: context.config.outbound.timeoutMs,
    searchConsistencyMs: context.config.jiraSearchConsistencyMs,
  });
  return { ticketing, connectionId: details.connectionId, provider, mappingRows: details.mappingRows, ephemeral: details.ephemeral };
}

/** An error a ticketing provider raised (any provider's coded error names its provider). */
export function isProviderError(error: unknown): error is CodedError {
  return error instanceof CodedError && error.provider !== undefined;
}
