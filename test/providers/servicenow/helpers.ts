/** Builds a ServiceNow client wired like production (outbound guard allow-listing the local simulator). */
import { pino } from 'pino';
import { createOutboundClient, createOutboundGuard, type OutboundClient } from '../../../src/http-client/index.ts';
import { type CredentialSource, staticCredentials } from '../../../src/providers/credentials/index.ts';
import { createServiceNowClient, createServiceNowLimiterRegistry, type ServiceNowClient, type ServiceNowClientDeps, type ServiceNowTarget } from '../../../src/providers/servicenow/index.ts';
import { createMemorySharedState, type SharedState } from '../../../src/shared-state/index.ts';
import type { ServiceNowSimulator } from '../../simulators/servicenow/index.ts';

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

export const basicSource = (sim: ServiceNowSimulator, user: { username: string; password: string } = sim.credentials): CredentialSource =>
  staticCredentials({ kind: 'basic', username: user.username, password: user.password });

export interface Harness {
  client: ServiceNowClient;
  http: OutboundClient;
  sharedState: SharedState;
  target: ServiceNowTarget;
}

export function makeClient(sim: ServiceNowSimulator, target: Partial<ServiceNowTarget> = {}, extra: Partial<ServiceNowClientDeps> = {}): Harness {
  const http = extra.http ?? outbound();
  const sharedState = extra.sharedState ?? createMemorySharedState();
  const full: ServiceNowTarget = { instanceUrl: sim.url, table: 'incident', credentials: basicSource(sim), ...target };
  const client = createServiceNowClient(full, { http, sharedState, logger: silentLogger, limiters: createServiceNowLimiterRegistry(), ...extra });
  return { client, http, sharedState, target: full };
}

export const uniqueKey = (prefix: string): string => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
