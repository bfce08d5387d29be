/**
 * The connection test of a Confluence Cloud connection (API token at the site URL): one
 * authenticated REST v2 read (spaces), so a wrong email, token or site is said before a report is
 * published with it.
 */
import type { ConnectionTarget, ConnectionTestResult, ProviderDeps } from '../descriptor/connection.ts';
import { createConfluenceClient } from './client.ts';

export async function testConfluenceConnection(connection: ConnectionTarget, deps: ProviderDeps): Promise<ConnectionTestResult> {
  const baseUrl = connection.apiBaseUrl ?? connection.siteUrl;
  if (!baseUrl) return { ok: false, code: 'VALIDATION_FAILED', message: 'the connection has no site URL', account: null };
  const client = createConfluenceClient(
    { baseUrl, credentials: connection.credentials, connectionId: connection.connectionId ?? '', orgId: connection.orgId ?? '' },
    { http: deps.http, timeoutMs: deps.timeoutMs },
  );
  const { spaces } = await client.ping();
  return { ok: true, code: null, message: `connected to ${connection.siteUrl ?? 'Confluence'} (${spaces > 0 ? 'spaces are visible' : 'no space is visible to this account'})`, account: null };
}
