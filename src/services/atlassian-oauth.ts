/**
 * Atlassian OAuth 2.0 (3LO) connections: start a consent, finish it (one connection per granted site,
 * tokens sealed), hand out a valid access token, refresh it without ever losing a rotation, and
 * disconnect. The protocol steps are src/oauth's; this file owns the rows.
 *
 * Refresh rules (Atlassian rotates refresh tokens and kills the family when an old one is reused more
 * than 10 minutes later):
 * - one refresh at a time per grant, across processes: on PostgreSQL a transaction holds the grant's
 *   rows `FOR UPDATE` through the token call; on the embedded database (one process owns it) the
 *   shared-state lock. In one process concurrent callers share one in-flight refresh.
 * - after taking the lock the rows are read again: another process may have refreshed already.
 * - the new refresh token and access token are written together, in one transaction, on every row of
 *   the grant (one consent granting several sites shares one refresh token). Until then the previous
 *   refresh token stays stored, so a crash after the token answer leaves one usable within the leeway.
 * - invalid_grant / unauthorized_client → `reauth_required` with the reason; never retried.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Orm } from '../db/database.ts';
import { connections, oauthClients, users } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import { bindCredential, hostOf, OutboundError, type OutboundResponse } from '../http-client/index.ts';
import {
  atlassianProvider,
  authorizationUrl,
  createStateStore,
  exchangeCode,
  needsReauthorization,
  type OAuthClientCredentials,
  OAuthProtocolError,
  type OAuthProvider,
  type ProtocolDeps,
  refreshGrant,
  type TokenSet,
} from '../oauth/index.ts';
import { lockOAuthConnection } from './connections.ts';
import { takeCallbackState } from './oauth-callback.ts';
import { openSecret, sealSecret } from './secret-columns.ts';
import { ensureUser } from './tenancy.ts';

/** Refresh this long before the access token's expiry. */
export const REFRESH_SKEW_MS = 60_000;
const DAY_MS = 86_400_000;
/** Warn when a refresh token is this close to its idle or absolute limit. */
const WARN_BEFORE_MS = 14 * DAY_MS;

export const ATLASSIAN_OAUTH_PROVIDER = 'atlassian';

export interface Caller {
  orgId: string;
  subject: string;
  privileged: boolean;
}

export interface OAuthConnectionView {
  id: string;
  cloud_id: string;
  site_url: string | null;
  site_name: string | null;
  account_id: string | null;
  account_email: string | null;
  scopes: string[];
  status: string;
  last_error: string | null;
  expires_at: string | null;
  refresh_token_issued_at: string | null;
  owner: 'user' | 'organization';
  user_id: string | null;
  warnings: string[];
}

interface OAuthSecrets {
  access_token?: string;
  refresh_token?: string;
}

interface AccessibleResource {
  id: string;
  url: string;
  name: string;
  scopes: string[];
}

export type CallbackOutcome = { ok: true; owner: 'user' | 'organization'; userId: string | null; connections: OAuthConnectionView[] };

const inFlightByContext = new WeakMap<AppContext, Map<string, Promise<{ accessToken: string; expiresAt: Date }>>>();
const clockByContext = new WeakMap<AppContext, () => number>();

/** Tests (and nothing else) move the OAuth clock: state expiry and token expiry are read from it. */
export function setOAuthClock(context: AppContext, now: () => number): void {
  clockByContext.set(context, now);
}

/** The credential clock (wall time unless a test moved it): also signs GitHub App JWTs. */
export function credentialNow(context: AppContext): number {
  return (clockByContext.get(context) ?? Date.now)();
}

