/**
 * ServiceNow OAuth connections (issue 12, seed 003): the authorization-code flow against the
 * instance's own OAuth server, and the refresh of stored tokens. Every instance registers its own
 * OAuth app (System OAuth → Application Registry), so the instance URL, client id and secret come
 * with the connection being set up, not from the environment.
 *
 * - begin: checks the instance URL like any connection URL, takes a one-use `state` (src/oauth, no
 *   PKCE: ServiceNow's authorize endpoint does not take it), and keeps what the callback needs
 *   (instance, table, name, client id and secret) sealed in shared state under that state, for the
 *   state's five minutes. Answers the instance's `/oauth_auth.do` URL with scopes `ticket.read ticket.write`.
 * - complete: takes the state (one use), trades the code at `/oauth_token.do` (form-encoded), and
 *   stores one connection (provider `servicenow`, auth `oauth2`): tokens and client secret sealed, the
 *   expiry and scopes as columns. A reconnect of the same instance and owner updates that row, so its
 *   tickets carry over.
 * - refresh: the `oauth2` refresher's ServiceNow branch (connection-runtime.ts). The credential source
 *   runs it single-flight under the connection's lock; it trades the refresh token (ServiceNow's
 *   refresh grant returns no new one, the old one is kept), seals the new access token into the row,
 *   and a refused refresh token marks the connection `reauth_required`.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { connections } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import { createStateStore, OAuthProtocolError, type ProtocolDeps, STATE_TTL_MS, type TokenSet } from '../oauth/index.ts';
import type { Credential, CredentialOwner, CredentialRefresher } from '../providers/credentials/index.ts';
import { credentialNow } from './atlassian-oauth.ts';
import { checkUrl, type ConnectionView, ConnectionService, lockOAuthConnection } from './connections.ts';
import { takeCallbackState } from './oauth-callback.ts';
import { openSecret, sealSecret } from './secret-columns.ts';
import { ensureUser } from './tenancy.ts';

export const SERVICENOW_OAUTH_PROVIDER = 'servicenow';
export const SERVICENOW_CALLBACK_PATH = '/oauth/servicenow';
const TABLE = /^[a-z][a-z0-9_]{0,79}$/;

export interface ServiceNowOAuthStart {
  name: string;
  instance_url: string;
  table?: string | undefined;
  client_id: string;
  client_secret: string;
  /** The redirect URI registered on the instance's OAuth app; default `<this service>/oauth/servicenow`. */
  redirect_uri: string;
  /** A user's own connection (their subject), or the organization's (null). */
  owner_subject: string | null;
}

/** What the callback needs, sealed in shared state for the state's lifetime. */
interface Pending {
  name: string;
  instanceUrl: string;
  table: string;
  clientId: string;
  clientSecret: string;
}

interface StoredSecrets {
  access_token?: string;
  refresh_token?: string;
  client_id?: string;
  client_secret?: string;
}

/**
 * The ServiceNow protocol steps (src/providers/servicenow/oauth.ts's `servicenowOAuthProtocol`), handed
 * in by the runtime and the routes: services name no provider folder.
 */
export interface ServiceNowOAuthProtocol {
  scopes: readonly string[];
  defaultTable: string;
  authorizationUrl(instanceUrl: string, client: { clientId: string; redirectUri: string }, state: string, scopes?: readonly string[]): Promise<string>;
  exchangeCode(
    instanceUrl: string,
    client: { clientId: string; clientSecret: string; redirectUri: string },
    deps: ProtocolDeps,
    callback: { parameters: URLSearchParams; state: string },
    scopes?: readonly string[],
  ): Promise<TokenSet>;
  refresher(options: {
    instanceUrl: string;
    client: { clientId: string; clientSecret: string };
    deps: { http: ProtocolDeps['http']; timeoutMs?: number; now?: () => number; context?: { orgId?: string; connectionId?: string } };
    persist(credential: Credential): Promise<void>;
    onRefused?(error: unknown): Promise<void>;
  }): CredentialRefresher;
}

const pendingKey = (state: string) => `servicenow:oauth:pending:${state}`;

export class ServiceNowOAuthService {
  readonly #context: AppContext;
  readonly #protocol: ServiceNowOAuthProtocol;

  constructor(context: AppContext, protocol: ServiceNowOAuthProtocol) {
    this.#context = context;
    this.#protocol = protocol;
  }

  #now = () => credentialNow(this.#context);
  #states = () => createStateStore(this.#context.sharedState, this.#now);

