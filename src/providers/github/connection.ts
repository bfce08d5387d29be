/** The GitHub connection test, through the GitHub client (`GET /user`). */
import type { ConnectionTarget, ConnectionTestResult, ProviderDeps } from '../descriptor/connection.ts';
import { createGitHubClient } from './client.ts';

export const DEFAULT_GITHUB_API = 'https://api.github.com';

export async function testGitHubConnection(connection: ConnectionTarget, deps: ProviderDeps): Promise<ConnectionTestResult> {
  const client = createGitHubClient(
    {
      apiUrl: connection.apiUrl ?? DEFAULT_GITHUB_API,
      credentials: connection.credentials,
      ...(connection.connectionId ? { connectionId: connection.connectionId } : {}),
      ...(connection.orgId ? { orgId: connection.orgId } : {}),
    },
    { http: deps.http, logger: deps.logger, options: { timeoutMs: deps.timeoutMs, maxRetries: 0 } },
  );
  const me = await client.whoAmI();
  return { ok: true, code: null, message: `connected to GitHub as ${me.login}`, account: { display_name: me.login, account_id: me.id === null ? null : String(me.id), email: me.email } };
}