function troubleshooting(error: OAuthProtocolError): string {
  const description = (error.description ?? '').toLowerCase();
  if (error.error === 'invalid_client' || (error.error === 'access_denied' && error.status === 401) || error.status === 401) {
    return 'Invalid client credentials: check JIRA_CLIENT_ID and JIRA_CLIENT_SECRET (or ATLASSIAN_CLIENT_ID / ATLASSIAN_CLIENT_SECRET) and verify they match your OAuth app in the Atlassian developer console.';
  }
  if (description.includes('redirect')) {
    return 'Redirect URI mismatch: JIRA_REDIRECT_URI (or ATLASSIAN_REDIRECT_URI) must match the callback URL in the Atlassian OAuth app settings exactly, same protocol (http/https), host, port and path.';
  }
  if (error.error === 'invalid_grant') return 'The authorization code is invalid, expired or already used: start the connection again.';
  return 'Check the OAuth app settings in the Atlassian developer console and start the connection again.';
}

function toView(row: typeof connections.$inferSelect & { userSubject: string | null }, now: number, provider: OAuthProvider): OAuthConnectionView {
  const warnings: string[] = [];
  if (row.status === 'reauth_required') {
    warnings.push('Atlassian refused the refresh token: connect again (GET /api/jira/connect or /api/v1/auth/atlassian/login).');
  } else if (row.status === 'active') {
    if (provider.refreshIdleDays && row.refreshTokenIssuedAt) {
      const idleEnds = row.refreshTokenIssuedAt.getTime() + provider.refreshIdleDays * DAY_MS;
      if (idleEnds - now < WARN_BEFORE_MS) warnings.push(`the refresh token expires unused on ${new Date(idleEnds).toISOString()} (${provider.refreshIdleDays} days idle limit)`);
    }
    if (provider.refreshAbsoluteDays && row.grantStartedAt) {
      const absoluteEnds = row.grantStartedAt.getTime() + provider.refreshAbsoluteDays * DAY_MS;
      if (absoluteEnds - now < WARN_BEFORE_MS) warnings.push(`the consent ends on ${new Date(absoluteEnds).toISOString()} (${provider.refreshAbsoluteDays} days limit): connect again before then`);
    }
  }
  return {
    id: row.id,
    cloud_id: row.cloudId ?? '',
    site_url: row.siteUrl,
    site_name: row.siteName,
    account_id: row.accountId,
    account_email: row.accountEmail,
    scopes: row.scopes,
    status: row.status,
    last_error: row.lastError,
    expires_at: row.expiresAt ? row.expiresAt.toISOString() : null,
    refresh_token_issued_at: row.refreshTokenIssuedAt ? row.refreshTokenIssuedAt.toISOString() : null,
    owner: row.userId ? 'user' : 'organization',
    user_id: row.userSubject,
    warnings,
  };
}

export class AtlassianOAuthService {
  readonly #context: AppContext;
  readonly #orm: Orm;
  readonly provider: OAuthProvider;

  constructor(context: AppContext) {
    this.#context = context;
    this.#orm = context.db.orm;
    this.provider = atlassianProvider(context.config.atlassian);
  }

