/**
 * GitHub App installations as a credential (issue 11): the app's private key signs an app JWT
 * (RS256, `iat` 60 s in the past for clock drift, `exp` 9 minutes ahead: GitHub refuses more than
 * 10), which buys an installation access token (`POST {api}/app/installations/{id}/access_tokens`,
 * one hour). The token is then used exactly like a PAT (Bearer for the API, `x-access-token` for
 * git). Caching and single flight are the credential source's (src/providers/credentials): it keeps
 * the token until `refreshBeforeExpirySeconds` before `expires_at` and lets one refresh run at a time
 * per connection across processes; `persist` stores the new token (sealed) before it is used.
 */
import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { AppError } from '../../errors/app-error.ts';
import { bindCredential, hostOf, type OutboundClient, OutboundError } from '../../http-client/index.ts';
import type { Credential, CredentialOwner, CredentialRefresher } from '../credentials/index.ts';

type AppInstallation = Extract<Credential, { kind: 'app-installation' }>;

/** GitHub refuses an app JWT whose `exp` is more than 10 minutes ahead; 9 leaves room for drift. */
const JWT_TTL_SECONDS = 540;
const IAT_BACKDATE_SECONDS = 60;

/** The app JWT: RS256, iss = app id. Accepts GitHub's PKCS#1 download and PKCS#8. */
export async function appJwt(appId: string, privateKeyPem: string, nowMs: number = Date.now()): Promise<string> {
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'the GitHub App private key is not a PEM RSA private key: paste the .pem downloaded from the app settings', { field: 'private_key' });
  }
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(appId)
    .setIssuedAt(now - IAT_BACKDATE_SECONDS)
    .setExpirationTime(now + JWT_TTL_SECONDS)
    .sign(key);
}

export interface InstallationToken {
  token: string;
  expiresAt: Date;
}

/** Buys an installation token with a fresh app JWT. */
export async function requestInstallationToken(
  http: OutboundClient,
  apiUrl: string,
  credential: AppInstallation,
  options: { orgId?: string; connectionId?: string; timeoutMs?: number; now?: () => number } = {},
): Promise<InstallationToken> {
  const jwt = await appJwt(credential.appId, credential.privateKey, (options.now ?? Date.now)());
  const host = hostOf(apiUrl);
  if (host) bindCredential(jwt, [host]);
  const url = `${apiUrl.replace(/\/+$/, '')}/app/installations/${encodeURIComponent(credential.installationId)}/access_tokens`;
  let response;
  try {
    response = await http.request({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${jwt}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
      context: { provider: 'github', ...(options.orgId ? { orgId: options.orgId } : {}), ...(options.connectionId ? { connectionId: options.connectionId } : {}) },
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  } catch (error) {
    if (error instanceof OutboundError) throw new AppError('PROVIDER_UNREACHABLE', `GitHub could not be reached for an installation token: ${error.message}`, { cause: error });
    throw error;
  }
  let body: { token?: unknown; expires_at?: unknown; message?: unknown };
  try {
    body = response.json();
  } catch {
    body = {};
  }
  if (response.status !== 201 && response.status !== 200) {
    const said = typeof body.message === 'string' ? `: ${body.message}` : '';
    if (response.status === 401) {
      throw new AppError('PROVIDER_AUTH_FAILED', `GitHub refused the app JWT${said} (check the app id and private key, and the server clock)`);
    }
    if (response.status === 404) throw new AppError('PROVIDER_AUTH_FAILED', `GitHub has no installation ${credential.installationId} of app ${credential.appId}${said}`);
    if (response.status === 403) throw new AppError('PROVIDER_FORBIDDEN', `GitHub refused an installation token${said} (is the installation suspended?)`);
    throw new AppError('PROVIDER_UNAVAILABLE', `GitHub answered ${response.status} to the installation token request${said}`);
  }
  if (typeof body.token !== 'string' || typeof body.expires_at !== 'string' || Number.isNaN(Date.parse(body.expires_at))) {
    throw new AppError('PROVIDER_UNAVAILABLE', 'GitHub answered the installation token request without token and expires_at');
  }
  return { token: body.token, expiresAt: new Date(body.expires_at) };
}

/**
 * The refresher for `app-installation` credentials: buys a token, has `persist` store it, returns the
 * renewed credential. `apiUrlOf` says which API a connection talks to (api.github.com or GHES).
 */
export function appInstallationRefresher(options: {
  http: OutboundClient;
  apiUrlOf(owner: CredentialOwner): Promise<string>;
  persist(owner: CredentialOwner, token: InstallationToken): Promise<void>;
  timeoutMs?: number;
  now?: () => number;
}): CredentialRefresher {
  return {
    async refresh(stale, owner) {
      if (stale.kind !== 'app-installation' || !owner) return stale;
      const apiUrl = await options.apiUrlOf(owner);
      const bought = await requestInstallationToken(options.http, apiUrl, stale, {
        orgId: owner.orgId,
        connectionId: owner.connectionId,
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
      await options.persist(owner, bought);
      return { ...stale, installationToken: bought.token, expiresAt: bought.expiresAt };
    },
  };
}
