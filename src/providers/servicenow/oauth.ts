/**
 * ServiceNow OAuth: the instance's own authorization server (`/oauth_auth.do`, `/oauth_token.do`).
 * The token endpoint takes `application/x-www-form-urlencoded` only; the password grant returns an
 * access and a refresh token, the refresh grant an access token only (refresh tokens do not rotate);
 * within an access token's lifetime every grant answers that same token; every refusal is 401
 * `{"error_description":"access_denied","error":"server_error"}` (../../shared/PROVIDER-FACTS.md §5).
 *
 * The authorization-code flow (redirect path `/oauth/servicenow`, scopes `ticket.read ticket.write`)
 * runs on the shared machinery in src/oauth (oauth4webapi over the outbound client): ServiceNow is a
 * provider value there (`servicenowOAuthProvider`). The password and refresh grants are here, as
 * plain form posts through the outbound client: src/oauth has no password grant, and ServiceNow's
 * refresh needs the old refresh token kept and its one refusal shape read as "reconnect".
 */
import { CodedError } from '../../errors/coded-error.ts';
import { OutboundError, type OutboundClient } from '../../http-client/index.ts';
import { authorizationUrl, exchangeCode, OAuthProtocolError, type OAuthProvider, type ProtocolDeps, type TokenSet } from '../../oauth/index.ts';
import type { Credential, CredentialRefresher } from '../credentials/index.ts';
import { isHibernationPage, PROVIDER, ServiceNowError } from './errors.ts';

export const SERVICENOW_SCOPES = ['ticket.read', 'ticket.write'] as const;
export const SERVICENOW_REDIRECT_PATH = '/oauth/servicenow';

export interface ServiceNowOAuthClient {
  clientId: string;
  clientSecret: string;
}

export interface TokenDeps {
  http: OutboundClient;
  timeoutMs?: number;
  now?: () => number;
  context?: { orgId?: string; connectionId?: string };
}

const base = (instanceUrl: string) => instanceUrl.replace(/\/+$/, '');
export const tokenEndpointOf = (instanceUrl: string) => `${base(instanceUrl)}/oauth_token.do`;
export const authorizationEndpointOf = (instanceUrl: string) => `${base(instanceUrl)}/oauth_auth.do`;

/** ServiceNow as a provider of the shared OAuth machinery (authorization URL, code exchange). */
export function servicenowOAuthProvider(instanceUrl: string, scopes: readonly string[] = SERVICENOW_SCOPES): OAuthProvider {
  return {
    id: PROVIDER,
    displayName: 'ServiceNow',
    authorizationEndpoint: authorizationEndpointOf(instanceUrl),
    tokenEndpoint: tokenEndpointOf(instanceUrl),
    scopes: [...scopes],
    authorizationParams: {},
    pkce: false,
    tokenRequestBody: 'form',
    rotatesRefreshTokens: false,
    refreshIdleDays: null,
    // The OAuth application registry's default Refresh Token Lifespan (8,640,000 s); per instance.
    refreshAbsoluteDays: 100,
    // ServiceNow answers every refusal with this error (and 401).
    reauthErrors: ['server_error', 'access_denied', 'invalid_grant'],
  };
}

/** The consent URL for the authorization-code flow (state checked by the caller's state store). */
export function servicenowAuthorizationUrl(instanceUrl: string, client: { clientId: string; redirectUri: string }, state: string, scopes?: readonly string[]): Promise<string> {
  return authorizationUrl(servicenowOAuthProvider(instanceUrl, scopes), client, { state, codeVerifier: null });
}

/** Trades the callback's code for tokens (oauth4webapi through the outbound client, form-encoded). */
export function exchangeServiceNowCode(
  instanceUrl: string,
  client: ServiceNowOAuthClient & { redirectUri: string },
  deps: ProtocolDeps,
  callback: { parameters: URLSearchParams; state: string },
  scopes?: readonly string[],
): Promise<TokenSet> {
  return exchangeCode(servicenowOAuthProvider(instanceUrl, scopes), client, deps, { ...callback, codeVerifier: null });
}

/** True when ServiceNow refused the grant itself (bad client/user credentials, expired or unknown refresh token): reconnect. */
export function isGrantRefused(error: unknown): boolean {
  if (error instanceof ServiceNowError) return error.code === 'PROVIDER_AUTH_FAILED';
  return error instanceof OAuthProtocolError && error.kind === 'rejected' && (error.status === 401 || error.status === 400);
}

