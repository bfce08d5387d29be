/**
 * What the runtime plugs into every ConnectionService (src/services/connections.ts): the refreshers
 * per auth kind and the configured endpoints, so a stored connection's credential source refreshes
 * through the right machinery and binds its tokens to the configured hosts (ATLASSIAN_API_URL, not
 * a hard-coded api.atlassian.com).
 *
 * - oauth2: Atlassian connections (jira-cloud, confluence) refresh through AtlassianOAuthService
 *   (one refresh per consent across processes, rotation never lost, refusal → reauth_required).
 */
import type { AppContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import type { Credential, CredentialOwner, CredentialRefresher } from '../providers/credentials/index.ts';
import { refreshedAtlassianCredential } from './atlassian-oauth.ts';
import { type ConnectionRuntime, registerConnectionRuntime } from './connections.ts';

const ATLASSIAN_PROVIDERS = new Set(['jira-cloud', 'confluence']);

export function oauth2Refresher(context: AppContext): CredentialRefresher {
  return {
    async refresh(stale: Credential, owner?: CredentialOwner): Promise<Credential> {
      if (stale.kind !== 'oauth2' || !owner) return stale;
      if (ATLASSIAN_PROVIDERS.has(owner.provider)) return refreshedAtlassianCredential(context, owner.orgId, owner.connectionId, stale.accessToken);
      throw new AppError('OAUTH_REAUTH_REQUIRED', `${owner.provider} OAuth tokens cannot be refreshed by this service yet: reconnect`);
    },
  };
}

export function connectionRuntimeOf(context: AppContext): ConnectionRuntime {
  return {
    sharedState: context.sharedState,
    endpoints: { ATLASSIAN_API_URL: context.config.atlassian.apiUrl, ATLASSIAN_AUTH_URL: context.config.atlassian.authUrl },
    refreshers: new Map<string, CredentialRefresher>([['oauth2', oauth2Refresher(context)]]),
  };
}

/** Called once by the runtime after the context is built. */
export function installConnectionRuntime(context: AppContext): void {
  registerConnectionRuntime(context.db.orm, connectionRuntimeOf(context));
}
