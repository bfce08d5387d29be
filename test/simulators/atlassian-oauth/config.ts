/** Options of the Atlassian OAuth simulator, with their defaults, and the scope catalogue it knows. */
export interface OAuthSite {
  cloudId: string;
  url: string;
  name: string;
}

export interface OAuthAccount {
  accountId: string;
  email: string;
  name: string;
}

export interface AtlassianOAuthSimulatorOptions {
  clientId?: string;
  clientSecret?: string;
  /** Registered callback URLs; `redirect_uri` must match one exactly. */
  redirectUris?: string[];
  /** Sites a grant covers (accessible-resources). Default: one site with the default cloud id. */
  sites?: OAuthSite[];
  /** The user who "consents" at /authorize. Default: the Jira simulators' integration bot. */
  account?: OAuthAccount;
  codeTtlSeconds?: number;
  accessTokenTtlSeconds?: number;
  /** Leeway for reusing a rotated refresh token (Atlassian: 10 minutes). */
  refreshGraceSeconds?: number;
  refreshInactivitySeconds?: number;
  refreshAbsoluteSeconds?: number;
  /**
   * Body of a refused refresh: `documented` = 403 invalid_grant "Unknown or invalid refresh token."
   * (Atlassian docs); `measured` = 403 unauthorized_client "refresh_token is invalid" (observed).
   */
  refreshErrorStyle?: 'documented' | 'measured';
  /** Require `state` at /authorize (the product must always send one). Default true. */
  requireState?: boolean;
}

export interface ResolvedOAuthConfig {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  sites: OAuthSite[];
  account: OAuthAccount;
  refreshErrorStyle: 'documented' | 'measured';
  requireState: boolean;
}

export const DEFAULT_CLOUD_ID = '11111111-2222-4333-8444-555555555555';

/** Classic Jira/Confluence/user scopes, plus granular ones matched by pattern. */
export const KNOWN_SCOPES = new Set([
  'read:jira-work',
  'write:jira-work',
  'read:jira-user',
  'manage:jira-project',
  'manage:jira-configuration',
  'manage:jira-webhook',
  'manage:jira-data-provider',
  'read:confluence-content.all',
  'read:confluence-content.summary',
  'write:confluence-content',
  'read:confluence-space.summary',
  'search:confluence',
  'read:me',
  'read:account',
  'offline_access',
]);

export function isKnownScope(scope: string): boolean {
  return KNOWN_SCOPES.has(scope) || /^(read|write|delete|manage):[a-z-]+(\.[a-z-]+)?:(jira|confluence|jira-software)$/.test(scope);
}
