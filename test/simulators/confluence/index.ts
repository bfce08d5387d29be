/**
 * Confluence Cloud simulator (REST v2): the site URL `/wiki/api/v2/...` (Basic email:API token) and the
 * gateway path `/ex/confluence/{cloudId}/wiki/api/v2/...` (OAuth 2.0 bearer tokens from the Atlassian
 * OAuth simulator, with the endpoint's scope, or Basic with a classic or scoped token). Spaces and pages
 * (storage or ADF bodies, version history, title unique per space, 409 on a stale version), cursor
 * paging, the common fault injector and request log. Starts in process on 127.0.0.1 with a random port.
 * See docs/simulators-confluence.md.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { installFaults } from '../common/fastify-faults.ts';
import { createFaultInjector, type FaultConfig, type FaultInjector } from '../common/faults.ts';
import { installRequestLog, type RecordedRequest, type RequestLog } from '../common/request-log.ts';
import type { ConfluenceAuthOptions, ValidateBearer } from './auth.ts';
import { ConfluenceError, registerApi } from './routes.ts';
import { type ConfluenceStore, type ConfluenceUser, createPage, createSpace, createStore, currentVersion, type PageRecord, type Representation, SIM_USERS, type SpaceRecord, titleTaken } from './store.ts';

export const DEFAULT_CLOUD_ID = '11111111-2222-4333-8444-555555555555';

/** The part of the Atlassian OAuth simulator this one uses. */
export interface OAuthLink {
  validateAccessToken: ValidateBearer;
  registerApiHostRoutes?(app: FastifyInstance): void;
}

export interface ConfluenceSimulatorOptions {
  /** Same default as the Jira Cloud simulator and the OAuth simulator: one site, one cloud id. */
  cloudId?: string;
  /** Accept OAuth bearer tokens at the gateway path: the OAuth simulator, or a bare hook. */
  oauth?: OAuthLink;
  validateBearer?: ValidateBearer;
  /** Accept classic Confluence scopes on v2 endpoints (the real API wants granular ones). Default false. */
  acceptClassicScopes?: boolean;
  users?: ConfluenceUser[];
  /** Spaces created at start (each gets a homepage). Default: SEC "Security", COMP "Compliance", ENG "Engineering". */
  spaces?: { key: string; name: string; description?: string }[];
  faults?: Partial<FaultConfig>;
  /** Time source for createdAt stamps. Default Date.now. */
  now?: () => number;
}

export interface ConfluenceAdmin {
  store: ConfluenceStore;
  spaces(): SpaceRecord[];
  space(key: string): SpaceRecord | undefined;
  pages(spaceKey?: string): PageRecord[];
  page(id: string): PageRecord | undefined;
  createSpace(input: { key: string; name: string; description?: string }): SpaceRecord;
  createPageDirectly(input: { spaceKey: string; title: string; value: string; representation?: Representation }): PageRecord;
  /** A person edits the page in the browser: a new version (so a writer holding the old number gets 409). */
  editPageDirectly(id: string, change: { title?: string; value?: string; representation?: Representation; authorId?: string }): PageRecord;
  setAcceptClassicScopes(accept: boolean): void;
  requests: RequestLog;
  received(filter?: { method?: string; path?: string | RegExp }): RecordedRequest[];
  faults: FaultInjector;
  configureFaults(patch: Partial<FaultConfig>): void;
}

export interface ConfluenceSimulator {
  /** The site URL (plays `https://<site>.atlassian.net`): the API is at `${url}/wiki/api/v2`. */
  url: string;
  /** `${url}/ex/confluence/${cloudId}`: what api.atlassian.com/ex/confluence/{cloudId} is in production. */
  gatewayUrl: string;
  cloudId: string;
  credentials: { email: string; apiToken: string; scopedApiToken: string; accountId: string; basicAuthHeader: string };
  admin: ConfluenceAdmin;
  app: FastifyInstance;
  close(): Promise<void>;
}

const DEFAULT_SPACES = [
  { key: 'SEC', name: 'Security', description: 'Security findings and remediation reports' },
  { key: 'COMP', name: 'Compliance', description: 'Audit cases' },
  { key: 'ENG', name: 'Engineering', description: 'Engineering handbook' },
];

