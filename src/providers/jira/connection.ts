/**
 * A Jira connection as the client needs it: the target built from a ConnectionTarget (site URL, or
 * Atlassian's gateway for OAuth with the site kept for browse links), and the connection test
 * (`/myself`).
 */
import type { ConnectionTarget, ConnectionTestResult, ProviderDeps } from '../descriptor/connection.ts';
import { createJiraClient } from './client.ts';
import type { JiraFlavor, JiraTarget } from './types.ts';

export function jiraTargetOf(flavor: JiraFlavor, connection: ConnectionTarget): JiraTarget {
  const baseUrl = connection.apiBaseUrl ?? connection.siteUrl;
  if (!baseUrl) throw new TypeError('a Jira connection needs a site URL');
  return {
    flavor,
    baseUrl,
    ...(connection.apiBaseUrl && connection.siteUrl ? { browseUrl: connection.siteUrl } : {}),
    credentials: connection.credentials,
    ...(connection.connectionId ? { connectionId: connection.connectionId } : {}),
    ...(connection.orgId ? { orgId: connection.orgId } : {}),
  };
}

export function jiraConnectionTest(flavor: JiraFlavor) {
  return async (connection: ConnectionTarget, deps: ProviderDeps): Promise<ConnectionTestResult> => {
    const client = createJiraClient(jiraTargetOf(flavor, connection), {
      http: deps.http,
      sharedState: deps.sharedState,
      logger: deps.logger,
      limits: { timeoutMs: deps.timeoutMs },
    });
    const me = await client.myself();
    return {
      ok: true,
      code: null,
      message: `connected to ${connection.siteUrl ?? 'Jira'} as ${me.displayName}`,
      account: { display_name: me.displayName, account_id: me.accountId ?? me.name, email: me.emailAddress },
    };
  };
}