  now(): number {
    return (clockByContext.get(this.#context) ?? Date.now)();
  }

  #states() {
    return createStateStore(this.#context.sharedState, () => this.now());
  }

  #deps(extra: ProtocolDeps['context'] = {}): ProtocolDeps {
    return {
      http: this.#context.outbound,
      allowedHosts: this.#context.config.outbound.allowedHosts,
      timeoutMs: this.#context.config.outbound.timeoutMs,
      now: () => this.now(),
      context: extra,
    };
  }

  /** The OAuth app: the environment's, else the organization's stored one, else a clear 409. */
  async client(orgId: string): Promise<OAuthClientCredentials & { source: 'environment' | 'organization' }> {
    const env = this.#context.config.atlassianOAuth;
    if (env) {
      if (!env.redirectUri) {
        throw new AppError('OAUTH_NOT_CONFIGURED', 'the Atlassian OAuth app has no callback URL: set JIRA_REDIRECT_URI (or ATLASSIAN_REDIRECT_URI) to the callback registered on the app, e.g. http://localhost:3001/api/jira/callback');
      }
      return { clientId: env.clientId, clientSecret: env.clientSecret, redirectUri: env.redirectUri, source: 'environment' };
    }
    const [row] = await this.#orm
      .select()
      .from(oauthClients)
      .where(and(eq(oauthClients.orgId, orgId), eq(oauthClients.provider, ATLASSIAN_OAUTH_PROVIDER)));
    if (row?.redirectUri) {
      return {
        clientId: row.clientId,
        clientSecret: openSecret(this.#context.keyRing, 'oauth_clients', row.id, row.clientSecretEncrypted),
        redirectUri: row.redirectUri,
        source: 'organization',
      };
    }
    throw new AppError(
      'OAUTH_NOT_CONFIGURED',
      'Jira OAuth is not configured: set JIRA_CLIENT_ID, JIRA_CLIENT_SECRET and JIRA_REDIRECT_URI (or ATLASSIAN_CLIENT_ID, ATLASSIAN_CLIENT_SECRET and ATLASSIAN_REDIRECT_URI), or an admin stores the app with PUT /api/v1/oauth/clients/atlassian',
    );
  }

  async clientView(orgId: string): Promise<{ configured: boolean; source: 'environment' | 'organization' | null; client_id: string | null; redirect_uri: string | null }> {
    try {
      const client = await this.client(orgId);
      return { configured: true, source: client.source, client_id: client.clientId, redirect_uri: client.redirectUri };
    } catch (error) {
      if (error instanceof AppError && error.code === 'OAUTH_NOT_CONFIGURED') return { configured: false, source: null, client_id: null, redirect_uri: null };
      throw error;
    }
  }

  async storeClient(orgId: string, input: { client_id: string; client_secret: string; redirect_uri: string }): Promise<void> {
    const [existing] = await this.#orm
      .select({ id: oauthClients.id })
      .from(oauthClients)
      .where(and(eq(oauthClients.orgId, orgId), eq(oauthClients.provider, ATLASSIAN_OAUTH_PROVIDER)));
    const id = existing?.id ?? randomUUID();
    const sealed = sealSecret(this.#context.keyRing, 'oauth_clients', id, input.client_secret);
    if (existing) {
      await this.#orm
        .update(oauthClients)
        .set({ clientId: input.client_id, clientSecretEncrypted: sealed, redirectUri: input.redirect_uri, updatedAt: new Date() })
        .where(eq(oauthClients.id, id));
    } else {
      await this.#orm.insert(oauthClients).values({ id, orgId, provider: ATLASSIAN_OAUTH_PROVIDER, clientId: input.client_id, clientSecretEncrypted: sealed, redirectUri: input.redirect_uri });
    }
  }

  async removeClient(orgId: string): Promise<boolean> {
    const removed = await this.#orm
      .delete(oauthClients)
      .where(and(eq(oauthClients.orgId, orgId), eq(oauthClients.provider, ATLASSIAN_OAUTH_PROVIDER)))
      .returning({ id: oauthClients.id });
    return removed.length > 0;
  }

  /**
   * Starts a consent for the caller's own connections, another user's (admins), or the organization's
   * (admins): the authorization URL to send the browser to.
   */
  async begin(caller: Caller, owner: { kind: 'user'; subject: string } | { kind: 'organization' }): Promise<{ authorizationUrl: string; expiresAt: string }> {
    if (owner.kind === 'organization' && !caller.privileged) {
      throw new AppError('FORBIDDEN', "only admins may connect the organization's Atlassian site; connect your own with user_id set to yourself");
    }
    if (owner.kind === 'user' && owner.subject !== caller.subject && !caller.privileged) {
      throw new AppError('FORBIDDEN', "user_id must be your own subject: only admins may connect another user's Jira", { field: 'user_id' });
    }
    const client = await this.client(caller.orgId);
    const started = await this.#states().begin({
      provider: ATLASSIAN_OAUTH_PROVIDER,
      orgId: caller.orgId,
      subject: caller.subject,
      ownerSubject: owner.kind === 'user' ? owner.subject : null,
      redirectUri: client.redirectUri,
      pkce: this.provider.pkce,
    });
    const url = await authorizationUrl(this.provider, client, { state: started.state, codeVerifier: started.codeVerifier });
    return { authorizationUrl: url, expiresAt: new Date(started.expiresAt).toISOString() };
  }

  /**
   * Finishes a consent from the callback's query: checks `state` (one use), turns a declined consent
   * into OAUTH_CONSENT_DECLINED, trades the code, asks which sites were granted and who consented,
   * and stores one connection per site. Nothing is stored unless every step succeeded.
   * `caller` is the signed-in user when the callback came with a token: it must be the one who started.
   */
  async complete(query: Record<string, string | undefined>, caller: { orgId: string; subject: string } | null): Promise<CallbackOutcome> {
    const { state, record, parameters } = await takeCallbackState(this.#states(), query, ATLASSIAN_OAUTH_PROVIDER, caller);
    const client = await this.client(record.orgId);
    if (client.redirectUri !== record.redirectUri) {
      throw new AppError('OAUTH_STATE_INVALID', 'the OAuth app changed while this authorization was in progress; start again', { field: 'state' });
    }
    let tokens: TokenSet;
    try {
      tokens = await exchangeCode(this.provider, client, this.#deps({ orgId: record.orgId }), { parameters, state, codeVerifier: record.codeVerifier });
    } catch (error) {
      if (error instanceof OAuthProtocolError) {
        if (error.kind === 'denied') {
          throw new AppError('OAUTH_CONSENT_DECLINED', 'the Atlassian consent was declined, so nothing was connected; start again and choose Accept to connect Jira');
        }
        if (error.kind === 'unreachable' || error.kind === 'bad_response') throw new AppError('UPSTREAM_FAILED', `${error.message}; nothing was stored, start again`);
        throw new AppError('OAUTH_EXCHANGE_FAILED', `${error.message}. ${troubleshooting(error)}`);
      }
      throw error;
    }
    if (!tokens.refreshToken) {
      throw new AppError('OAUTH_EXCHANGE_FAILED', 'Atlassian answered without a refresh token: the offline_access scope must be granted (it is always asked for; check ATLASSIAN_SCOPES and the app’s permissions)');
    }
    const apiHost = hostOf(this.#context.config.atlassian.apiUrl);
    if (apiHost) bindCredential(tokens.accessToken, [apiHost]);
    const sites = await this.#accessibleResources(tokens.accessToken, record.orgId);
    if (sites.length === 0) throw new AppError('OAUTH_EXCHANGE_FAILED', 'the consent granted no Atlassian site: choose at least one site on the consent screen');
    const me = await this.#me(tokens.accessToken, record.orgId);
    const ownerUserId = record.ownerSubject ? await ensureUser(this.#orm, record.orgId, record.ownerSubject) : null;
    const stored = await this.#storeGrant(record.orgId, ownerUserId, tokens, sites, me);
    return { ok: true, owner: ownerUserId ? 'user' : 'organization', userId: record.ownerSubject, connections: stored };
  }

  async #apiGet(path: string, accessToken: string, orgId: string): Promise<OutboundResponse> {
    try {
      return await this.#context.outbound.request({
        method: 'GET',
        url: `${this.#context.config.atlassian.apiUrl}${path}`,
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        context: { provider: 'atlassian', orgId },
        timeoutMs: this.#context.config.outbound.timeoutMs,
      });
    } catch (error) {
      if (error instanceof OutboundError) throw new AppError('UPSTREAM_FAILED', `api.atlassian.com (${this.#context.config.atlassian.apiUrl}) could not be reached: ${error.message}`, { cause: error });
      throw error;
    }
  }

  async #accessibleResources(accessToken: string, orgId: string): Promise<AccessibleResource[]> {
    const response = await this.#apiGet('/oauth/token/accessible-resources', accessToken, orgId);
    if (response.status !== 200) throw new AppError('UPSTREAM_FAILED', `Atlassian's accessible-resources answered HTTP ${response.status}; nothing was stored`);
    let listed: unknown;
    try {
      listed = response.json();
    } catch {
      throw new AppError('UPSTREAM_FAILED', 'accessible-resources did not answer JSON');
    }
    if (!Array.isArray(listed)) throw new AppError('UPSTREAM_FAILED', 'accessible-resources did not answer a list');
    // A site may be listed once per product (Jira, Confluence): one connection per site, scopes merged.
    const byId = new Map<string, AccessibleResource>();
    for (const entry of listed as Record<string, unknown>[]) {
      if (typeof entry?.id !== 'string' || typeof entry.url !== 'string') continue;
      const scopes = Array.isArray(entry.scopes) ? entry.scopes.filter((s): s is string => typeof s === 'string') : [];
      const known = byId.get(entry.id);
      if (known) known.scopes = [...new Set([...known.scopes, ...scopes])];
      else byId.set(entry.id, { id: entry.id, url: entry.url.replace(/\/+$/, ''), name: typeof entry.name === 'string' ? entry.name : entry.url, scopes });
    }
    return [...byId.values()];
  }

  async #me(accessToken: string, orgId: string): Promise<{ accountId: string | null; email: string | null }> {
    const response = await this.#apiGet('/me', accessToken, orgId);
    // Without read:me (a narrower ATLASSIAN_SCOPES) the account is simply not known.
    if (response.status !== 200) return { accountId: null, email: null };
    try {
      const body = response.json<{ account_id?: unknown; email?: unknown }>();
      return { accountId: typeof body.account_id === 'string' ? body.account_id : null, email: typeof body.email === 'string' ? body.email : null };
    } catch {
      return { accountId: null, email: null };
    }
  }