async function tokenRequest(instanceUrl: string, params: Record<string, string>, deps: TokenDeps, what: string): Promise<TokenSet> {
  const now = deps.now ?? Date.now;
  const url = tokenEndpointOf(instanceUrl);
  const host = new URL(url).host;
  let response;
  try {
    response = await deps.http.request({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(params).toString(),
      timeoutMs: deps.timeoutMs ?? 30_000,
      // One attempt: a token request is answered again by the caller's next call, not resent blindly.
      retry: { maxAttempts: 1 },
      followRedirects: false,
      context: { provider: `oauth:${PROVIDER}`, ...deps.context },
    });
  } catch (error) {
    const reason = error instanceof OutboundError ? error.code : 'unknown failure';
    throw new ServiceNowError('PROVIDER_UNREACHABLE', `ServiceNow's token endpoint at ${host} could not be reached (${reason}): check the instance URL`, { retryable: true });
  }
  if (isHibernationPage(response)) {
    throw new ServiceNowError('PROVIDER_UNAVAILABLE', `The ServiceNow instance ${host} is hibernating (a developer instance asleep): wake it from the developer portal, then try again`, {
      status: response.status,
      retryable: true,
      hibernating: true,
    });
  }
  let body: { access_token?: unknown; refresh_token?: unknown; expires_in?: unknown; scope?: unknown; error?: unknown; error_description?: unknown } = {};
  try {
    body = JSON.parse(response.body) as typeof body;
  } catch {
    // Left empty: judged below by status.
  }
  if (response.status === 401 || response.status === 400 || (typeof body.error === 'string' && response.status < 500)) {
    throw new ServiceNowError(
      'PROVIDER_AUTH_FAILED',
      `ServiceNow refused the ${what}: ${what === 'refresh token' ? 'the refresh token expired or was revoked; reconnect the ServiceNow account' : 'check the OAuth client id and secret (System OAuth > Application Registry) and the user name and password'}`,
      { status: response.status },
    );
  }
  if (response.status >= 500) throw new ServiceNowError('PROVIDER_UNAVAILABLE', `ServiceNow's token endpoint failed (HTTP ${response.status}); try again`, { status: response.status, retryable: true });
  if (response.status !== 200 || typeof body.access_token !== 'string' || body.access_token === '') {
    throw new ServiceNowError('PROVIDER_BAD_RESPONSE', `ServiceNow's token endpoint answered something that is not a token (HTTP ${response.status}): check the instance URL`, { status: response.status });
  }
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in);
  return {
    accessToken: body.access_token,
    refreshToken: typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : null,
    expiresAt: new Date(now() + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 1799) * 1000),
    scopes: typeof body.scope === 'string' ? body.scope.split(/\s+/).filter(Boolean) : [],
  };
}

/** The resource-owner password grant (an integration user): both tokens. */
export function passwordGrant(
  instanceUrl: string,
  client: ServiceNowOAuthClient,
  user: { username: string; password: string },
  deps: TokenDeps,
  scopes?: readonly string[],
): Promise<TokenSet> {
  return tokenRequest(
    instanceUrl,
    {
      grant_type: 'password',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      username: user.username,
      password: user.password,
      ...(scopes && scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    },
    deps,
    'password grant',
  );
}

/** The refresh grant. ServiceNow answers no new refresh token: the one given is kept. */
export async function refreshServiceNowToken(instanceUrl: string, client: ServiceNowOAuthClient, refreshToken: string, deps: TokenDeps): Promise<TokenSet> {
  const tokens = await tokenRequest(
    instanceUrl,
    { grant_type: 'refresh_token', client_id: client.clientId, client_secret: client.clientSecret, refresh_token: refreshToken },
    deps,
    'refresh token',
  );
  return { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken };
}

export function credentialOf(tokens: TokenSet, scopes: readonly string[] = []): Extract<Credential, { kind: 'oauth2' }> {
  return { kind: 'oauth2', accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: tokens.expiresAt, scopes: tokens.scopes.length > 0 ? tokens.scopes : [...scopes] };
}

export interface ServiceNowRefresherOptions {
  instanceUrl: string;
  client: ServiceNowOAuthClient;
  deps: TokenDeps;
  /** Stores the renewed credential (sealed) before it is used; runs under the connection's refresh lock. */
  persist(credential: Credential): Promise<void>;
  /** Called when ServiceNow refuses the refresh token: mark the connection reauth_required. */
  onRefused?(error: unknown): Promise<void>;
}

/**
 * The CredentialRefresher for a ServiceNow OAuth connection (src/providers/credentials): trades the
 * refresh token, keeps it (ServiceNow does not rotate), persists, returns the new credential. A
 * refused refresh token becomes OAUTH_REAUTH_REQUIRED.
 */
export function servicenowRefresher(options: ServiceNowRefresherOptions): CredentialRefresher {
  return {
    async refresh(stale) {
      if (stale.kind !== 'oauth2' || !stale.refreshToken) return stale;
      let tokens: TokenSet;
      try {
        tokens = await refreshServiceNowToken(options.instanceUrl, options.client, stale.refreshToken, options.deps);
      } catch (error) {
        if (!isGrantRefused(error)) throw error;
        await options.onRefused?.(error);
        throw new CodedError('OAUTH_REAUTH_REQUIRED', 'ServiceNow refused the connection’s refresh token (expired or revoked): connect the ServiceNow account again', {
          provider: PROVIDER,
          upstreamStatus: (error as ServiceNowError).upstreamStatus,
          cause: error,
        });
      }
      const renewed = credentialOf(tokens, stale.scopes);
      await options.persist(renewed);
      return renewed;
    },
  };
}

/** The protocol steps the ServiceNow OAuth service (src/services/servicenow-oauth.ts) is handed. */
export const servicenowOAuthProtocol = {
  scopes: SERVICENOW_SCOPES,
  defaultTable: 'incident',
  authorizationUrl: servicenowAuthorizationUrl,
  exchangeCode: exchangeServiceNowCode,
  refresher: servicenowRefresher,
};