export async function startConfluenceSimulator(options: ConfluenceSimulatorOptions = {}): Promise<ConfluenceSimulator> {
  const now = options.now ?? Date.now;
  const store = createStore(now, options.users ?? SIM_USERS);
  for (const space of options.spaces ?? DEFAULT_SPACES) createSpace(store, space);
  const cloudId = options.cloudId ?? DEFAULT_CLOUD_ID;
  const auth: ConfluenceAuthOptions = {
    store,
    cloudId,
    validateBearer: options.validateBearer ?? options.oauth?.validateAccessToken,
    acceptClassicScopes: options.acceptClassicScopes ?? false,
  };

  const app = Fastify({ logger: false, bodyLimit: 5 * 1024 * 1024, forceCloseConnections: true });
  const faults = createFaultInjector(options.faults ?? {});
  installFaults(app, faults, {
    rateLimited(reply, decision) {
      void reply
        .code(429)
        .header('retry-after', String(decision.retryAfterSeconds))
        .header('x-ratelimit-limit', String(decision.limit))
        .header('x-ratelimit-remaining', '0')
        .header('x-ratelimit-reset', new Date(decision.resetAtEpochSeconds * 1000).toISOString().slice(0, 16) + 'Z')
        .header('ratelimit-reason', 'confluence-quota-tenant-based')
        .send({ errors: [{ status: 429, code: 'TOO_MANY_REQUESTS', title: 'Too Many Requests', detail: null }] });
    },
    serverError(reply, status) {
      if (status === 503) void reply.header('retry-after', '5');
      void reply.code(status).send({ errors: [{ status, code: status === 503 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR', title: status === 503 ? 'Service Unavailable' : 'Internal Server Error', detail: null }] });
    },
  });
  const requests = installRequestLog(app);
  app.setErrorHandler((error: unknown, _request, reply) => {
    if (error instanceof ConfluenceError) return reply.code(error.status).send(error.body);
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status === 413) return reply.code(413).send({ errors: [{ status: 413, code: 'REQUEST_ENTITY_TOO_LARGE', title: 'Request is too large (over 5 MB)', detail: null }] });
    if (status >= 400 && status < 500) return reply.code(400).send({ errors: [{ status: 400, code: 'INVALID_REQUEST_PARAMETER', title: 'Malformed request body', detail: null }] });
    return reply.code(500).send({ errors: [{ status: 500, code: 'INTERNAL_SERVER_ERROR', title: 'Internal Server Error', detail: null }] });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ errors: [{ status: 404, code: 'NOT_FOUND', title: 'Not Found', detail: null }] }));

  const state = { url: '' };
  await registerApi(app, { store, auth, siteUrl: () => state.url });
  options.oauth?.registerApiHostRoutes?.(app);

  const spaceByKey = (key: string): SpaceRecord => {
    const space = store.spaces.find((s) => s.key === key);
    if (!space) throw new Error(`unknown space ${key}`);
    return space;
  };
  const admin: ConfluenceAdmin = {
    store,
    spaces: () => [...store.spaces],
    space: (key) => store.spaces.find((s) => s.key === key),
    pages: (spaceKey) => [...store.pages.values()].filter((p) => !spaceKey || p.spaceId === spaceByKey(spaceKey).id),
    page: (id) => store.pages.get(id),
    createSpace: (input) => {
      if (store.spaces.some((s) => s.key === input.key)) throw new Error(`space ${input.key} exists`);
      return createSpace(store, input);
    },
    createPageDirectly(input) {
      const space = spaceByKey(input.spaceKey);
      if (titleTaken(store, space.id, input.title)) throw new Error(`title taken: ${input.title}`);
      const authorId = store.users[1]?.accountId ?? store.users[0]!.accountId;
      return createPage(store, { spaceId: space.id, title: input.title, body: { representation: input.representation ?? 'storage', value: input.value }, authorId, parentId: space.homepageId });
    },
    editPageDirectly(id, change) {
      const page = store.pages.get(id);
      if (!page) throw new Error(`unknown page ${id}`);
      const current = currentVersion(page);
      const title = change.title ?? current.title;
      page.title = title;
      page.versions.push({
        number: current.number + 1,
        message: '',
        minorEdit: false,
        authorId: change.authorId ?? store.users[1]?.accountId ?? current.authorId,
        createdAt: store.now(),
        title,
        body: change.value === undefined ? current.body : { representation: change.representation ?? current.body.representation, value: change.value },
      });
      return page;
    },
    setAcceptClassicScopes(accept) {
      auth.acceptClassicScopes = accept;
    },
    requests,
    received: (filter = {}) =>
      requests.entries.filter(
        (r) => (!filter.method || r.method === filter.method) && (!filter.path || (typeof filter.path === 'string' ? r.path === filter.path : filter.path.test(r.path))),
      ),
    faults,
    configureFaults: (patch) => faults.configure(patch),
  };

  app.get('/_admin/state', async () => ({ spaces: store.spaces, pages: [...store.pages.values()] }));
  app.get('/_admin/requests', async () => requests.entries);
  app.post('/_admin/faults', async (request) => {
    faults.configure((request.body ?? {}) as Partial<FaultConfig>);
    return faults.config;
  });
  app.post('/_admin/pages/:id/edit', async (request) => {
    const body = (request.body ?? {}) as { title?: string; value?: string };
    return admin.editPageDirectly((request.params as { id: string }).id, body);
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('Confluence simulator did not get a TCP port');
  state.url = `http://127.0.0.1:${address.port}`;
  const bot = store.users[0]!;
  return {
    url: state.url,
    gatewayUrl: `${state.url}/ex/confluence/${cloudId}`,
    cloudId,
    credentials: {
      email: bot.email,
      apiToken: bot.apiToken,
      scopedApiToken: bot.scopedApiToken,
      accountId: bot.accountId,
      basicAuthHeader: `Basic ${Buffer.from(`${bot.email}:${bot.apiToken}`).toString('base64')}`,
    },
    admin,
    app,
    async close() {
      await app.close();
    },
  };
}
