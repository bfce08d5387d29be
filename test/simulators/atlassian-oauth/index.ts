/**
 * Atlassian OAuth 2.0 (3LO) simulator: auth.atlassian.com (`/authorize`, `/oauth/token`) and the
 * API-host endpoints (`/oauth/token/accessible-resources`, `/me`) on one local server. Its
 * `validateAccessToken` is what the Jira Cloud and Confluence simulators call to accept these tokens at
 * `/ex/jira/{cloudId}` and `/ex/confluence/{cloudId}`. Given the products' URLs (`products` option or
 * `admin.setProductUrl`), this server also forwards `/ex/jira/...` and `/ex/confluence/...` to them, so
 * its one URL plays api.atlassian.com completely. Atlassian documents no token revocation endpoint for
 * 3LO apps (users revoke in their account settings), so there is none here; `admin.revokeGrant` models
 * the user doing that.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { installFaults } from '../common/fastify-faults.ts';
import { createFaultInjector, type FaultConfig, type FaultInjector } from '../common/faults.ts';
import { installRequestLog, type RequestLog } from '../common/request-log.ts';
import { type AtlassianOAuthSimulatorOptions, DEFAULT_CLOUD_ID, type ResolvedOAuthConfig } from './config.ts';
import { type Clock, createClock, createGrantStore, type Family, type GrantStore, type TokenPair } from './grants.ts';
import { apiHostRoutes } from './routes-api.ts';
import { type AuthorizeState, authorizeRoutes } from './routes-authorize.ts';
import { createTokenControl, type TokenEndpointControl, type TokenFault, tokenRoutes } from './routes-token.ts';
import { type AtlassianProduct, gatewayRoutes } from './gateway.ts';

export type { AtlassianOAuthSimulatorOptions, OAuthAccount, OAuthSite } from './config.ts';
export type { Clock } from './grants.ts';
export { createClock } from './grants.ts';
export type { TokenFault, TokenCallRecord } from './routes-token.ts';
export type { AtlassianProduct } from './gateway.ts';

export type AccessTokenVerdict =
  | { ok: true; grant: { accountId: string; scopes: string[]; cloudIds: string[] } }
  | { ok: false; reason: 'expired' | 'unknown' | 'revoked' };

export interface AtlassianOAuthAdmin {
  grants: GrantStore;
  clock: Clock;
  /** Jump the simulator's clock (token expiry, grace windows) without waiting. */
  advanceClock(ms: number): void;
  /**
   * What the user does on the consent screen: approve or decline, which of the sites they tick (default
   * all), and which account is logged in (default `account`). Sticky until changed.
   */
  setConsent(decision: 'approve' | 'deny' | { decision?: 'approve' | 'deny'; cloudIds?: string[] | null; accountId?: string | null }): void;
  /** Replace the registered callback URLs. */
  setRedirectUris(uris: string[]): void;
  /** Switch the refused-refresh body between the documented and the measured one. */
  setRefreshErrorStyle(style: 'documented' | 'measured'): void;
  /** Calls to `/oauth/token` so far (refused ones too), by grant type, and each call's status. */
  tokenCalls(): TokenEndpointControl['calls'] & { history: TokenEndpointControl['history'] };
  resetTokenCalls(): void;
  /** Added latency on every `/oauth/token` call. */
  setTokenLatency(ms: number): void;
  /** Queue a one-shot fault for the next `/oauth/token` call (of `grantType`, if given). */
  failNextTokenCall(fault: TokenFault): void;
  /** Where `/ex/{product}/...` is forwarded (the product simulator's base URL), or null to stop. */
  setProductUrl(product: AtlassianProduct, url: string | null): void;
  families(): Family[];
  revokeGrant(familyId?: string): void;
  /** Tokens without the browser dance, for tests of code that only needs a valid token. */
  issueTokensDirectly(scopes: string[]): TokenPair;
  requests: RequestLog;
  faults: FaultInjector;
  configureFaults(patch: Partial<FaultConfig>): void;
}

export interface AtlassianOAuthSimulator {
  url: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** Where accessible-resources and /me live (this server; in production api.atlassian.com). */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  cloudId: string;
  validateAccessToken(token: string): AccessTokenVerdict;
  /** Mount accessible-resources and /me on another app (the Jira Cloud simulator). */
  registerApiHostRoutes(app: FastifyInstance): void;
  admin: AtlassianOAuthAdmin;
  close(): Promise<void>;
}


