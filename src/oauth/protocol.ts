/**
 * The OAuth 2.0 protocol steps (authorization URL with PKCE S256, code exchange, refresh), done by
 * oauth4webapi against a provider described as data (provider.ts). Every token-endpoint call goes
 * through the project's outbound client (oauth4webapi's `customFetch`), so the address guard, logs,
 * metrics and audit apply; it makes exactly one attempt, because resending a refresh would spend a
 * rotating refresh token twice. Plain http is allowed only for hosts in OUTBOUND_ALLOWED_HOSTS
 * (the local simulators).
 */
import * as oauth from 'oauth4webapi';
import { hostOf, OutboundError, type OutboundClient } from '../http-client/index.ts';
import type { OAuthProvider } from './provider.ts';

export interface OAuthClientCredentials {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface ProtocolDeps {
  http: OutboundClient;
  /** OUTBOUND_ALLOWED_HOSTS: the only hosts plain http is accepted for. */
  allowedHosts: readonly string[];
  timeoutMs: number;
  now: () => number;
  /** For the outbound client's logs and audit events. */
  context?: { orgId?: string; connectionId?: string };
}

export interface TokenSet {
  accessToken: string;
  /** The new refresh token (rotating providers answer one on every refresh), or null. */
  refreshToken: string | null;
  expiresAt: Date;
  /** Granted scopes as the token endpoint reported them (may be fewer than asked). */
  scopes: string[];
}

/**
 * What went wrong, for the caller to word: the user declined (`denied`), the authorization server
 * answered an OAuth error (`rejected`, with its `error` and status), it could not be reached
 * (`unreachable`) or answered nonsense (`bad_response`).
 */
export type OAuthFailureKind = 'denied' | 'rejected' | 'unreachable' | 'bad_response';

export class OAuthProtocolError extends Error {
  readonly kind: OAuthFailureKind;
  /** The OAuth `error` code (invalid_grant, access_denied, …), when the server sent one. */
  readonly error: string | null;
  readonly description: string | null;
  /** The token endpoint's HTTP status; 0 when no answer arrived. */
  readonly status: number;

