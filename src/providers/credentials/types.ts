/**
 * Credentials, keyed on the auth kind of the provider descriptors, and the one way clients get
 * them: a CredentialSource. A client never holds a token; it asks its source for the current
 * credential at each call (so a refreshed token is used by the very next call) and, after a 401,
 * asks it once whether a refresh cures that.
 */
import type { AuthKind } from '../descriptor/schema.ts';

export type Credential =
  /** Atlassian Cloud: `Basic email:api_token`. */
  | { kind: 'api-token'; email: string; apiToken: string }
  /** `Basic username:password` (Jira Server/DC, ServiceNow). */
  | { kind: 'basic'; username: string; password: string }
  /** A personal access token, sent as Bearer. */
  | { kind: 'pat'; token: string }
  /** OAuth 2.0: the access token until `expiresAt`, then the refresh token buys the next one. */
  | { kind: 'oauth2'; accessToken: string; refreshToken: string | null; expiresAt: Date | null; scopes: readonly string[] }
  /** A GitHub App installation: the installation token (null until bought) and what buys the next one. */
  | { kind: 'app-installation'; appId: string; installationId: string; privateKey: string; installationToken: string | null; expiresAt: Date | null };

export type CredentialOf<K extends AuthKind> = Extract<Credential, { kind: K }>;

export interface CredentialSource {
  readonly kind: AuthKind;
  /** Identity for rate budgets and caches: `conn:<id>`, or a hash for request-supplied secrets. Never a secret. */
  readonly key: string;
  /** The hosts this credential may be sent to; null for credentials the caller sent with the request. */
  readonly hosts: readonly string[] | null;
  /** The credential to use now (refreshed first when it expires within the provider's margin). */
  current(): Promise<Credential>;
  /**
   * Called once after the provider answered 401 to `rejected`: a renewed credential when a refresh
   * (ours, or one another caller or process made meanwhile) can cure it, else null (the 401 stands).
   */
  renewAfterRejection(rejected: Credential): Promise<Credential | null>;
}

/** The Authorization header value for a credential. */
export function authorizationOf(credential: Credential): string {
  switch (credential.kind) {
    case 'api-token':
      return `Basic ${Buffer.from(`${credential.email}:${credential.apiToken}`).toString('base64')}`;
    case 'basic':
      return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
    case 'pat':
      return `Bearer ${credential.token}`;
    case 'oauth2':
      return `Bearer ${credential.accessToken}`;
    case 'app-installation':
      if (!credential.installationToken) throw new TypeError('the installation token has not been obtained yet');
      return `Bearer ${credential.installationToken}`;
  }
}

/** The token a git push sends (as the password of `x-access-token`), for kinds that have one. */
export function bearerTokenOf(credential: Credential): string | null {
  if (credential.kind === 'pat') return credential.token;
  if (credential.kind === 'oauth2') return credential.accessToken;
  if (credential.kind === 'app-installation') return credential.installationToken;
  return null;
}

/** Every secret in a credential, for scrubbing error text. */
export function secretsOf(credential: Credential): string[] {
  switch (credential.kind) {
    case 'api-token':
      return [credential.apiToken];
    case 'basic':
      return [credential.password];
    case 'pat':
      return [credential.token];
    case 'oauth2':
      return [credential.accessToken, ...(credential.refreshToken ? [credential.refreshToken] : [])];
    case 'app-installation':
      return [credential.privateKey, ...(credential.installationToken ? [credential.installationToken] : [])];
  }
}

/** Whether two credentials carry the same secret in use (the same access token, PAT, password). */
export function sameCredential(a: Credential, b: Credential): boolean {
  return authorizationKey(a) === authorizationKey(b);
}

function authorizationKey(credential: Credential): string {
  if (credential.kind === 'app-installation') return `app:${credential.installationToken ?? ''}`;
  return authorizationOf(credential);
}
