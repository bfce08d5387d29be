/**
 * GitHub Enterprise Server simulator: git smart HTTP at `/{owner}/{repo}.git`, REST at `/api/v3`,
 * GraphQL at `/api/graphql`, admin at `/_admin`. Starts in-process on 127.0.0.1 with a random port.
 * See docs/simulators-github.md for what it enforces and what it knowingly leaves out.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import Fastify, { type FastifyInstance } from 'fastify';
import { createFaultInjector, type FaultConfig } from '../common/faults.ts';
import { installFaults } from '../common/fastify-faults.ts';
import { installRequestLog } from '../common/request-log.ts';
import { createAdmin, type GitHubSimulatorAdmin, OTHER_USER } from './admin.ts';
import { type AppOptions, type AppRecord, createApp } from './app-auth.ts';
import { installApiScope } from './api-support.ts';
import { createBackgroundTracker, createRepoLocks, type SimContext } from './context.ts';
import { GitHubError, sendError } from './errors.ts';
import { registerGitBackend } from './git-backend.ts';
import { registerGraphql } from './graphql.ts';
import { createRateLimiter, type RateLimitConfig, rateLimitHeaders } from './rate-limits.ts';
import { createRepository, type RepositorySpec } from './repositories.ts';
import { registerAdminRoutes } from './routes-admin.ts';
import { registerGitDataRoutes } from './routes-git-data.ts';
import { registerIssueRoutes } from './routes-issues.ts';
import { registerPullRoutes } from './routes-pulls.ts';
import { registerAppRoutes } from './routes-apps.ts';
import { registerRepoRoutes } from './routes-repos.ts';
import { seedRepositories } from './seed-repos.ts';
import { createState, generatePat, requestId, type SimUser } from './state.ts';
import { createWebhookDispatcher, type WebhookTarget } from './webhooks.ts';

export interface TokenOption {
  token: string;
  login: string;
  /** Default true. false = reads work, pushes/PRs/comments are refused with 403. */
  write?: boolean;
  name?: string;
  email?: string;
}

export interface GitHubSimulatorOptions {
  /** Default 0 (random). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Write token of the main user (`sim-bot`). Default: a fresh `ghp_…` token. */
  token?: string;
  /** Read-only token (`sim-reader`). Default: a fresh `ghp_…` token. */
  readOnlyToken?: string;
  /** More tokens/users. */
  tokens?: TokenOption[];
  /** Where bare repositories live. Default: a temp dir, removed on close (a given dir is kept). */
  reposDir?: string;
  /** Create the acme/* seed repositories. Default true. */
  seedRepos?: boolean;
  /** Extra repositories to create at start. */
  repositories?: RepositorySpec[];
  faults?: Partial<FaultConfig>;
  rateLimits?: Partial<RateLimitConfig>;
  webhooks?: WebhookTarget[];
  /** Record requests in the common request log. Default true. */
  recordRequests?: boolean;
  logger?: boolean;
  /** The GitHub App (key pair generated at start, installed on `acme`); false = none. */
  app?: AppOptions | false;
  /** Time for installation-token expiry and JWT checks. Default: wall time plus `advanceClock` jumps. */
  now?: () => number;
}

export interface GitHubAppInfo {
  id: number;
  slug: string;
  clientId: string;
  /** PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), as GitHub's downloaded private key. */
  privateKeyPem: string;
  /** The same key as PKCS#8 PEM. */
  privateKeyPkcs8Pem: string;
  /** The first installation's id (on `acme`, every repository). */
  installationId: number;
  installations: number[];
  /** Suspend or unsuspend an installation (token requests then get 403). */
  setSuspended(installationId: number, suspended: boolean): void;
}

export interface GitHubSimulator {
  /** http://127.0.0.1:port — git remotes are `${url}/${owner}/${repo}.git`. */
  url: string;
  /** `${url}/api/v3` (Octokit baseUrl). */
  apiUrl: string;
  /** `${url}/api/graphql`. */
  graphqlUrl: string;
  /** PAT of `sim-bot`, allowed to push, open and merge PRs. */
  token: string;
  /** PAT of `sim-reader`: reads only. */
  readOnlyToken: string;
  /** Login of the token's user. */
  login: string;
  /** Full names of the repositories created at start. */
  repos: string[];
  reposDir: string;
  admin: GitHubSimulatorAdmin;
  /** The Fastify instance, for `inject` in tests. */
  app: FastifyInstance;
  /** The GitHub App's credentials (null when started with `app: false`). */
  githubApp: GitHubAppInfo | null;
  /** Jump the credential clock (installation tokens expire after one hour, JWTs after ten minutes). */
  advanceClock(ms: number): void;
  close(): Promise<void>;
}

export const MAIN_USER: Omit<SimUser, 'id'> = { login: 'sim-bot', name: 'Simulator Bot', email: 'sim-bot@acme.example' };

