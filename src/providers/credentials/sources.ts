/**
 * The two credential sources. `staticCredentials`: a credential the caller sent with the request
 * (seeds 000/001 PATs): held in memory for the request, never stored, never refreshed, not bound to
 * hosts (the caller decides where it goes). `storedCredentials`: a stored connection's credential,
 * bound to the connection's hosts (src/http-client/credential-binding.ts refuses to send it anywhere
 * else), refreshed before it expires and after a 401 — one refresh at a time per connection across
 * every process: in process one promise is shared, across processes a SharedState lock (Redis when
 * REDIS_URL is set) is taken and the row re-read after acquiring it, since another process may have
 * refreshed already. A provider that answers an early refresh with the same token (ServiceNow, while
 * the token is valid) is asked once per token, not on every call until the token expires.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../../errors/app-error.ts';
import { bindCredential } from '../../http-client/index.ts';
import type { SharedState } from '../../shared-state/index.ts';
import { type Credential, type CredentialSource, sameCredential, secretsOf } from './types.ts';

export function staticCredentials(credential: Credential): CredentialSource {
  const key = `static:${createHash('sha256').update(secretsOf(credential).join('\n')).update(credential.kind === 'api-token' ? credential.email : '').digest('hex').slice(0, 24)}`;
  return {
    kind: credential.kind,
    key,
    hosts: null,
    current: async () => credential,
    renewAfterRejection: async () => null,
  };
}

/**
 * Buys a new credential for an expired or rejected one and persists it before returning (for OAuth:
 * the new refresh token in the same transaction as the access token). Runs under the connection's
 * lock. The OAuth machinery supplies it; without one, credentials are used as they are.
 */
export interface CredentialRefresher {
  /** `owner`: the stored connection whose credential this is (a refresher shared by providers dispatches on it). */
  refresh(stale: Credential, owner?: CredentialOwner): Promise<Credential>;
}

export interface CredentialOwner {
  orgId: string;
  connectionId: string;
  provider: string;
}

export interface StoredCredentialsOptions {
  connectionId: string;
  /** Passed to the refresher. */
  owner?: CredentialOwner;
  kind: Credential['kind'];
  hosts: readonly string[];
  /** Reads the connection's credential from the database (null: it has none any more). */
  load(): Promise<Credential | null>;
  /** The credential as opened by the caller, to save the first read. */
  initial?: Credential;
  refresher?: CredentialRefresher;
  sharedState: SharedState;
  /** Refresh this long before `expiresAt` (the descriptor's refreshBeforeExpirySeconds). */
  refreshBeforeMs: number;
  /** How long one refresh may hold the lock; default 30 s. */
  lockTtlMs?: number;
  now?: () => number;
}

/** Whether a credential's expiry falls within `marginMs` of `now`. Credentials without one never expire. */
export function expiresWithin(credential: Credential, marginMs: number, now: number): boolean {
  if (credential.kind !== 'oauth2' && credential.kind !== 'app-installation') return false;
  if (credential.kind === 'app-installation' && credential.installationToken === null) return true;
  return credential.expiresAt !== null && credential.expiresAt.getTime() - marginMs <= now;
}

/** Past its expiry (not merely inside the refresh margin). */
function expired(credential: Credential, now: number): boolean {
  return expiresWithin(credential, 0, now);
}

/** Names an access token without holding it (a SharedState value is no place for a secret). */
function fingerprintOf(credential: Credential): string {
  return createHash('sha256').update(credential.kind === 'oauth2' ? credential.accessToken : secretsOf(credential).join('\n')).digest('hex').slice(0, 32);
}

function refreshable(credential: Credential): boolean {
  return (credential.kind === 'oauth2' && credential.refreshToken !== null) || credential.kind === 'app-installation';
}

