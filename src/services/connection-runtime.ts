/**
 * What the runtime plugs into every ConnectionService (src/services/connections.ts): the refreshers
 * per auth kind and the configured endpoints, so a stored connection's credential source refreshes
 * through the right machinery and binds its tokens to the configured hosts (ATLASSIAN_API_URL, not
 * a hard-coded api.atlassian.com).
 *
 * - oauth2: Atlassian connections (jira-cloud, confluence) refresh through AtlassianOAuthService
 *   (one refresh per consent across processes, rotation never lost, refusal → reauth_required);
 *   ServiceNow connections through ServiceNowOAuthService (the instance's oauth_token.do, form-encoded).
 * - app-installation: GitHub App connections buy installation tokens with an app JWT
 *   (src/providers/github/app-installation.ts); the token is sealed into the row with its expiry, so
 *   every process uses it until shortly before it expires.
 *
 * It also registers the gauge `integration_oauth_refresh_token_limit_connections{limit}`: active
 * OAuth connections whose refresh token is within 14 days of its idle limit (90 days unused) or
 * whose consent is within 14 days of its absolute limit (365 days), counted at each scrape; each such
 * connection is also logged once a day as a warning (the status routes list the same warnings).
 */
import { and, eq, sql } from 'drizzle-orm';
import { Gauge } from 'prom-client';
import type { AppContext } from '../context.ts';
import { connections } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { OutboundClient } from '../http-client/index.ts';
import type { Credential, CredentialOwner, CredentialRefresher } from '../providers/credentials/index.ts';
import { AtlassianOAuthService, credentialNow, refreshedAtlassianCredential } from './atlassian-oauth.ts';
import { openSecret, sealSecret } from './secret-columns.ts';
import { SERVICENOW_OAUTH_PROVIDER, type ServiceNowOAuthProtocol, ServiceNowOAuthService } from './servicenow-oauth.ts';
import { type ConnectionRuntime, registerConnectionRuntime } from './connections.ts';

const ATLASSIAN_PROVIDERS = new Set(['jira-cloud', 'confluence']);

export function oauth2Refresher(context: AppContext, servicenowOAuth?: ServiceNowOAuthProtocol): CredentialRefresher {
  return {
    async refresh(stale: Credential, owner?: CredentialOwner): Promise<Credential> {
      if (stale.kind !== 'oauth2' || !owner) return stale;
      if (ATLASSIAN_PROVIDERS.has(owner.provider)) return refreshedAtlassianCredential(context, owner.orgId, owner.connectionId, stale.accessToken);
      // ServiceNow: the instance's oauth_token.do with the connection's own OAuth app; refusal → reauth_required.
      if (owner.provider === SERVICENOW_OAUTH_PROVIDER && servicenowOAuth) return new ServiceNowOAuthService(context, servicenowOAuth).refresh(owner, stale);
      return stale;
    },
  };
}

/**
 * Builds the app-installation refresher from its persistence (src/providers/github/app-installation.ts's
 * appInstallationRefresher, handed in by the runtime: services name no provider).
 */
export type AppInstallationRefresherFactory = (options: {
  http: OutboundClient;
  apiUrlOf(owner: CredentialOwner): Promise<string>;
  persist(owner: CredentialOwner, token: { token: string; expiresAt: Date }): Promise<void>;
  timeoutMs?: number;
  now?: () => number;
}) => CredentialRefresher;

export function githubAppRefresher(context: AppContext, appInstallationRefresher: AppInstallationRefresherFactory): CredentialRefresher {
  const rowOf = async (owner: CredentialOwner) => {
    const [row] = await context.db.orm
      .select({ id: connections.id, apiUrl: connections.apiUrl, secretsEncrypted: connections.secretsEncrypted })
      .from(connections)
      .where(and(eq(connections.orgId, owner.orgId), eq(connections.id, owner.connectionId)));
    if (!row?.secretsEncrypted) throw new AppError('NOT_CONNECTED', 'this GitHub App connection has no private key any more; connect it again');
    return { ...row, secretsEncrypted: row.secretsEncrypted };
  };
  return appInstallationRefresher({
    http: context.outbound,
    timeoutMs: context.config.outbound.timeoutMs,
    now: () => credentialNow(context),
    apiUrlOf: async (owner) => (await rowOf(owner)).apiUrl ?? 'https://api.github.com',
    async persist(owner, token) {
      const row = await rowOf(owner);
      const secrets = JSON.parse(openSecret(context.keyRing, 'connections', row.id, row.secretsEncrypted)) as Record<string, string>;
      secrets.installation_token = token.token;
      await context.db.orm
        .update(connections)
        .set({ secretsEncrypted: sealSecret(context.keyRing, 'connections', row.id, JSON.stringify(secrets)), expiresAt: token.expiresAt, status: 'active', lastError: null, updatedAt: new Date() })
        .where(eq(connections.id, row.id));
    },
  });
}

