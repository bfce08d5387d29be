/**
 * Jira Server / Data Center simulator (REST v2, optional context path such as `/jira`): wiki-markup
 * strings for rich text (ADF refused), users by `name`, classic `/rest/api/2/search` with `total`, PAT
 * Bearer auth. Same store, rules and webhooks as the Cloud simulator; only the rendering and auth differ.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FaultConfig } from '../../common/faults.ts';
import { adminRoutes, createAdmin, type JiraAdmin } from '../shared/admin.ts';
import type { RouteEnv } from '../shared/env.ts';
import { createBaseApp, listen } from '../shared/http.ts';
import { type Priority, SERVER } from '../shared/model.ts';
import { issueRoutes } from '../shared/routes-issue.ts';
import { metaRoutes } from '../shared/routes-meta.ts';
import { serverSearchRoutes } from '../shared/routes-search.ts';
import { workflowRoutes } from '../shared/routes-workflow.ts';
import type { SeedUser } from '../shared/seed.ts';
import { createJiraStore } from '../shared/store.ts';
import { createWebhookDispatcher } from '../shared/webhooks.ts';
import { authenticateServer } from './auth.ts';
import { serverResponders } from './responders.ts';

export interface JiraServerSimulatorOptions {
  /** e.g. `/jira`; the REST API then lives at `${url}/jira/rest/api/2`. Default none. */
  contextPath?: string;
  /** Search-index lag; DC indexes near-synchronously, so default 0. */
  searchLagMs?: number;
  faults?: Partial<FaultConfig>;
  /** Basic username:password (disabled by default on DC 11). Default true. */
  basicAuthEnabled?: boolean;
  /** Page cap of /search (`jira.search.views.default.max`-like). Default 1000. */
  maxResultsCap?: number;
  priorities?: Priority[];
  users?: SeedUser[];
  indexedProperties?: 'all' | string[];
  webhookRetryDelaysMs?: number[];
  /** Rich-text limit (configurable on DC). Default 32,767. */
  textLimit?: number;
  now?: () => number;
}

export interface JiraServerCredentials {
  username: string;
  password: string;
  pat: string;
  /** Ready-made `Authorization: Bearer <PAT>` value. */
  bearerAuthHeader: string;
  users: SeedUser[];
}

export interface JiraServerSimulator {
  /** Base URL including the context path. */
  url: string;
  credentials: JiraServerCredentials;
  admin: JiraAdmin;
  close(): Promise<void>;
}

export async function startJiraServerSimulator(options: JiraServerSimulatorOptions = {}): Promise<JiraServerSimulator> {
  const contextPath = (options.contextPath ?? '').replace(/\/+$/, '');
  if (contextPath !== '' && !contextPath.startsWith('/')) throw new Error('contextPath must start with /');
  const store = createJiraStore({ now: options.now, searchLagMs: options.searchLagMs ?? 0, priorities: options.priorities, users: options.users });
  const state = { origin: '' };
  const faultsConfig = options.faults ?? {};
  const { app, faults, requests } = createBaseApp(faultsConfig, serverResponders(() => faults.config.rateLimit?.refillPerSecond ?? 0));
  const actors = new WeakMap<FastifyRequest, SeedUser>();
  const env: RouteEnv = {
    store,
    flavor: SERVER,
    textLimit: options.textLimit ?? 32767,
    indexedProperties: options.indexedProperties ?? 'all',
    actor(request) {
      const user = actors.get(request);
      if (!user) throw new Error('route ran without authentication');
      return user;
    },
    base: () => `${state.origin}${contextPath}`,
  };
  const basicEnabled = options.basicAuthEnabled ?? true;
  await app.register(
    async (instance: FastifyInstance) => {
      instance.addHook('preHandler', async (request, reply) => {
        const outcome = authenticateServer(store, request, basicEnabled);
        if (!outcome.ok) return outcome.send(reply);
        actors.set(request, outcome.user);
      });
      issueRoutes(instance, env);
      serverSearchRoutes(instance, env, options.maxResultsCap ?? 1000);
      workflowRoutes(instance, env);
      metaRoutes(instance, env);
    },
    { prefix: contextPath },
  );
  const webhooks = createWebhookDispatcher({ store, flavor: SERVER, siteUrl: () => `${state.origin}${contextPath}`, retryDelaysMs: options.webhookRetryDelaysMs });
  const admin = createAdmin({ store, requests, faults, webhooks, fieldContext: { store, flavor: SERVER, textLimit: env.textLimit } });
  adminRoutes(app, admin);

  state.origin = await listen(app);
  const bot = store.users[0] as SeedUser;
  return {
    url: `${state.origin}${contextPath}`,
    credentials: { username: bot.name, password: bot.password, pat: bot.pat, bearerAuthHeader: `Bearer ${bot.pat}`, users: store.users },
    admin,
    async close() {
      webhooks.close();
      await app.close();
    },
  };
}
