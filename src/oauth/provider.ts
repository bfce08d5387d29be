/**
 * OAuth 2.0 authorization servers described as data: where to send the user, where to trade codes and
 * refresh tokens, which parameters the provider insists on, and how it rotates and refuses refresh
 * tokens. The protocol code (protocol.ts) reads only this description, so a new provider (ServiceNow)
 * is a new value here, not new code.
 */

export interface OAuthProvider {
  /** Short name used in logs, shared-state keys and error messages ("atlassian"). */
  id: string;
  /** Shown to people: "Atlassian". */
  displayName: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** Scopes asked for at consent (space-joined in the authorization URL). */
  scopes: string[];
  /** Extra authorization-request parameters the provider requires (Atlassian: audience, prompt). */
  authorizationParams: Record<string, string>;
  /** Send a PKCE S256 challenge (and the verifier at the code exchange). */
  pkce: boolean;
  /**
   * How the token endpoint wants its body: Atlassian documents `application/json`; most servers take
   * the standard form encoding.
   */
  tokenRequestBody: 'json' | 'form';
  /** A refresh answers with a new refresh token and invalidates the old one (Atlassian: always). */
  rotatesRefreshTokens: boolean;
  /** Days a refresh token lives unused (Atlassian: 90), or null. */
  refreshIdleDays: number | null;
  /** Days a consent's refresh-token family lives at most (Atlassian: 365), or null. */
  refreshAbsoluteDays: number | null;
  /** Token-endpoint `error` values that mean the grant is gone: the owner must consent again. */
  reauthErrors: string[];
}

export interface AtlassianHosts {
  /** https://auth.atlassian.com (or a simulator). */
  authUrl: string;
  /** https://api.atlassian.com (or a simulator). */
  apiUrl: string;
  scopes: string[];
}

/** Atlassian OAuth 2.0 (3LO), ../shared/PROVIDER-FACTS.md §3. */
export function atlassianProvider(hosts: AtlassianHosts): OAuthProvider {
  const auth = hosts.authUrl.replace(/\/+$/, '');
  return {
    id: 'atlassian',
    displayName: 'Atlassian',
    authorizationEndpoint: `${auth}/authorize`,
    tokenEndpoint: `${auth}/oauth/token`,
    scopes: hosts.scopes.includes('offline_access') ? hosts.scopes : ['offline_access', ...hosts.scopes],
    authorizationParams: { audience: 'api.atlassian.com', prompt: 'consent' },
    pkce: true,
    tokenRequestBody: 'json',
    rotatesRefreshTokens: true,
    refreshIdleDays: 90,
    refreshAbsoluteDays: 365,
    // Documented: 403 invalid_grant; measured: 403 unauthorized_client for a rotated or unknown token.
    reauthErrors: ['invalid_grant', 'unauthorized_client'],
  };
}
