/**
 * Atlassian OAuth 2.0 (3LO) simulator: auth.atlassian.com (`/authorize`, `/oauth/token`) and the
 * API-host endpoints (`/oauth/token/accessible-resources`, `/me`) on one local server. Its
 * `validateAccessToken` is what the Jira Cloud simulator calls to accept these tokens at
 * `/ex/jira/{cloudId}`. Atlassian documents no token revocation endpoint for 3LO apps (users revoke in
 * their account settings), so there is none here; `admin.revokeGrant` models the user doing that.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { installFaults } from '../common/fastify-faults.ts';
import { createFaultInjector, type FaultConfig, type FaultInjector } from '../common/faults.ts';
import { installRequestLog, type RequestLog } from '../common/request-log.ts';
import { type AtlassianOAuthSimulatorOptions, DEFAULT_CLOUD_ID, type ResolvedOAuthConfig } from './config.ts';
import { type Clock, createClock, createGrantStore, type Family, type GrantStore, type TokenPair } from './grants.ts';
import { apiHostRoutes } from './routes-api.ts';
import { type AuthorizeState, authorizeRoutes } from './routes-authorize.ts';
import { tokenRoutes } from './routes-token.ts';

export type { AtlassianOAuthSimulatorOptions } from './config.ts';

export type AccessTokenVerdict =
  | { ok: true; grant: { accountId: string; scopes: string[]; cloudIds: string[] } }
  | { ok: false; reason: 'expired' | 'unknown' | 'revoked' };

export interface AtlassianOAuthAdmin {
  grants: GrantStore;
  clock: Clock;
  /** Jump the simulator's clock (token expiry, grace windows) without waiting. */
  advanceClock(ms: number): void;
  setConsent(decision: 'approve' | 'deny'): void;
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


export async function startAtlassianOAuthSimulator(
  options: AtlassianOAuthSimulatorOptions & { faults?: Partial<FaultConfig> } = {},
): Promise<AtlassianOAuthSimulator> {
  const config: ResolvedOAuthConfig = {
    clientId: options.clientId ?? 'sim-client-id',
    clientSecret: options.clientSecret ?? 'sim-client-secret',
    redirectUris: options.redirectUris ?? ['http://localhost:8000/api/jira/callback'],
    sites: options.sites ?? [{ cloudId: DEFAULT_CLOUD_ID, url: 'https://sim-site.atlassian.net', name: 'sim-site' }],
    account: options.account ?? { accountId: '712020:00000000-0000-4000-8000-000000000b07', email: 'bot@sim.example', name: 'Integration Bot' },
    refreshErrorStyle: options.refreshErrorStyle ?? 'documented',
    requireState: options.requireState ?? true,
  };
  const clock = createClock();
  const grants = createGrantStore(clock, {
    codeTtlMs: (options.codeTtlSeconds ?? 300) * 1000,
    accessTokenTtlMs: (options.accessTokenTtlSeconds ?? 3600) * 1000,
    refreshGraceMs: (options.refreshGraceSeconds ?? 600) * 1000,
    refreshInactivityMs: (options.refreshInactivitySeconds ?? 90 * 86_400) * 1000,
    refreshAbsoluteMs: (options.refreshAbsoluteSeconds ?? 365 * 86_400) * 1000,
  });
  const authorizeState: AuthorizeState = { consent: 'approve' };

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
  tokenRoutes(app, config, grants, () => clock.now());
  apiHostRoutes(app, config, grants);

  const validateAccessToken = (token: string): AccessTokenVerdict => {
    const verdict = grants.validateAccess(token);
    if (!verdict.ok) return verdict;
    return { ok: true, grant: { accountId: verdict.token.accountId, scopes: verdict.token.scopes, cloudIds: verdict.token.cloudIds } };
  };

  const admin: AtlassianOAuthAdmin = {
    grants,
    clock,
    advanceClock: (ms) => clock.advance(ms),
    setConsent(decision) {
      authorizeState.consent = decision;
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
    consent: authorizeState.consent,
    now: clock.now(),
  }));
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
  app.post('/_admin/consent', async (request) => {
    const decision = (request.body as { decision?: unknown } | null)?.decision;
    if (decision === 'approve' || decision === 'deny') authorizeState.consent = decision;
    return { consent: authorizeState.consent };
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
