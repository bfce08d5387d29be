/**
 * `POST /api/v1/connections/{id}/test`: one cheap authenticated call to the provider, answered in
 * words a user can act on (bad credentials, site unreachable, no permission) rather than a status code.
 */
import type { AppContext } from '../context.ts';
import { CodedError } from '../errors/coded-error.ts';
import { type PublicErrorCode, publicCode } from '../errors/catalogue.ts';
import { OutboundError } from '../http-client/index.ts';
import { createJiraClient } from '../providers/jira/index.ts';
import type { ConnectionRecord } from './connections.ts';
import { targetFromConnection } from './tickets/jira-target.ts';

export interface ConnectionTestResult {
  ok: boolean;
  /** A catalogue code (docs/errors.md) when the test failed. */
  code: PublicErrorCode | null;
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
  if (response.status === 401) return { ok: false, code: 'PROVIDER_AUTH_FAILED', message: 'GitHub rejected the token: it is wrong, expired or revoked', account: null };
  if (response.status >= 400) return { ok: false, code: response.status === 403 ? 'PROVIDER_FORBIDDEN' : response.status >= 500 ? 'PROVIDER_UNAVAILABLE' : 'PROVIDER_BAD_RESPONSE', message: `GitHub answered ${response.status} to /user`, account: null };
  const user = response.json<{ login: string; id: number; email: string | null }>();
  return { ok: true, code: null, message: `connected to GitHub as ${user.login}`, account: { display_name: user.login, account_id: String(user.id), email: user.email } };
}

export async function testConnection(context: AppContext, record: ConnectionRecord): Promise<ConnectionTestResult> {
  try {
    if (record.provider === 'jira-cloud' || record.provider === 'jira-server') return await testJira(context, record);
    if (record.provider === 'github') return await testGitHub(context, record);
    return { ok: false, code: 'PROVIDER_NOT_SUPPORTED', message: `testing ${record.provider} connections is not supported yet`, account: null };
  } catch (error) {
    if (error instanceof OutboundError) {
      const code = error.code === 'OUTBOUND_URL_REFUSED' ? 'PROVIDER_URL_REFUSED' : 'PROVIDER_UNREACHABLE';
      return { ok: false, code, message: `the site could not be reached: ${error.reason ?? error.message}`, account: null };
    }
    // Jira's errors and every other coded error carry a catalogue code; internal ones stay internal.
    if (error instanceof CodedError && publicCode(error.code) !== 'INTERNAL') {
      return { ok: false, code: publicCode(error.code), message: error.message, account: null };
    }
    throw error;
  }
}
