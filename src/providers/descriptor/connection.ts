/**
 * What a provider folder receives to act for one connection (its `testConnection`, its client
 * factory) and what a connection test answers. Provider-neutral: services build a ConnectionTarget
 * from a stored row (or from request-supplied credentials) without knowing the provider.
 */
import type { Logger } from 'pino';
import type { OutboundClient } from '../../http-client/index.ts';
import type { SharedState } from '../../shared-state/index.ts';
import type { CredentialSource } from '../credentials/index.ts';

export interface ConnectionTarget {
  connectionId: string | null;
  orgId: string | null;
  /** The site or instance URL (descriptor fields stored as `site_url`). */
  siteUrl: string | null;
  /** The API URL (stored as `api_url`), with the descriptor's default applied. */
  apiUrl: string | null;
  /** OAuth modes: where API calls go instead of the site (Atlassian's /ex/jira/{cloudId}), resolved. */
  apiBaseUrl: string | null;
  settings: Readonly<Record<string, string>>;
  credentials: CredentialSource;
}

export interface ProviderDeps {
  http: OutboundClient;
  sharedState: SharedState;
  logger: Logger;
  /** Per-request timeout (OUTBOUND_TIMEOUT_MS). */
  timeoutMs: number;
}

export interface ConnectionTestResult {
  ok: boolean;
  code: string | null;
  message: string;
  account: { display_name: string; account_id: string | null; email: string | null } | null;
}

/** One cheap authenticated call; throws the provider's coded error when it fails. */
export type TestConnection = (target: ConnectionTarget, deps: ProviderDeps) => Promise<ConnectionTestResult>;
