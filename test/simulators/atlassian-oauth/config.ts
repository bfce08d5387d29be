/** Options of the Atlassian OAuth simulator, with their defaults, and the scope catalogue it knows. */
import type { Clock } from './grants.ts';

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
  /**
   * Registered callback URLs; `redirect_uri` must match one exactly. Default: the comma-separated
   * `SIM_REDIRECT_URIS` environment variable, else `http://localhost:8000/api/jira/callback`.
   */
  redirectUris?: string[];
  /** Sites the consenting user can grant (accessible-resources). Default: one site with the default cloud id. */
  sites?: OAuthSite[];
  /** The user who "consents" at /authorize. Default: the Jira simulators' integration bot. */
  account?: OAuthAccount;
  /** Other Atlassian accounts that may consent (`admin.setConsent({ accountId })`); `/me` answers for each. */
  accounts?: OAuthAccount[];
  /** Shared clock (token, code and refresh-token lifetimes). Default: wall time plus `advanceClock` jumps. */
  clock?: Clock;
  /**
   * accessible-resources lists a site once per product granted (Jira scopes, Confluence scopes), as some
   * integrators report, instead of once. Default false.
   */
  resourcesPerProduct?: boolean;
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
  accounts: OAuthAccount[];
  resourcesPerProduct: boolean;
  refreshErrorStyle: 'documented' | 'measured';
  requireState: boolean;
}

export const DEFAULT_CLOUD_ID = '11111111-2222-4333-8444-555555555555';

/**
 * Classic Jira/Confluence/user scopes (Atlassian's scope pages for OAuth 2.0 3LO apps), plus granular
 * ones (`read:page:confluence`, `write:issue:jira`, …) matched by pattern.
 */
export const KNOWN_SCOPES = new Set([
  'read:jira-work',
  'write:jira-work',
  'read:jira-user',
  'manage:jira-project',
  'manage:jira-configuration',
  'manage:jira-webhook',
  'manage:jira-data-provider',
  'read:servicedesk-request',
  'write:servicedesk-request',
  'manage:servicedesk-customer',
  'read:confluence-content.all',
  'read:confluence-content.summary',
  'read:confluence-content.permission',
  'write:confluence-content',
  'read:confluence-space.summary',
  'write:confluence-space',
  'write:confluence-file',
  'read:confluence-props',
  'write:confluence-props',
  'read:confluence-user',
  'read:confluence-groups',
  'write:confluence-groups',
  'manage:confluence-configuration',
  'readonly:content.attachment:confluence',
  'search:confluence',
  'read:me',
  'read:account',
  'offline_access',
]);

export function isKnownScope(scope: string): boolean {
  return KNOWN_SCOPES.has(scope) || /^(read|write|delete|manage):[a-z-]+(\.[a-z-]+)?:(jira|confluence|jira-software|jira-service-management)$/.test(scope);
}

/** Which product a scope belongs to (for accessible-resources entries per product). */
export function scopeProduct(scope: string): 'jira' | 'confluence' | null {
  if (/confluence/.test(scope)) return 'confluence';
  if (/jira|servicedesk/.test(scope)) return 'jira';
  return null;
}