/** `SIM_REDIRECT_URIS` (comma-separated), when set and not empty. */
function redirectUrisFromEnv(): string[] | null {
  const uris = (process.env.SIM_REDIRECT_URIS ?? '')
    .split(',')
    .map((uri) => uri.trim())
    .filter((uri) => uri !== '');
  return uris.length > 0 ? uris : null;
}

export async function startAtlassianOAuthSimulator(
  options: AtlassianOAuthSimulatorOptions & { faults?: Partial<FaultConfig>; products?: Partial<Record<AtlassianProduct, string>> } = {},
): Promise<AtlassianOAuthSimulator> {
  const config: ResolvedOAuthConfig = {
    clientId: options.clientId ?? 'sim-client-id',
    clientSecret: options.clientSecret ?? 'sim-client-secret',
    redirectUris: options.redirectUris ?? redirectUrisFromEnv() ?? ['http://localhost:8000/api/jira/callback'],
    sites: options.sites ?? [{ cloudId: DEFAULT_CLOUD_ID, url: 'https://sim-site.atlassian.net', name: 'sim-site' }],
    account: options.account ?? { accountId: '712020:00000000-0000-4000-8000-000000000b07', email: 'bot@sim.example', name: 'Integration Bot' },
    accounts: options.accounts ?? [],
    resourcesPerProduct: options.resourcesPerProduct ?? false,
    refreshErrorStyle: options.refreshErrorStyle ?? 'documented',
    requireState: options.requireState ?? true,
  };
  const clock = options.clock ?? createClock();
  const tokenControl = createTokenControl();
  const productUrls: Partial<Record<AtlassianProduct, string>> = { ...options.products };
  const grants = createGrantStore(clock, {
    codeTtlMs: (options.codeTtlSeconds ?? 300) * 1000,
    accessTokenTtlMs: (options.accessTokenTtlSeconds ?? 3600) * 1000,
    refreshGraceMs: (options.refreshGraceSeconds ?? 600) * 1000,
    refreshInactivityMs: (options.refreshInactivitySeconds ?? 90 * 86_400) * 1000,
    refreshAbsoluteMs: (options.refreshAbsoluteSeconds ?? 365 * 86_400) * 1000,
  });
  const authorizeState: AuthorizeState = { consent: 'approve', cloudIds: null, accountId: null };

  const app = Fastify({ logger: false, forceCloseConnections: true });
  const faults = createFaultInjector(options.faults ?? {});
  installFaults(app, faults, {
    rateLimited(reply, decision) {
      void reply.code(429).header('retry-after', String(decision.retryAfterSeconds)).send({ code: 429, message: 'Too Many Requests' });
    },
    serverError(reply, status) {
      void reply.code(status).send({ code: status, message: status === 503 ? 'Service Unavailable' : 'Internal Server Error' });
    },
  });
  const requests = installRequestLog(app);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.setErrorHandler((error: { statusCode?: number }, _request, reply) => {
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    void reply.code(status).send(status === 500 ? { error: 'server_error' } : { error: 'invalid_request', error_description: 'Malformed request body' });
  });

  authorizeRoutes(app, config, grants, authorizeState);
  tokenRoutes(app, config, grants, () => clock.now(), tokenControl);
  apiHostRoutes(app, config, grants);
  await app.register(gatewayRoutes(productUrls));

  const validateAccessToken = (token: string): AccessTokenVerdict => {
    const verdict = grants.validateAccess(token);
    if (!verdict.ok) return verdict;
    return { ok: true, grant: { accountId: verdict.token.accountId, scopes: verdict.token.scopes, cloudIds: verdict.token.cloudIds } };
  };

  const admin: AtlassianOAuthAdmin = {
    grants,
    clock,
    advanceClock: (ms) => clock.advance(ms),
    setConsent(input) {
      const change = typeof input === 'string' ? { decision: input } : input;
      if (change.decision) authorizeState.consent = change.decision;
      if (change.cloudIds !== undefined) {
        const unknown = (change.cloudIds ?? []).filter((id) => !config.sites.some((s) => s.cloudId === id));
        if (unknown.length > 0) throw new Error(`unknown site(s): ${unknown.join(', ')}`);
        authorizeState.cloudIds = change.cloudIds;
      }
      if (change.accountId !== undefined) {
        if (change.accountId !== null && ![config.account, ...config.accounts].some((a) => a.accountId === change.accountId)) {
          throw new Error(`unknown account ${change.accountId}`);
        }
        authorizeState.accountId = change.accountId;
      }
    },
    setRedirectUris(uris) {
      config.redirectUris.splice(0, config.redirectUris.length, ...uris);
    },
    setRefreshErrorStyle(style) {
      config.refreshErrorStyle = style;
    },
    tokenCalls: () => ({ ...tokenControl.calls, history: [...tokenControl.history] }),
    resetTokenCalls() {
      Object.assign(tokenControl.calls, { total: 0, authorization_code: 0, refresh_token: 0, other: 0 });
      tokenControl.history.length = 0;
    },
    setTokenLatency(ms) {
      tokenControl.latencyMs = ms;
    },
    failNextTokenCall(fault) {
      tokenControl.pending.push(fault);
    },
    setProductUrl(product, url) {
      if (url === null) delete productUrls[product];
      else productUrls[product] = url;
    },
    families: () => [...grants.families.values()],
    revokeGrant(familyId) {
      for (const family of grants.families.values()) if (!familyId || family.id === familyId) grants.revokeFamily(family.id);
    },
    issueTokensDirectly(scopes) {
      const code = grants.createCode({
        clientId: config.clientId,
        redirectUri: config.redirectUris[0] ?? '',
        scopes,
        accountId: config.account.accountId,
        cloudIds: config.sites.map((s) => s.cloudId),
        codeChallenge: null,
      });
      code.used = true;
      return grants.startFamily(code);
    },
    requests,
    faults,
    configureFaults: (patch) => faults.configure(patch),
  };

  app.get('/_admin/state', async () => ({
    families: admin.families(),
    codes: [...grants.codes.values()].map(({ code: _code, ...rest }) => rest),
    consent: authorizeState,
    redirectUris: config.redirectUris,
    tokenCalls: tokenControl.calls,
    now: clock.now(),
  }));
  app.get('/_admin/token-calls', async () => admin.tokenCalls());
  app.post('/_admin/token-faults', async (request) => {
    const body = (request.body ?? {}) as { latencyMs?: unknown; next?: unknown };
    if (typeof body.latencyMs === 'number') admin.setTokenLatency(body.latencyMs);
    if (body.next && typeof body.next === 'object') admin.failNextTokenCall(body.next as TokenFault);
    return { latencyMs: tokenControl.latencyMs, pending: tokenControl.pending };
  });
  app.get('/_admin/requests', async () => requests.entries);
  app.post('/_admin/faults', async (request) => {
    faults.configure((request.body ?? {}) as Partial<FaultConfig>);
    return faults.config;
  });
  app.post('/_admin/clock', async (request) => {
    const ms = Number((request.body as { advanceMs?: unknown } | null)?.advanceMs ?? 0);
    if (Number.isFinite(ms)) clock.advance(ms);
    return { now: clock.now() };
  });
  app.post('/_admin/consent', async (request, reply) => {
    const body = (request.body ?? {}) as { decision?: unknown; cloudIds?: unknown; accountId?: unknown };
    try {
      admin.setConsent({
        decision: body.decision === 'approve' || body.decision === 'deny' ? body.decision : undefined,
        cloudIds: Array.isArray(body.cloudIds) ? body.cloudIds.map(String) : body.cloudIds === null ? null : undefined,
        accountId: typeof body.accountId === 'string' ? body.accountId : body.accountId === null ? null : undefined,
      });
    } catch (error) {
      return reply.code(400).send({ error: (error as Error).message });
    }
    return { consent: authorizeState.consent, cloudIds: authorizeState.cloudIds, accountId: authorizeState.accountId };
  });
  app.post('/_admin/revoke', async () => {
    admin.revokeGrant();
    return { revoked: true };
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('OAuth simulator did not get a TCP port');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    authorizeUrl: `${url}/authorize`,
    tokenUrl: `${url}/oauth/token`,
    apiUrl: url,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    redirectUris: config.redirectUris,
    cloudId: config.sites[0]?.cloudId ?? DEFAULT_CLOUD_ID,
    validateAccessToken,
    registerApiHostRoutes: (other) => apiHostRoutes(other, config, grants),
    admin,
    async close() {
      await app.close();
    },
  };
}