  async #storeGrant(orgId: string, userId: string | null, tokens: TokenSet, sites: AccessibleResource[], me: { accountId: string | null; email: string | null }): Promise<OAuthConnectionView[]> {
    const grantId = randomUUID();
    const now = new Date(this.now());
    const ids: string[] = [];
    await this.#orm.transaction(async (tx) => {
      for (const site of sites) {
        const existing = await lockOAuthConnection(tx, { orgId, userId }, 'jira-cloud', eq(connections.cloudId, site.id));
        const id = existing ?? randomUUID();
        const secrets = sealSecret(this.#context.keyRing, 'connections', id, JSON.stringify({ access_token: tokens.accessToken, refresh_token: tokens.refreshToken ?? undefined } satisfies OAuthSecrets));
        const fields = {
          name: `${site.name} (Atlassian OAuth)`,
          siteUrl: site.url,
          siteName: site.name,
          accountId: me.accountId,
          accountEmail: me.email,
          scopes: tokens.scopes.length > 0 ? tokens.scopes : site.scopes,
          secretsEncrypted: secrets,
          expiresAt: tokens.expiresAt,
          refreshTokenIssuedAt: now,
          grantStartedAt: now,
          oauthGrantId: grantId,
          status: 'active',
          lastError: null,
          updatedAt: now,
        };
        if (existing) await tx.update(connections).set(fields).where(eq(connections.id, id));
        else await tx.insert(connections).values({ id, orgId, userId, provider: 'jira-cloud', authKind: 'oauth2', cloudId: site.id, ...fields });
        ids.push(id);
      }
    });
    const views = await this.list(orgId, userId === null ? { kind: 'organization' } : { kind: 'userId', userId });
    return views.filter((view) => ids.includes(view.id));
  }

  async list(orgId: string, owner: { kind: 'organization' } | { kind: 'userId'; userId: string } | { kind: 'subject'; subject: string }): Promise<OAuthConnectionView[]> {
    let userCondition;
    if (owner.kind === 'organization') userCondition = isNull(connections.userId);
    else if (owner.kind === 'userId') userCondition = eq(connections.userId, owner.userId);
    else userCondition = eq(users.subject, owner.subject);
    const rows = await this.#orm
      .select({ row: connections, userSubject: users.subject })
      .from(connections)
      .leftJoin(users, eq(users.id, connections.userId))
      .where(and(eq(connections.orgId, orgId), eq(connections.authKind, 'oauth2'), eq(connections.provider, 'jira-cloud'), sql`${connections.cloudId} is not null`, userCondition))
      .orderBy(asc(connections.createdAt));
    const now = this.now();
    return rows.map(({ row, userSubject }) => toView({ ...row, userSubject }, now, this.provider));
  }

  /** Erases the tokens of the owner's OAuth connections (or one of them); tickets keep their history. */
  async disconnect(orgId: string, views: OAuthConnectionView[]): Promise<number> {
    let count = 0;
    for (const view of views) {
      if (view.status === 'disconnected') continue;
      const updated = await this.#orm
        .update(connections)
        .set({ status: 'disconnected', secretsEncrypted: null, expiresAt: null, lastError: null, updatedAt: new Date(this.now()) })
        .where(and(eq(connections.orgId, orgId), eq(connections.id, view.id)))
        .returning({ id: connections.id });
      count += updated.length;
    }
    return count;
  }

  /**
   * A valid access token for a connection: the stored one while it has more than a minute left, else
   * a refresh. `staleToken` (after a 401 from the gateway) forces a refresh unless someone already
   * replaced that token.
   */
  async accessToken(orgId: string, connectionId: string, staleToken?: string): Promise<{ accessToken: string; expiresAt: Date; cloudId: string }> {
    const row = await this.#row(this.#orm, orgId, connectionId);
    const secrets = this.#secrets(row);
    const fresh = row.expiresAt !== null && row.expiresAt.getTime() - REFRESH_SKEW_MS > this.now();
    if (fresh && secrets.access_token && secrets.access_token !== staleToken) {
      this.#bind(secrets.access_token);
      return { accessToken: secrets.access_token, expiresAt: row.expiresAt!, cloudId: row.cloudId! };
    }
    const refreshed = await this.refresh(orgId, connectionId, staleToken);
    return { ...refreshed, cloudId: row.cloudId! };
  }

  #bind(accessToken: string): void {
    const host = hostOf(this.#context.config.atlassian.apiUrl);
    if (host) bindCredential(accessToken, [host]);
  }

  async #row(orm: Orm, orgId: string, connectionId: string) {
    const [row] = await orm
      .select()
      .from(connections)
      .where(and(eq(connections.orgId, orgId), eq(connections.id, connectionId), eq(connections.authKind, 'oauth2')));
    if (!row || !row.cloudId) throw new AppError('NOT_FOUND', 'no such OAuth connection', { field: 'connection_id' });
    this.#usable(row);
    return row;
  }

  #usable(row: typeof connections.$inferSelect): void {
    if (row.status === 'reauth_required') {
      throw new AppError('OAUTH_REAUTH_REQUIRED', `the Atlassian connection "${row.name}" must be connected again (${row.lastError ?? 'the refresh token was refused'}): GET /api/jira/connect or /api/v1/auth/atlassian/login`);
    }
    if (row.status === 'disconnected' || !row.secretsEncrypted) {
      throw new AppError('NOT_CONNECTED', `the Atlassian connection "${row.name}" is disconnected: connect Jira again`);
    }
  }

  #secrets(row: typeof connections.$inferSelect): OAuthSecrets {
    return row.secretsEncrypted ? (JSON.parse(openSecret(this.#context.keyRing, 'connections', row.id, row.secretsEncrypted)) as OAuthSecrets) : {};
  }

  /**
   * One refresh of the connection's grant (see the file comment for the rules); concurrent callers in
   * this process share it, other processes wait for the lock and then find the new token stored.
   */
  refresh(orgId: string, connectionId: string, staleToken?: string): Promise<{ accessToken: string; expiresAt: Date }> {
    let inFlight = inFlightByContext.get(this.#context);
    if (!inFlight) {
      inFlight = new Map();
      inFlightByContext.set(this.#context, inFlight);
    }
    const key = `${orgId}:${connectionId}`;
    const running = inFlight.get(key);
    if (running) return running;
    const started = this.#refreshLocked(orgId, connectionId, staleToken).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  }

  async #refreshLocked(orgId: string, connectionId: string, staleToken: string | undefined): Promise<{ accessToken: string; expiresAt: Date }> {
    const first = await this.#row(this.#orm, orgId, connectionId);
    const grantId = first.oauthGrantId ?? first.id;
    if (this.#context.db.kind === 'postgres') {
      // The grant's rows stay locked through the token call: another process's refresh waits here.
      // A refused refresh token is recorded (reauth_required) and that write committed before the
      // error is thrown: a rolled-back mark would send the next caller to the token endpoint again.
      let refused: AppError | null = null;
      const refreshed = await this.#orm.transaction(async (tx) => {
        await tx
          .select({ id: connections.id })
          .from(connections)
          .where(first.oauthGrantId ? eq(connections.oauthGrantId, grantId) : eq(connections.id, connectionId))
          .orderBy(asc(connections.id))
          .for('update');
        try {
          return await this.#refreshHeld(tx as unknown as Orm, orgId, connectionId, staleToken);
        } catch (error) {
          if (error instanceof AppError && error.code === 'OAUTH_REAUTH_REQUIRED') {
            refused = error;
            return null;
          }
          throw error;
        }
      });
      if (refused || !refreshed) throw refused ?? new Error('refresh ended without a token');
      return refreshed;
    }
    const timeout = this.#context.config.outbound.timeoutMs + 10_000;
    return this.#context.sharedState.withLock(`oauth-refresh:${grantId}`, timeout, () => this.#refreshHeld(this.#orm, orgId, connectionId, staleToken), { waitTimeoutMs: timeout });
  }

  async #refreshHeld(orm: Orm, orgId: string, connectionId: string, staleToken: string | undefined): Promise<{ accessToken: string; expiresAt: Date }> {
    // Read again under the lock: another process may have refreshed (or lost the grant) meanwhile.
    const row = await this.#row(orm, orgId, connectionId);
    const secrets = this.#secrets(row);
    const stillFresh = row.expiresAt !== null && row.expiresAt.getTime() - REFRESH_SKEW_MS > this.now();
    if (secrets.access_token && stillFresh && secrets.access_token !== staleToken) {
      this.#bind(secrets.access_token);
      return { accessToken: secrets.access_token, expiresAt: row.expiresAt! };
    }
    if (!secrets.refresh_token) {
      await this.#markReauth(orm, row, 'no refresh token is stored');
      throw new AppError('OAUTH_REAUTH_REQUIRED', `the Atlassian connection "${row.name}" has no refresh token: connect again`);
    }
    const client = await this.client(orgId);
    let tokens: TokenSet;
    try {
      tokens = await refreshGrant(this.provider, client, this.#deps({ orgId, connectionId }), secrets.refresh_token);
    } catch (error) {
      if (needsReauthorization(this.provider, error)) {
        const reason = `Atlassian refused the refresh token: ${(error as OAuthProtocolError).error}${(error as OAuthProtocolError).description ? ` (${(error as OAuthProtocolError).description})` : ''}`;
        await this.#markReauth(orm, row, reason);
        this.#context.logger.warn({ connectionId, orgId, reason }, 'OAuth connection needs a new consent');
        throw new AppError('OAUTH_REAUTH_REQUIRED', `the Atlassian connection "${row.name}" must be connected again: ${reason}`);
      }
      if (error instanceof OAuthProtocolError) {
        throw new AppError('UPSTREAM_FAILED', `the access token could not be refreshed: ${error.message}${error.kind === 'rejected' ? `. ${troubleshooting(error)}` : ''}`, { cause: error });
      }
      throw error;
    }
    // Rotating providers answer a new refresh token; one that does not keeps the old one.
    const refreshToken: string = tokens.refreshToken ?? secrets.refresh_token;
    const now = new Date(this.now());
    // Every row of the grant, in one transaction (nested in the row-lock transaction on PostgreSQL).
    const grantRows = row.oauthGrantId
      ? await orm.select({ id: connections.id }).from(connections).where(and(eq(connections.oauthGrantId, row.oauthGrantId), sql`${connections.secretsEncrypted} is not null`))
      : [{ id: row.id }];
    const write = async (tx: Orm) => {
      for (const { id } of grantRows) {
        await tx
          .update(connections)
          .set({
            secretsEncrypted: sealSecret(this.#context.keyRing, 'connections', id, JSON.stringify({ access_token: tokens.accessToken, refresh_token: refreshToken } satisfies OAuthSecrets)),
            expiresAt: tokens.expiresAt,
            ...(tokens.refreshToken ? { refreshTokenIssuedAt: now } : {}),
            ...(tokens.scopes.length > 0 ? { scopes: tokens.scopes } : {}),
            status: 'active',
            lastError: null,
            updatedAt: now,
          })
          .where(eq(connections.id, id));
      }
    };
    if (this.#context.db.kind === 'postgres') await write(orm);
    else await this.#orm.transaction(async (tx) => write(tx as unknown as Orm));
    this.#bind(tokens.accessToken);
    return { accessToken: tokens.accessToken, expiresAt: tokens.expiresAt };
  }

  async #markReauth(orm: Orm, row: typeof connections.$inferSelect, reason: string): Promise<void> {
    await orm
      .update(connections)
      .set({ status: 'reauth_required', lastError: reason, updatedAt: new Date(this.now()) })
      .where(row.oauthGrantId ? eq(connections.oauthGrantId, row.oauthGrantId) : eq(connections.id, row.id));
  }

  /**
   * A GET through the gateway with the connection's token: refreshed when near expiry, and once more
   * after a 401 that is not a scope mismatch.
   */
  async gatewayGet(orgId: string, connectionId: string, product: 'jira' | 'confluence', path: string): Promise<OutboundResponse> {
    let token = await this.accessToken(orgId, connectionId);
    for (let attempt = 0; ; attempt += 1) {
      const response = await this.#apiGet(`/ex/${product}/${token.cloudId}${path}`, token.accessToken, orgId);
      const scopeMismatch = response.status === 401 && /scope does not match/i.test(response.body);
      if (response.status !== 401 || scopeMismatch || attempt > 0) return response;
      token = await this.accessToken(orgId, connectionId, token.accessToken);
    }
  }
}

/**
 * The Atlassian OAuth credential of one connection after a refresh (the credential seam's refresher):
 * `staleToken` is the access token the caller found expired or refused; it is replaced unless another
 * caller or process already did. The refresh token is read back from the row the refresh wrote.
 */
export async function refreshedAtlassianCredential(
  context: AppContext,
  orgId: string,
  connectionId: string,
  staleToken: string,
): Promise<{ kind: 'oauth2'; accessToken: string; refreshToken: string | null; expiresAt: Date; scopes: string[] }> {
  const service = new AtlassianOAuthService(context);
  const token = await service.accessToken(orgId, connectionId, staleToken);
  const [row] = await context.db.orm.select().from(connections).where(and(eq(connections.orgId, orgId), eq(connections.id, connectionId)));
  const secrets = row?.secretsEncrypted ? (JSON.parse(openSecret(context.keyRing, 'connections', row.id, row.secretsEncrypted)) as OAuthSecrets) : {};
  return { kind: 'oauth2', accessToken: token.accessToken, refreshToken: secrets.refresh_token ?? null, expiresAt: token.expiresAt, scopes: row?.scopes ?? [] };
}

/** The Atlassian refresher for the credential seam: a valid token for one connection, refreshing when due. */
export function refreshAtlassianConnection(context: AppContext, orgId: string, connectionId: string): Promise<{ accessToken: string; expiresAt: Date }> {
  return new AtlassianOAuthService(context).accessToken(orgId, connectionId);
}