  #deps(orgId: string, connectionId?: string) {
    return {
      http: this.#context.outbound,
      allowedHosts: this.#context.config.outbound.allowedHosts,
      timeoutMs: this.#context.config.outbound.timeoutMs,
      now: this.#now,
      context: { orgId, ...(connectionId ? { connectionId } : {}) },
    };
  }

  /** The instance's consent URL for a new connection; nothing is stored in the database yet. */
  async begin(caller: { orgId: string; subject: string; privileged: boolean }, input: ServiceNowOAuthStart): Promise<{ authorizationUrl: string; expiresAt: string }> {
    if (input.owner_subject === null && !caller.privileged) throw new AppError('FORBIDDEN', "only admins may connect the organization's ServiceNow instance");
    if (input.owner_subject !== null && input.owner_subject !== caller.subject && !caller.privileged) {
      throw new AppError('FORBIDDEN', "user_id must be your own subject: only admins may connect another user's ServiceNow", { field: 'user_id' });
    }
    const instanceUrl = await checkUrl(this.#context.outboundGuard, input.instance_url, 'instance_url');
    const redirectUri = this.#redirectUri(input.redirect_uri);
    const table = input.table ?? this.#protocol.defaultTable;
    if (!TABLE.test(table)) throw new AppError('VALIDATION_FAILED', 'table must be a ServiceNow table name (a-z, 0-9, _; e.g. incident or u_security_finding)', { field: 'table' });
    const started = await this.#states().begin({
      provider: SERVICENOW_OAUTH_PROVIDER,
      orgId: caller.orgId,
      subject: caller.subject,
      ownerSubject: input.owner_subject,
      redirectUri,
      pkce: false,
    });
    const pending: Pending = { name: input.name, instanceUrl, table, clientId: input.client_id, clientSecret: input.client_secret };
    await this.#context.sharedState.set(pendingKey(started.state), this.#context.keyRing.encrypt(JSON.stringify(pending), pendingKey(started.state)), STATE_TTL_MS);
    const url = await this.#protocol.authorizationUrl(instanceUrl, { clientId: input.client_id, redirectUri }, started.state, this.#protocol.scopes);
    return { authorizationUrl: url, expiresAt: new Date(started.expiresAt).toISOString() };
  }

  /**
   * Our own callback URL (where the instance sends the browser back): not an outbound target, so not
   * the outbound guard's business, but it must be ours — https (plain http only for the hosts
   * OUTBOUND_ALLOWED_HOSTS allows, i.e. local use), no credentials, query or fragment, path
   * /oauth/servicenow.
   */
  #redirectUri(given: string): string {
    const refuse = (why: string) =>
      new AppError('VALIDATION_FAILED', `redirect_uri ${why}: it must be this service's ${SERVICENOW_CALLBACK_PATH} URL, as registered on the instance's OAuth app`, { field: 'redirect_uri' });
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw refuse('is not a URL');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.#context.config.outbound.allowedHosts.includes(url.hostname))) throw refuse('must use https');
    if (url.username || url.password || url.search || url.hash) throw refuse('must not carry credentials, a query or a fragment');
    if (url.pathname.replace(/\/+$/, '') !== SERVICENOW_CALLBACK_PATH) throw refuse(`must end in ${SERVICENOW_CALLBACK_PATH}`);
    return `${url.origin}${SERVICENOW_CALLBACK_PATH}`;
  }

  /** Finishes the flow from the callback's query: one connection stored, or nothing at all. */
  async complete(query: Record<string, string | undefined>, caller: { orgId: string; subject: string } | null): Promise<ConnectionView> {
    const { state, record, parameters } = await takeCallbackState(this.#states(), query, SERVICENOW_OAUTH_PROVIDER, caller);
    const sealed = await this.#context.sharedState.take(pendingKey(state));
    if (!sealed) throw new AppError('OAUTH_STATE_INVALID', 'this ServiceNow authorization is no longer pending; start again', { field: 'state' });
    const pending = JSON.parse(this.#context.keyRing.decrypt(sealed, pendingKey(state))) as Pending;
    let tokens: TokenSet;
    try {
      tokens = await this.#protocol.exchangeCode(
        pending.instanceUrl,
        { clientId: pending.clientId, clientSecret: pending.clientSecret, redirectUri: record.redirectUri },
        this.#deps(record.orgId),
        { parameters, state },
        this.#protocol.scopes,
      );
    } catch (error) {
      if (error instanceof OAuthProtocolError) {
        if (error.kind === 'denied') throw new AppError('OAUTH_CONSENT_DECLINED', 'the ServiceNow consent was declined, so nothing was connected; start again and choose Allow');
        if (error.kind === 'unreachable' || error.kind === 'bad_response') throw new AppError('UPSTREAM_FAILED', `${error.message}; nothing was stored, start again`);
        throw new AppError(
          'OAUTH_EXCHANGE_FAILED',
          `${error.message}. Check the client id and secret of the instance's OAuth app (System OAuth > Application Registry) and that its Redirect URL is ${record.redirectUri}; then start again`,
        );
      }
      throw error;
    }
    if (!tokens.refreshToken) throw new AppError('OAUTH_EXCHANGE_FAILED', 'ServiceNow answered without a refresh token: check the OAuth app’s Refresh Token Lifespan (it must not be 0) and start again');
    const ownerUserId = record.ownerSubject ? await ensureUser(this.#context.db.orm, record.orgId, record.ownerSubject) : null;
    const id = await this.#store(record.orgId, ownerUserId, pending, tokens);
    const view = await this.#connections().get(record.orgId, id);
    if (!view) throw new Error('ServiceNow OAuth connection vanished after it was stored');
    return view;
  }

  #connections() {
    return new ConnectionService(this.#context.db.orm, this.#context.keyRing, this.#context.outboundGuard, { sharedState: this.#context.sharedState });
  }

  async #store(orgId: string, userId: string | null, pending: Pending, tokens: TokenSet): Promise<string> {
    const orm = this.#context.db.orm;
    const now = new Date(this.#now());
    return orm.transaction(async (tx) => {
      // A reconnect (after reauth_required, or a disconnect) updates the instance's row for this owner.
      const existing = await lockOAuthConnection(tx, { orgId, userId }, SERVICENOW_OAUTH_PROVIDER, eq(connections.siteUrl, pending.instanceUrl));
      const id = existing ?? randomUUID();
      const secrets: StoredSecrets = { access_token: tokens.accessToken, refresh_token: tokens.refreshToken ?? '', client_id: pending.clientId, client_secret: pending.clientSecret };
      const fields = {
        name: pending.name,
        settings: { table: pending.table },
        scopes: tokens.scopes.length > 0 ? tokens.scopes : [...this.#protocol.scopes],
        secretsEncrypted: sealSecret(this.#context.keyRing, 'connections', id, JSON.stringify(secrets)),
        expiresAt: tokens.expiresAt,
        refreshTokenIssuedAt: now,
        grantStartedAt: now,
        status: 'active',
        lastError: null,
        updatedAt: now,
      };
      if (existing) await tx.update(connections).set(fields).where(eq(connections.id, id));
      else await tx.insert(connections).values({ id, orgId, userId, provider: SERVICENOW_OAUTH_PROVIDER, authKind: 'oauth2', siteUrl: pending.instanceUrl, ...fields });
      return id;
    });
  }

  /**
   * A renewed credential for a stored ServiceNow OAuth connection (called by the credential source
   * under the connection's refresh lock): the row's client and refresh token, persisted sealed.
   */
  async refresh(owner: CredentialOwner, stale: Credential): Promise<Credential> {
    const orm = this.#context.db.orm;
    const [row] = await orm
      .select({ id: connections.id, siteUrl: connections.siteUrl, secretsEncrypted: connections.secretsEncrypted })
      .from(connections)
      .where(and(eq(connections.orgId, owner.orgId), eq(connections.id, owner.connectionId)));
    if (!row?.secretsEncrypted || !row.siteUrl) throw new AppError('NOT_CONNECTED', 'this ServiceNow connection has no credentials any more; connect it again');
    const secrets = JSON.parse(openSecret(this.#context.keyRing, 'connections', row.id, row.secretsEncrypted)) as StoredSecrets;
    if (!secrets.client_id || !secrets.client_secret) {
      // A token stored without its OAuth app (not made by this flow) cannot be refreshed: used as it is.
      return stale;
    }
    const refresher = this.#protocol.refresher({
      instanceUrl: row.siteUrl,
      client: { clientId: secrets.client_id, clientSecret: secrets.client_secret },
      deps: this.#deps(owner.orgId, owner.connectionId),
      persist: async (renewed) => {
        if (renewed.kind !== 'oauth2') return;
        const next: StoredSecrets = { ...secrets, access_token: renewed.accessToken, refresh_token: renewed.refreshToken ?? secrets.refresh_token ?? '' };
        await orm
          .update(connections)
          .set({ secretsEncrypted: sealSecret(this.#context.keyRing, 'connections', row.id, JSON.stringify(next)), expiresAt: renewed.expiresAt, status: 'active', lastError: null, updatedAt: new Date() })
          .where(eq(connections.id, row.id));
      },
      onRefused: async () => {
        await orm
          .update(connections)
          .set({ status: 'reauth_required', lastError: 'ServiceNow refused the refresh token (expired or revoked): connect the instance again', updatedAt: new Date() })
          .where(eq(connections.id, row.id));
      },
    });
    return refresher.refresh(stale);
  }
}