export async function startGitHubSimulator(options: GitHubSimulatorOptions = {}): Promise<GitHubSimulator> {
  const ownsDir = options.reposDir === undefined;
  const reposDir = options.reposDir ?? (await mkdtemp(`${tmpdir()}/github-sim-`));
  let clockOffset = 0;
  const baseNow = options.now ?? Date.now;
  const state = createState({ now: () => baseNow() + clockOffset });
  const githubApp: AppRecord | null = options.app === false ? null : createApp(options.app ?? {});
  if (githubApp) state.users.set(githubApp.bot.login, githubApp.bot);
  const addToken = (token: string, user: SimUser, write: boolean) => {
    state.users.set(user.login, user);
    state.tokens.set(token, { token, user, write });
  };
  const token = options.token ?? generatePat();
  const readOnlyToken = options.readOnlyToken ?? generatePat();
  addToken(token, { ...MAIN_USER, id: 58_000_000 }, true);
  addToken(readOnlyToken, { login: 'sim-reader', name: 'Read Only', email: 'sim-reader@acme.example', id: 58_000_002 }, false);
  state.users.set(OTHER_USER.login, OTHER_USER);
  for (const [index, t] of (options.tokens ?? []).entries()) {
    addToken(t.token, { login: t.login, id: 58_100_000 + index, name: t.name ?? t.login, email: t.email ?? `${t.login}@acme.example` }, t.write ?? true);
  }

  const app = Fastify({ logger: options.logger ?? false, genReqId: () => requestId(), bodyLimit: 50 * 1024 * 1024 });
  const urls = { web: '', api: '' };
  const faults = createFaultInjector(options.faults ?? {});
  const limits = createRateLimiter(options.rateLimits ?? {});
  const tracker = createBackgroundTracker((error) => app.log.error(error));
  const ctx: SimContext = {
    state,
    app: githubApp,
    urls,
    reposDir,
    webhooks: createWebhookDispatcher({ host: () => new URL(urls.web).host }),
    limits,
    faults,
    requestLog: null,
    ...tracker,
    withRepoLock: createRepoLocks(),
  };

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-github-request-id', String(request.id));
    reply.header('server', 'GitHub.com');
  });
  installFaults(app, faults, {
    rateLimited(reply, decision, request) {
      // The shared token bucket answers like GitHub's primary limit: remaining 0 and a reset time.
      const headers = rateLimitHeaders({ limit: decision.limit, used: decision.limit, remaining: 0, reset: decision.resetAtEpochSeconds, resource: request.url.startsWith('/api/graphql') ? 'graphql' : 'core' });
      for (const [name, value] of Object.entries(headers)) reply.header(name, value);
      if (!request.url.startsWith('/api/')) {
        reply.code(429).type('text/plain').send('Too many requests\n');
        return;
      }
      sendError(reply, new GitHubError(limits.config.primaryStatus, `API rate limit exceeded for user ID 58000000. If you reach out to GitHub Support for help, please include the request ID ${request.id}.`, 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api'));
    },
    serverError(reply, status, request) {
      if (!request.url.startsWith('/api/')) {
        reply.code(status).type('text/plain').send('Internal Server Error\n');
        return;
      }
      if (status === 502) {
        reply.code(502).type('text/html').send('<html><body><h1>502 Bad Gateway</h1></body></html>\n');
        return;
      }
      const message = status === 503 ? 'Service Unavailable' : status === 504 ? 'We couldn\'t respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.' : 'Server Error';
      sendError(reply, new GitHubError(status, message));
    },
  });
  if (options.recordRequests !== false) ctx.requestLog = installRequestLog(app);

  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/')) return sendError(reply, new GitHubError(404, 'Not Found', 'https://docs.github.com/rest'));
    return reply.code(404).type('text/plain').send('Not Found\n');
  });

  registerGitBackend(app, ctx);
  app.register(
    async (api) => {
      installApiScope(api, ctx, 'core');
      registerAppRoutes(api, ctx);
      registerRepoRoutes(api, ctx);
      registerGitDataRoutes(api, ctx);
      registerPullRoutes(api, ctx);
      registerIssueRoutes(api, ctx);
    },
    { prefix: '/api/v3' },
  );
  app.register(async (scope) => {
    installApiScope(scope, ctx, 'graphql');
    registerGraphql(scope, ctx);
  });
  const admin = createAdmin(ctx);
  registerAdminRoutes(app, admin);

  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  urls.web = address.replace('localhost', '127.0.0.1');
  urls.api = `${urls.web}/api/v3`;

  const created: string[] = [];
  try {
    const specs = [...(options.seedRepos === false ? [] : seedRepositories()), ...(options.repositories ?? [])];
    for (const spec of specs) created.push((await createRepository(ctx, spec)).fullName);
    for (const target of options.webhooks ?? []) ctx.webhooks.add(target);
  } catch (error) {
    await app.close();
    if (ownsDir) await rm(reposDir, { recursive: true, force: true });
    throw error;
  }

  return {
    url: urls.web,
    apiUrl: urls.api,
    graphqlUrl: `${urls.web}/api/graphql`,
    token,
    readOnlyToken,
    login: MAIN_USER.login,
    repos: created,
    reposDir,
    admin,
    app,
    githubApp: githubApp && {
      id: githubApp.id,
      slug: githubApp.slug,
      clientId: githubApp.clientId,
      privateKeyPem: githubApp.privateKeyPem,
      privateKeyPkcs8Pem: githubApp.privateKeyPkcs8Pem,
      installationId: githubApp.installations[0]?.id ?? 0,
      installations: githubApp.installations.map((i) => i.id),
      setSuspended(installationId, suspended) {
        const installation = githubApp.installations.find((i) => i.id === installationId);
        if (!installation) throw new Error(`unknown installation ${installationId}`);
        installation.suspended = suspended;
      },
    },
    advanceClock(ms) {
      clockOffset += ms;
    },
    async close() {
      ctx.webhooks.close();
      await admin.settle().catch(() => undefined);
      await app.close();
      if (ownsDir) await rm(reposDir, { recursive: true, force: true });
    },
  };
}

export { buildLargeRepository, type LargeRepositoryOptions } from './large-repo.ts';
export type { GitHubSimulatorAdmin } from './admin.ts';
export type { AppOptions } from './app-auth.ts';
export { JWT_MESSAGES } from './app-auth.ts';
export type { RepositorySpec, CommitSpec } from './repositories.ts';
export type { WebhookTarget, DeliveryRecord } from './webhooks.ts';
export { signBody } from './webhooks.ts';
