/**
 * A ServiceNow connection as the client needs it (instance URL, table from the connection's
 * settings, default `incident`), and the connection test: one read of the connection's table
 * (`sysparm_limit=1`), which proves the instance is awake, the credentials work, the table exists
 * and the account may read it — each failure answered with what to fix (errors.ts) — then, for Basic
 * credentials, the user's name from sys_user.
 */
import type { ConnectionTarget, ConnectionTestResult, ProviderDeps } from '../descriptor/connection.ts';
import { createServiceNowClient } from './client.ts';
import { DEFAULT_TABLE, type ServiceNowTarget } from './types.ts';

export function servicenowTargetOf(connection: ConnectionTarget): ServiceNowTarget {
  const instanceUrl = connection.siteUrl ?? connection.apiUrl;
  if (!instanceUrl) throw new TypeError('a ServiceNow connection needs an instance URL');
  return {
    instanceUrl,
    table: connection.settings.table || DEFAULT_TABLE,
    credentials: connection.credentials,
    ...(connection.connectionId ? { connectionId: connection.connectionId } : {}),
    ...(connection.orgId ? { orgId: connection.orgId } : {}),
  };
}

export async function testServiceNowConnection(connection: ConnectionTarget, deps: ProviderDeps): Promise<ConnectionTestResult> {
  const target = servicenowTargetOf(connection);
  // No retries: a test answers at once (a hibernating instance's 503 would only be asked again).
  const client = createServiceNowClient(target, { http: deps.http, sharedState: deps.sharedState, logger: deps.logger, limits: { timeoutMs: deps.timeoutMs, maxAttempts: 1 } });
  await client.list(target.table, { fields: ['sys_id'], pageSize: 1, maxRecords: 1 });
  const host = new URL(target.instanceUrl).host;
  const credential = await connection.credentials.current();
  if (credential.kind === 'basic') {
    const user = await client.findUserByName(credential.username);
    const name = user?.name || credential.username;
    return {
      ok: true,
      code: null,
      message: `connected to ${host} as ${name}; table ${target.table} is readable`,
      account: { display_name: name, account_id: user?.sysId ?? null, email: user?.email ?? null },
    };
  }
  return { ok: true, code: null, message: `connected to ${host} with OAuth (scopes: ${credential.kind === 'oauth2' && credential.scopes.length > 0 ? credential.scopes.join(' ') : 'as granted'}); table ${target.table} is readable`, account: null };
}


