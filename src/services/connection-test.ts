/**
 * `POST /api/v1/connections/{id}/test`: one cheap authenticated call to the provider, answered in
 * words a user can act on (bad credentials, site unreachable, no permission) rather than a status code.
 */
import type { AppContext } from '../context.ts';
import { OutboundError } from '../http-client/index.ts';
import { createJiraClient, JiraError } from '../providers/jira/index.ts';
import type { ConnectionRecord } from './connections.ts';
import { targetFromConnection } from './tickets/jira-target.ts';

export interface ConnectionTestResult {
  ok: boolean;
  code: string | null;
  message: string;
  account: { display_name: string; account_id: string | null; email: string | null } | null;
}

async function testJira(context: AppContext, record: ConnectionRecord): Promise<ConnectionTestResult> {
  const client = createJiraClient(targetFromConnection(record), {
    http: context.outbound,
    sharedState: context.sharedState,
    logger: context.logger.child({ component: 'jira', connection_id: record.id }),
    limits: { timeoutMs: context.config.outbound.timeoutMs },
  });
  const me = await client.myself();
  return {
    ok: true,
    code: null,
    message: `connected to ${record.site_url} as ${me.displayName}`,
    account: { display_name: me.displayName, account_id: me.accountId ?? me.name, email: me.emailAddress },
  };
}

async function testGitHub(context: AppContext, record: ConnectionRecord): Promise<ConnectionTestResult> {
  const response = await context.outbound.request({
    method: 'GET',
    url: `${record.api_url ?? 'https://api.github.com'}/user`,
    headers: { authorization: `Bearer ${record.secrets.token ?? ''}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
    context: { provider: 'github', connectionId: record.id, orgId: record.orgId },
  });
  if (response.status === 401) return { ok: false, code: 'GITHUB_AUTH_FAILED', message: 'GitHub rejected the token: it is wrong, expired or revoked', account: null };
  if (response.status >= 400) return { ok: false, code: 'GITHUB_ERROR', message: `GitHub answered ${response.status} to /user`, account: null };
  const user = response.json<{ login: string; id: number; email: string | null }>();
  return { ok: true, code: null, message: `connected to GitHub as ${user.login}`, account: { display_name: user.login, account_id: String(user.id), email: user.email } };
}

export async function testConnection(context: AppContext, record: ConnectionRecord): Promise<ConnectionTestResult> {
  try {
    if (record.provider === 'jira-cloud' || record.provider === 'jira-server') return await testJira(context, record);
    if (record.provider === 'github') return await testGitHub(context, record);
    return { ok: false, code: 'UNSUPPORTED', message: `testing ${record.provider} connections is not supported yet`, account: null };
  } catch (error) {
    if (error instanceof JiraError) return { ok: false, code: error.code, message: error.message, account: null };
    if (error instanceof OutboundError) {
      return { ok: false, code: error.code, message: `the site could not be reached: ${error.reason ?? error.message}`, account: null };
    }
    if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
      return { ok: false, code: error.code, message: error.message, account: null };
    }
    throw error;
  }
}
