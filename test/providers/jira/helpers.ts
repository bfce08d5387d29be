/** Builds a Jira client wired like production (outbound guard allow-listing the local simulators). */
import { pino } from 'pino';
import { createOutboundClient, createOutboundGuard, type OutboundClient } from '../../../src/http-client/index.ts';
import { createJiraClient, type JiraClient, type JiraClientDeps, type JiraTarget } from '../../../src/providers/jira/index.ts';
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
