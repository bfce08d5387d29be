/** Builds a Jira client wired like production (outbound guard allow-listing the local simulators). */
import { pino } from 'pino';
import { createOutboundClient, createOutboundGuard, type OutboundClient } from '../../../src/http-client/index.ts';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';
import { createJiraClient, type JiraClient, type JiraClientDeps, type JiraTarget } from '../../../src/providers/jira/index.ts';
import { ticketingFor } from '../../../src/providers/registry.ts';
import type { TicketingClient } from '../../../src/providers/ticketing/types.ts';
import { createMemorySharedState, type SharedState } from '../../../src/shared-state/index.ts';

export const silentLogger = pino({ level: 'silent' });

export function outbound(): OutboundClient {
  return createOutboundClient({
    logger: silentLogger,
    guard: createOutboundGuard({ allowedHosts: ['127.0.0.1', 'localhost'] }),
    defaultTimeoutMs: 10_000,
    maxRetries: 2,
    backoff: { baseDelayMs: 20, maxBackoffMs: 200 },
  });
}

export interface Harness {
  client: JiraClient;
  http: OutboundClient;
  sharedState: SharedState;
}

export function makeClient(target: JiraTarget, extra: Partial<JiraClientDeps> = {}): Harness {
  const http = extra.http ?? outbound();
  const sharedState = extra.sharedState ?? createMemorySharedState();
  return { client: createJiraClient(target, { http, sharedState, logger: silentLogger, ...extra }), http, sharedState };
}

export const uniqueLabel = (prefix: string): string => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

export const adfText = (text: string) => ({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

/** The registry's Jira Cloud ticketing client on a simulator, with its API token (wired like production). */
export function cloudTicketing(
  sim: { url: string; credentials: { email: string; apiToken: string } },
  http: OutboundClient,
  options: { connectionId: string; searchConsistencyMs: number },
): TicketingClient {
  return ticketingFor('jira-cloud')!.create(
    {
      connectionId: options.connectionId,
      orgId: null,
      siteUrl: sim.url,
      apiUrl: null,
      apiBaseUrl: null,
      settings: {},
      credentials: staticCredentials({ kind: 'api-token', email: sim.credentials.email, apiToken: sim.credentials.apiToken }),
    },
    { http, sharedState: createMemorySharedState(), logger: silentLogger, timeoutMs: 10_000, searchConsistencyMs: options.searchConsistencyMs },
  );
}
