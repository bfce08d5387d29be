/**
 * ServiceNow simulator: the Table API (incident, sys_user_group, sys_user, sys_journal_field, sys_choice and a
 * configurable custom table), Basic and OAuth authentication (`/oauth_token.do`, `/oauth_auth.do`),
 * rate-limit rules, hibernation, the shared fault injector and a Business-Rule-like signed outbound call.
 * What each rule follows is in docs/simulators-servicenow.md.
 */
import Fastify, { type FastifyRequest } from 'fastify';
import { installFaults } from '../common/fastify-faults.ts';
import { createFaultInjector, type FaultConfig } from '../common/faults.ts';
import { installRequestLog } from '../common/request-log.ts';
import { adminRoutes, createAdmin, type ServiceNowAdmin } from './admin.ts';
import { HIBERNATING_PAGE, sendError } from './errors.ts';
import { createOAuthState, oauthRoutes } from './oauth.ts';
import { createOutboundDispatcher, type OutboundConfig } from './outbound.ts';
import { createRateLimiter, type RateLimitRule } from './rate-limit.ts';
import { tableRoutes } from './routes-table.ts';
import type { CustomTableOptions } from './schema.ts';
import { createServiceNowStore, type PriorityWrites, SEED_USERS } from './store.ts';

export type { ServiceNowAdmin } from './admin.ts';
export type { OutboundConfig, OutboundDelivery } from './outbound.ts';
export type { RateLimitRule } from './rate-limit.ts';

export interface ServiceNowSimulatorOptions {
  /** The configurable custom table (default `sn_vul_vulnerable_item`, numbers VIT0010001…). */
  customTable?: CustomTableOptions;
  numberStart?: number;
  clientId?: string;
  clientSecret?: string;
  /** Registered OAuth redirect URIs (default: SIM_SERVICENOW_REDIRECT_URIS, else SIM_REDIRECT_URIS, else `http://localhost:3001/oauth/servicenow`; comma-separated). */
  redirectUris?: string[];
  /** Access-token lifetime (default 1800 s, `expires_in` 1799). */
  accessTokenTtlSeconds?: number;
  /** Refresh-token lifetime (default 8,640,000 s = 100 days). */
  refreshTokenTtlSeconds?: number;
  codeTtlSeconds?: number;
  /** Scopes the OAuth registry knows (default useraccount, ticket.read, ticket.write). */
  scopes?: string[];
  /** Added latency for every answered request, ms (shorthand for faults.latencyMs). */
  latencyMs?: number;
  faults?: Partial<FaultConfig>;
  rateLimit?: RateLimitRule | null;
  hibernating?: boolean;
  outbound?: OutboundConfig | null;
  priorityWrites?: PriorityWrites;
  requireCloseFields?: boolean;
  /** The incident close_code choices in sys_choice (default the base system's, `BASE_CLOSE_CODES`). */
  closeCodes?: string[];
  /** `glide.invalid_query.returns_no_rows` (default false: invalid clauses are dropped). */
  invalidQueryReturnsNoRows?: boolean;
  now?: () => number;
}

export interface ServiceNowCredentials {
  username: string;
  password: string;
  clientId: string;
  clientSecret: string;
  /** Ready-made `Authorization` header for the integration user. */
  basicAuthHeader: string;
  /** A user with only `snc_read_only` (writes get 403). */
  readOnly: { username: string; password: string };
  admin: { username: string; password: string };
}

export interface ServiceNowSimulator {
  /** Instance URL (like https://dev12345.service-now.com). */
  url: string;
  tokenUrl: string;
  authorizeUrl: string;
  redirectUris: string[];
  customTable: string;
  credentials: ServiceNowCredentials;
  admin: ServiceNowAdmin;
  close(): Promise<void>;
}

export function defaultRedirectUris(): string[] {
  return (process.env.SIM_SERVICENOW_REDIRECT_URIS ?? process.env.SIM_REDIRECT_URIS ?? 'http://localhost:3001/oauth/servicenow')
    .split(',')
    .map((uri) => uri.trim())
    .filter((uri) => uri !== '');
}

const account = (userName: string): { username: string; password: string } => {
  const seed = SEED_USERS.find((u) => u.userName === userName)!;
  return { username: seed.userName, password: seed.password };
};