export function storedCredentials(options: StoredCredentialsOptions): CredentialSource {
  const now = options.now ?? Date.now;
  const lockTtlMs = options.lockTtlMs ?? 30_000;
  let cached: Credential | null = options.initial ?? null;
  let inflight: Promise<Credential> | null = null;

  const use = (credential: Credential): Credential => {
    // Bound before use: from here on the outbound client refuses to send it to any other host.
    for (const secret of secretsOf(credential)) bindCredential(secret, options.hosts);
    cached = credential;
    return credential;
  };
  if (cached) use(cached);

  async function load(): Promise<Credential> {
    const credential = await options.load();
    if (!credential) throw new AppError('NOT_CONNECTED', 'this connection has no credentials any more; reconnect it');
    return credential;
  }

  /**
   * A provider may answer a refresh made while the access token is still valid with that same token
   * and its remaining lifetime (ServiceNow does, PROVIDER-FACTS §5): inside the margin, asking again
   * buys nothing until it expires. That answer is remembered in SharedState (every process and
   * credential source of the connection reads it) under the token's fingerprint, until the expiry;
   * the token is then used as it is, and refreshed once it has expired (or after a 401).
   */
  const unchangedKey = `credential-refresh:unchanged:${options.connectionId}`;
  async function earlyRefreshUnchanged(credential: Credential): Promise<boolean> {
    if (credential.kind !== 'oauth2' || credential.expiresAt === null || expired(credential, now())) return false;
    return (await options.sharedState.get(unchangedKey)) === fingerprintOf(credential);
  }

  /** One refresh per connection at a time; `rejected` set: the provider refused that credential. */
  function refresh(stale: Credential, rejected: boolean): Promise<Credential> {
    inflight ??= options.sharedState
      .withLock(`credential-refresh:${options.connectionId}`, lockTtlMs, async () => {
        // Another caller or process may have refreshed while we waited for the lock.
        const latest = await load();
        const alreadyRenewed = !sameCredential(latest, stale);
        if (alreadyRenewed && !expiresWithin(latest, options.refreshBeforeMs, now())) return latest;
        if (!rejected && !expiresWithin(latest, options.refreshBeforeMs, now())) return latest;
        if (!rejected && (await earlyRefreshUnchanged(latest))) return latest;
        if (!options.refresher || !refreshable(latest)) return latest;
        const renewed = await options.refresher.refresh(latest, options.owner);
        const left = renewed.kind === 'oauth2' && renewed.expiresAt !== null ? renewed.expiresAt.getTime() - now() : 0;
        if (!rejected && sameCredential(renewed, latest) && left > 0) await options.sharedState.set(unchangedKey, fingerprintOf(renewed), left);
        return renewed;
      })
      .then(use)
      .finally(() => {
        inflight = null;
      });
    return inflight;
  }

  return {
    kind: options.kind,
    key: `conn:${options.connectionId}`,
    hosts: options.hosts,
    async current() {
      const credential = cached ?? use(await load());
      if (options.refresher && refreshable(credential) && expiresWithin(credential, options.refreshBeforeMs, now())) {
        if (await earlyRefreshUnchanged(credential)) return credential;
        return refresh(credential, false);
      }
      return credential;
    },
    async renewAfterRejection(rejected) {
      if (cached && !sameCredential(cached, rejected)) return cached;
      if (!options.refresher || !refreshable(rejected)) return null;
      const renewed = await refresh(rejected, true);
      return sameCredential(renewed, rejected) ? null : renewed;
    },
  };
}

/**
 * Sends with the source's credential of the moment; after a 401, once more with a renewed one when
 * the source has it (a 401 did nothing, so resending is safe). The answer to the last send is returned.
 */
export async function sendRenewingOn401<R extends { status: number }>(source: CredentialSource, send: (credential: Credential) => Promise<R>): Promise<R> {
  const credential = await source.current();
  const response = await send(credential);
  if (response.status !== 401) return response;
  const renewed = await source.renewAfterRejection(credential);
  return renewed ? send(renewed) : response;
}
