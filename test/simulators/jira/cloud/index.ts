/**
 * Jira Cloud simulator (REST v3), served at the site URL (`/rest/api/3/...`) and at the API gateway path
 * `/ex/jira/{cloudId}/rest/api/3/...`. It also answers `/oauth/token/accessible-resources` and `/me` when
 * given the OAuth simulator, so the product can use this URL as its "api.atlassian.com".
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FaultConfig } from '../../common/faults.ts';
import { adminRoutes, createAdmin, type JiraAdmin } from '../shared/admin.ts';
import type { RouteEnv, ScopeNeed } from '../shared/env.ts';
import { createBaseApp, listen } from '../shared/http.ts';
import { CLOUD, type Priority } from '../shared/model.ts';
import { issueRoutes } from '../shared/routes-issue.ts';
import { metaRoutes } from '../shared/routes-meta.ts';
import { cloudSearchRoutes } from '../shared/routes-search.ts';
import { workflowRoutes } from '../shared/routes-workflow.ts';
import type { SeedUser } from '../shared/seed.ts';
import { createJiraStore } from '../shared/store.ts';
import { createWebhookDispatcher } from '../shared/webhooks.ts';
import { authenticate, type UnauthorizedStyle, type ValidateBearer } from './auth.ts';
import { cloudResponders } from './responders.ts';

/** The part of the OAuth simulator the Cloud simulator uses (see atlassian-oauth/index.ts). */
export interface OAuthLink {
  validateAccessToken: ValidateBearer;
  /** Mounts `/oauth/token/accessible-resources` and `/me` (the API-host side of OAuth). */
  registerApiHostRoutes?(app: FastifyInstance): void;
}

export interface JiraCloudSimulatorOptions {
  cloudId?: string;
  /** Initial search-index lag in ms (default 300). */
  searchLagMs?: number;
  faults?: Partial<FaultConfig>;
  /** Value of `RateLimit-Reason` on 429s (default `jira-burst-based`). */
  rateLimitReason?: string;
  /** Accept OAuth bearer tokens at the gateway path. Either the OAuth simulator or a bare hook. */
  oauth?: OAuthLink;
  validateBearer?: ValidateBearer;
  /** Body style of site-URL 401s; Jira has been seen sending all three. Default plain text. */
  unauthorizedStyle?: UnauthorizedStyle;
  priorities?: Priority[];
  users?: SeedUser[];
  /** Issue property keys that JQL `issue.property[...]` can see. Default `'all'` (see docs). */
  indexedProperties?: 'all' | string[];
  webhookRetryDelaysMs?: number[];
  textLimit?: number;
  now?: () => number;
}

export interface JiraCloudCredentials {
  email: string;
  apiToken: string;
  scopedApiToken: string;
  accountId: string;
  /** Ready-made `Authorization` header value for the site URL. */
  basicAuthHeader: string;
  users: SeedUser[];
}

export interface JiraCloudSimulator {
  /** Site URL (like https://your-domain.atlassian.net). */
  url: string;
  cloudId: string;
  /** `${url}/ex/jira/${cloudId}`: what api.atlassian.com/ex/jira/{cloudId} is in production. */
  gatewayUrl: string;
  credentials: JiraCloudCredentials;
  admin: JiraAdmin;
  close(): Promise<void>;
}

export async function startJiraCloudSimulator(options: JiraCloudSimulatorOptions = {}): Promise<JiraCloudSimulator> {
  const cloudId = options.cloudId ?? '11111111-2222-4333-8444-555555555555';
  const store = createJiraStore({ now: options.now, searchLagMs: options.searchLagMs, priorities: options.priorities, users: options.users });
  const state = { url: '' };
  const reason = options.rateLimitReason ?? 'jira-burst-based';
  const { app, faults, requests } = createBaseApp(options.faults ?? {}, cloudResponders(() => reason));
  const validateBearer = options.validateBearer ?? options.oauth?.validateAccessToken;
  const actors = new WeakMap<FastifyRequest, SeedUser>();
  const env: RouteEnv = {
    store,
    flavor: CLOUD,
    textLimit: options.textLimit ?? 32767,
    indexedProperties: options.indexedProperties ?? 'all',
    actor(request) {
      const user = actors.get(request);
      if (!user) throw new Error('route ran without authentication');
      return user;
    },
    base(request) {
      const cloud = (request.params as { cloudId?: string }).cloudId;
      return cloud ? `${state.url}/ex/jira/${cloud}` : state.url;
    },
  };
  const authOptions = { store, cloudId, validateBearer, unauthorizedStyle: options.unauthorizedStyle ?? 'text' };

  const jiraApi = (gateway: boolean) => async (instance: FastifyInstance) => {
    instance.addHook('preHandler', async (request, reply) => {
      const need = (request.routeOptions.config as { scope?: ScopeNeed } | undefined)?.scope;
      const outcome = authenticate(authOptions, request, gateway, need);
      if (!outcome.ok) return outcome.send(reply);
      actors.set(request, outcome.user);
    });
    issueRoutes(instance, env);
    cloudSearchRoutes(instance, env);
    workflowRoutes(instance, env);
    metaRoutes(instance, env);
  };
  await app.register(jiraApi(false));
  await app.register(jiraApi(true), { prefix: '/ex/jira/:cloudId' });
  options.oauth?.registerApiHostRoutes?.(app);
  // Unauthenticated tenant lookup, as on https://<site>.atlassian.net/_edge/tenant_info.
  app.get('/_edge/tenant_info', async () => ({ cloudId }));

  const webhooks = createWebhookDispatcher({ store, flavor: CLOUD, siteUrl: () => state.url, retryDelaysMs: options.webhookRetryDelaysMs });
  const admin = createAdmin({ store, requests, faults, webhooks, fieldContext: { store, flavor: CLOUD, textLimit: env.textLimit } });
  adminRoutes(app, admin);

  state.url = await listen(app);
  const bot = store.users[0] as SeedUser;
  return {
    url: state.url,
    cloudId,
    gatewayUrl: `${state.url}/ex/jira/${cloudId}`,
    credentials: {
      email: bot.email,
      apiToken: bot.apiToken,
      scopedApiToken: bot.scopedApiToken,
      accountId: bot.accountId,
      basicAuthHeader: `Basic ${Buffer.from(`${bot.email}:${bot.apiToken}`).toString('base64')}`,
      users: store.users,
    },
    admin,
    async close() {
      webhooks.close();
      await app.close();
    },
  };
}