export async function startServiceNowSimulator(options: ServiceNowSimulatorOptions = {}): Promise<ServiceNowSimulator> {
  const store = createServiceNowStore({
    customTable: options.customTable,
    numberStart: options.numberStart,
    priorityWrites: options.priorityWrites,
    closeCodes: options.closeCodes,
    requireCloseFields: options.requireCloseFields,
    now: options.now,
  });
  const integration = account('sim.integration');
  const oauth = createOAuthState(store, {
    clientId: options.clientId ?? 'sim-servicenow-client-id',
    clientSecret: options.clientSecret ?? 'sim-servicenow-client-secret',
    redirectUris: options.redirectUris ?? defaultRedirectUris(),
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 1800,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? 8_640_000,
    codeTtlSeconds: options.codeTtlSeconds ?? 60,
    scopes: options.scopes ?? ['useraccount', 'ticket.read', 'ticket.write'],
    consentUser: integration.username,
  });
  const initialRule = options.rateLimit ?? null;
  const limiter = createRateLimiter(() => store.clock.now(), initialRule);
  const initialSwitches = {
    hibernating: options.hibernating ?? false,
    invalidQueryReturnsNoRows: options.invalidQueryReturnsNoRows ?? false,
    priorityWrites: store.priorityWrites,
    requireCloseFields: store.requireCloseFields,
  };
  const switches = { hibernating: initialSwitches.hibernating, invalidQueryReturnsNoRows: initialSwitches.invalidQueryReturnsNoRows };
  const state = { url: '' };

  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024, forceCloseConnections: true });
  // Bodies arrive as text; JSON is parsed below so a bad body can get ServiceNow's answer, not Fastify's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.addHook('onRequest', async (request, reply) => {
    if (!switches.hibernating || request.url.startsWith('/_admin')) return;
    return reply.code(503).type('text/html;charset=UTF-8').send(HIBERNATING_PAGE);
  });
  const initialFaults: FaultConfig = { ...createFaultInjector().config, ...(options.faults ?? {}), ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}) };
  const faults = createFaultInjector(initialFaults);
  installFaults(app, faults, {
    rateLimited(reply, decision) {
      void reply.headers({
        'retry-after': String(decision.retryAfterSeconds),
        'x-ratelimit-limit': String(decision.limit),
        'x-ratelimit-reset': String(decision.resetAtEpochSeconds),
      });
      sendError(reply, 429, 'Rate limit exceeded', `Rate limit of ${decision.limit} requests per second for Table API exceeded`);
    },
    serverError(reply, status) {
      if (status === 500) {
        sendError(reply, 500, 'Internal Server Error', null);
        return;
      }
      const title = status === 502 ? 'Bad Gateway' : status === 503 ? 'Service Unavailable' : status === 504 ? 'Gateway Timeout' : 'Error';
      void reply.code(status).type('text/html;charset=UTF-8').send(`<!DOCTYPE html><html><head><title>${status} ${title}</title></head><body><h1>${title}</h1></body></html>`);
    },
  });
  const invalidJson = new WeakSet<FastifyRequest>();
  app.addHook('preValidation', async (request) => {
    const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (typeof request.body !== 'string' || !(type === 'application/json' || type.endsWith('+json'))) return;
    try {
      request.body = JSON.parse(request.body);
    } catch {
      invalidJson.add(request);
    }
  });
  const requests = installRequestLog(app);
  app.setErrorHandler((_error, _request, reply) => {
    void sendError(reply, 500, 'Internal Server Error', null);
  });
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/')) return sendError(reply, 400, 'Requested URI does not represent any resource', null);
    return reply.code(404).type('text/html;charset=UTF-8').send('<!DOCTYPE html><html><body><h1>Page not found</h1></body></html>');
  });

  tableRoutes(app, { store, oauth, limiter, baseUrl: () => state.url, settings: switches, invalidJson });
  oauthRoutes(app, store, oauth);

  const initialOutbound = options.outbound ?? null;
  const outbound = createOutboundDispatcher(store, initialOutbound);
  const admin = createAdmin({
    store,
    requests,
    faults,
    initialFaults,
    limiter,
    initialRule,
    oauth,
    outbound,
    initialOutbound,
    switches,
    initialSwitches,
    integrationUser: integration.username,
  });
  adminRoutes(app, admin, () => ({
    now: store.clock.now(),
    hibernating: switches.hibernating,
    invalidQueryReturnsNoRows: switches.invalidQueryReturnsNoRows,
    priorityWrites: store.priorityWrites,
    requireCloseFields: store.requireCloseFields,
    rateLimit: limiter.rule,
    faults: faults.config,
    outbound: outbound.config ? { ...outbound.config, secret: '(set)' } : null,
    tables: [...store.tables.keys()],
    counts: Object.fromEntries([...store.records.entries()].map(([name, rows]) => [name, rows.size])),
  }));

  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('simulator did not get a TCP port');
  state.url = `http://127.0.0.1:${address.port}`;

  return {
    url: state.url,
    tokenUrl: `${state.url}/oauth_token.do`,
    authorizeUrl: `${state.url}/oauth_auth.do`,
    redirectUris: oauth.options.redirectUris,
    customTable: store.customTableName,
    credentials: {
      username: integration.username,
      password: integration.password,
      clientId: oauth.options.clientId,
      clientSecret: oauth.options.clientSecret,
      basicAuthHeader: `Basic ${Buffer.from(`${integration.username}:${integration.password}`).toString('base64')}`,
      readOnly: account('sim.readonly'),
      admin: account('admin'),
    },
    admin,
    async close() {
      outbound.close();
      await app.close();
    },
  };
}