export interface ConnectionPlugins {
  appInstallationRefresher?: AppInstallationRefresherFactory;
  /** ServiceNow's OAuth steps (src/providers/servicenow/oauth.ts), for refreshing its OAuth connections. */
  servicenowOAuth?: ServiceNowOAuthProtocol;
}

export function connectionRuntimeOf(context: AppContext, plugins: ConnectionPlugins = {}): ConnectionRuntime {
  return {
    sharedState: context.sharedState,
    endpoints: { ATLASSIAN_API_URL: context.config.atlassian.apiUrl, ATLASSIAN_AUTH_URL: context.config.atlassian.authUrl },
    refreshers: new Map<string, CredentialRefresher>([
      ['oauth2', oauth2Refresher(context, plugins.servicenowOAuth)],
      ...(plugins.appInstallationRefresher ? [['app-installation', githubAppRefresher(context, plugins.appInstallationRefresher)] as const] : []),
    ]),
  };
}

const DAY_MS = 86_400_000;
/** Warn this long before a refresh token's idle or absolute limit (as the status routes do). */
export const REFRESH_LIMIT_WARN_MS = 14 * DAY_MS;

/**
 * Active OAuth connections near a refresh-token limit, per limit; logs each once per day and
 * process. `now` is the OAuth clock (tests move it).
 */
export async function refreshTokenLimitWarnings(context: AppContext, logged: Set<string>): Promise<{ idle: number; absolute: number }> {
  const provider = new AtlassianOAuthService(context).provider;
  const now = new AtlassianOAuthService(context).now();
  const counts = { idle: 0, absolute: 0 };
  const rows = await context.db.orm
    .select({ id: connections.id, orgId: connections.orgId, issuedAt: connections.refreshTokenIssuedAt, grantStartedAt: connections.grantStartedAt })
    .from(connections)
    .where(and(eq(connections.authKind, 'oauth2'), eq(connections.status, 'active'), sql`${connections.secretsEncrypted} is not null`));
  const day = Math.floor(now / DAY_MS);
  for (const row of rows) {
    const limits: { limit: 'idle' | 'absolute'; endsAt: number }[] = [];
    if (provider.refreshIdleDays && row.issuedAt) limits.push({ limit: 'idle', endsAt: row.issuedAt.getTime() + provider.refreshIdleDays * DAY_MS });
    if (provider.refreshAbsoluteDays && row.grantStartedAt) limits.push({ limit: 'absolute', endsAt: row.grantStartedAt.getTime() + provider.refreshAbsoluteDays * DAY_MS });
    for (const { limit, endsAt } of limits) {
      if (endsAt - now >= REFRESH_LIMIT_WARN_MS) continue;
      counts[limit] += 1;
      const key = `${row.id}:${limit}:${day}`;
      if (logged.has(key)) continue;
      logged.add(key);
      context.logger.warn(
        { connection_id: row.id, org_id: row.orgId, limit, ends_at: new Date(endsAt).toISOString() },
        limit === 'idle' ? 'OAuth refresh token nears its idle limit: it expires unless used' : 'OAuth consent nears its absolute limit: the user must connect again before it ends',
      );
    }
  }
  return counts;
}

/** Called once by the runtime after the context is built. */
export function installConnectionRuntime(context: AppContext, plugins: ConnectionPlugins = {}): void {
  registerConnectionRuntime(context.db.orm, connectionRuntimeOf(context, plugins));
  const logged = new Set<string>();
  if (!context.metrics.getSingleMetric('integration_oauth_refresh_token_limit_connections')) {
    new Gauge({
      name: 'integration_oauth_refresh_token_limit_connections',
      help: 'Active OAuth connections within 14 days of a refresh-token limit (idle: 90 days unused; absolute: 365 days since consent)',
      labelNames: ['limit'],
      registers: [context.metrics],
      async collect() {
        try {
          const counts = await refreshTokenLimitWarnings(context, logged);
          this.set({ limit: 'idle' }, counts.idle);
          this.set({ limit: 'absolute' }, counts.absolute);
        } catch (error) {
          context.logger.warn({ err: error }, 'could not count OAuth connections near a refresh-token limit');
        }
      },
    });
  }
}