  constructor(kind: OAuthFailureKind, message: string, details: { error?: string | null; description?: string | null; status?: number; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'OAuthProtocolError';
    this.kind = kind;
    this.error = details.error ?? null;
    this.description = details.description ?? null;
    this.status = details.status ?? 0;
  }
}

function authorizationServer(provider: OAuthProvider): oauth.AuthorizationServer {
  // Atlassian publishes no discovery document: the endpoints are configured, the issuer is their origin.
  return {
    issuer: new URL(provider.authorizationEndpoint).origin,
    authorization_endpoint: provider.authorizationEndpoint,
    token_endpoint: provider.tokenEndpoint,
  };
}

export function generateCodeVerifier(): string {
  return oauth.generateRandomCodeVerifier();
}

export function generateState(): string {
  return oauth.generateRandomState();
}

/** The URL the user's browser is sent to, with every parameter the provider requires. */
export async function authorizationUrl(
  provider: OAuthProvider,
  client: Pick<OAuthClientCredentials, 'clientId' | 'redirectUri'>,
  request: { state: string; codeVerifier: string | null },
): Promise<string> {
  const url = new URL(provider.authorizationEndpoint);
  const params: Record<string, string> = {
    ...provider.authorizationParams,
    client_id: client.clientId,
    scope: provider.scopes.join(' '),
    redirect_uri: client.redirectUri,
    state: request.state,
    response_type: 'code',
  };
  if (provider.pkce && request.codeVerifier) {
    params.code_challenge = await oauth.calculatePKCECodeChallenge(request.codeVerifier);
    params.code_challenge_method = 'S256';
  }
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

function headerRecord(headers: ConstructorParameters<typeof Headers>[0]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of new Headers(headers)) out[name] = value;
  return out;
}

/** oauth4webapi's fetch, answered by the outbound client (one attempt, JSON body when the provider wants it). */
function outboundFetch(provider: OAuthProvider, deps: ProtocolDeps): (url: string, init: oauth.CustomFetchOptions<'POST', URLSearchParams>) => Promise<Response> {
  return async (url, init) => {
    const headers = headerRecord(init.headers);
    let body: string | object = init.body.toString();
    if (provider.tokenRequestBody === 'json') {
      body = Object.fromEntries(init.body);
      headers['content-type'] = 'application/json';
    }
    let answer;
    try {
      answer = await deps.http.request({
        method: init.method,
        url,
        headers,
        body,
        timeoutMs: deps.timeoutMs,
        retry: { maxAttempts: 1 },
        followRedirects: false,
        context: { provider: `oauth:${provider.id}`, ...deps.context },
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      if (error instanceof OutboundError) {
        throw new OAuthProtocolError('unreachable', `${provider.displayName}'s token endpoint could not be reached: ${error.message}`, { cause: error });
      }
      throw error;
    }
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      try {
        responseHeaders.append(name, value);
      } catch {
        // A header the Headers class cannot hold is not one oauth4webapi reads.
      }
    }
    return new Response(answer.body, { status: answer.status, headers: responseHeaders });
  };
}

function requestOptions(provider: OAuthProvider, deps: ProtocolDeps): oauth.TokenEndpointRequestOptions {
  const host = hostOf(provider.tokenEndpoint);
  const insecureAllowed = host !== null && deps.allowedHosts.some((allowed) => allowed.toLowerCase() === host || allowed.toLowerCase() === new URL(provider.tokenEndpoint).hostname);
  return {
    [oauth.customFetch]: outboundFetch(provider, deps) as unknown as typeof fetch,
    ...(insecureAllowed ? { [oauth.allowInsecureRequests]: true } : {}),
  };
}

function tokenSet(response: oauth.TokenEndpointResponse, now: number): TokenSet {
  const expiresIn = typeof response.expires_in === 'number' && response.expires_in > 0 ? response.expires_in : 3600;
  return {
    accessToken: response.access_token,
    refreshToken: typeof response.refresh_token === 'string' && response.refresh_token !== '' ? response.refresh_token : null,
    expiresAt: new Date(now + expiresIn * 1000),
    scopes: typeof response.scope === 'string' ? response.scope.split(/\s+/).filter(Boolean) : [],
  };
}

function translate(provider: OAuthProvider, step: string, error: unknown): OAuthProtocolError {
  if (error instanceof OAuthProtocolError) return error;
  if (error instanceof oauth.ResponseBodyError) {
    return new OAuthProtocolError('rejected', `${provider.displayName} refused the ${step}: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`, {
      error: error.error,
      description: error.error_description ?? null,
      status: error.status,
      cause: error,
    });
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = error.cause[0];
    return new OAuthProtocolError('rejected', `${provider.displayName} refused the ${step} (HTTP ${error.status})`, {
      error: challenge?.parameters.error ?? 'invalid_client',
      description: challenge?.parameters.error_description ?? null,
      status: error.status,
      cause: error,
    });
  }
  const status = (error as { cause?: unknown })?.cause instanceof Response ? ((error as { cause: Response }).cause.status ?? 0) : 0;
  return new OAuthProtocolError('bad_response', `${provider.displayName}'s token endpoint answered something that is not an OAuth token response (${(error as Error)?.message ?? 'unknown'})`, {
    status,
    cause: error,
  });
}

/**
 * Checks the redirect's parameters (an `error` such as access_denied becomes a `denied` failure) and
 * trades the code for tokens. `state` has already been validated by the caller (state.ts).
 */
export async function exchangeCode(
  provider: OAuthProvider,
  client: OAuthClientCredentials,
  deps: ProtocolDeps,
  callback: { parameters: URLSearchParams; state: string; codeVerifier: string | null },
): Promise<TokenSet> {
  const as = authorizationServer(provider);
  const oauthClient: oauth.Client = { client_id: client.clientId };
  let parameters: URLSearchParams;
  try {
    parameters = oauth.validateAuthResponse(as, oauthClient, callback.parameters, callback.state);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) {
      const denied = error.error === 'access_denied';
      return Promise.reject(
        new OAuthProtocolError(denied ? 'denied' : 'rejected', denied ? 'consent was declined' : `${provider.displayName} answered ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`, {
          error: error.error,
          description: error.error_description ?? null,
        }),
      );
    }
    return Promise.reject(new OAuthProtocolError('bad_response', `the callback is not a valid authorization response: ${(error as Error).message}`, { cause: error }));
  }
  try {
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      oauthClient,
      oauth.ClientSecretPost(client.clientSecret),
      parameters,
      client.redirectUri,
      provider.pkce && callback.codeVerifier ? callback.codeVerifier : oauth.nopkce,
      requestOptions(provider, deps),
    );
    return tokenSet(await oauth.processAuthorizationCodeResponse(as, oauthClient, response), deps.now());
  } catch (error) {
    throw translate(provider, 'authorization code', error);
  }
}

/** One refresh-token grant. Never retried here: a rotating refresh token must be spent once. */
export async function refreshGrant(provider: OAuthProvider, client: Omit<OAuthClientCredentials, 'redirectUri'>, deps: ProtocolDeps, refreshToken: string): Promise<TokenSet> {
  const as = authorizationServer(provider);
  const oauthClient: oauth.Client = { client_id: client.clientId };
  try {
    const response = await oauth.refreshTokenGrantRequest(as, oauthClient, oauth.ClientSecretPost(client.clientSecret), refreshToken, requestOptions(provider, deps));
    return tokenSet(await oauth.processRefreshTokenResponse(as, oauthClient, response), deps.now());
  } catch (error) {
    throw translate(provider, 'refresh token', error);
  }
}

/** True when the provider's answer means the grant is gone and only a new consent helps. */
export function needsReauthorization(provider: OAuthProvider, error: unknown): boolean {
  return error instanceof OAuthProtocolError && error.kind === 'rejected' && error.error !== null && provider.reauthErrors.includes(error.error);
}
