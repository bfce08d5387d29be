/**
 * GitHub App endpoints: `GET /app`, `GET /app/installations[/{id}]`,
 * `POST /app/installations/{id}/access_tokens` and `GET /repos/{owner}/{repo}/installation` (app JWT
 * only), and `GET /installation/repositories` (installation token). Shapes follow the REST description
 * (L-GHSPEC): the token answer is 201 `{token, expires_at, permissions, repository_selection}` plus
 * `repositories` only when the request named repositories.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { APP_JWT_ROUTE, callerOf, paginate } from './api-support.ts';
import { type AppRecord, type InstallationRecord, installationRepos, mintInstallationToken } from './app-auth.ts';
import type { SimContext } from './context.ts';
import { bodyObject, GitHubError, notFound, requiresAuthentication, validationFailed } from './errors.ts';
import { repoJson, userJson } from './render.ts';
import { findRepo, nodeId, type SimState } from './state.ts';

const DOC = {
  app: 'https://docs.github.com/rest/apps/apps#get-the-authenticated-app',
  token: 'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app',
  repoInstallation: 'https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app',
  installationRepos: 'https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation',
};

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function appOf(request: FastifyRequest): AppRecord {
  const app = callerOf(request).app;
  if (!app) throw new GitHubError(401, 'A JSON web token could not be decoded', 'https://docs.github.com/rest');
  return app;
}

function accountJson(ctx: SimContext, login: string): Record<string, unknown> {
  const user = ctx.state.users.get(login) ?? { login, id: 9_000_000 + login.length, name: login, email: `${login}@acme.example` };
  return { ...userJson(ctx.urls, user), type: 'Organization' };
}

function installationJson(ctx: SimContext, app: AppRecord, installation: InstallationRecord): Record<string, unknown> {
  return {
    id: installation.id,
    account: accountJson(ctx, installation.account),
    repository_selection: installation.repositorySelection,
    access_tokens_url: `${ctx.urls.api}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${ctx.urls.api}/installation/repositories`,
    html_url: `${ctx.urls.web}/organizations/${installation.account}/settings/installations/${installation.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: 9_000_000 + installation.account.length,
    target_type: installation.accountType,
    permissions: installation.permissions,
    events: app.events,
    created_at: installation.createdAt,
    updated_at: installation.createdAt,
    single_file_name: null,
    suspended_at: installation.suspended ? installation.createdAt : null,
  };
}

function installationOrThrow(app: AppRecord, raw: string): InstallationRecord {
  const installation = app.installations.find((i) => String(i.id) === raw);
  if (!installation) throw notFound();
  return installation;
}

/** Repositories named in a token request (names within the account, or ids), as lower-case full names. */
function requestedRepos(state: SimState, installation: InstallationRecord, body: Record<string, unknown>): string[] | null {
  const names = body.repositories;
  const ids = body.repository_ids;
  if (names === undefined && ids === undefined) return null;
  const wanted: string[] = [];
  if (Array.isArray(names)) for (const name of names) wanted.push(`${installation.account}/${String(name)}`.toLowerCase());
  if (Array.isArray(ids)) {
    for (const id of ids) {
      const repo = [...state.repos.values()].find((r) => r.id === Number(id));
      wanted.push(repo ? repo.fullName.toLowerCase() : `#${String(id)}`);
    }
  }
  return wanted;
}

export function registerAppRoutes(api: FastifyInstance, ctx: SimContext): void {
  api.get('/app', APP_JWT_ROUTE, async (request) => {
    const app = appOf(request);
    return {
      id: app.id,
      slug: app.slug,
      node_id: nodeId('03:Integration', app.id),
      client_id: app.clientId,
      owner: accountJson(ctx, app.owner),
      name: app.name,
      description: 'Opens fix pull requests for security findings.',
      external_url: 'https://integration-service.example',
      html_url: `${ctx.urls.web}/apps/${app.slug}`,
      created_at: app.createdAt,
      updated_at: app.createdAt,
      permissions: app.permissions,
      events: app.events,
      installations_count: app.installations.length,
    };
  });

  api.get('/app/installations', APP_JWT_ROUTE, async (request, reply) => {
    const app = appOf(request);
    return paginate(ctx, request, reply, app.installations.map((i) => installationJson(ctx, app, i)));
  });

  api.get('/app/installations/:installation_id', APP_JWT_ROUTE, async (request) => {
    const app = appOf(request);
    return installationJson(ctx, app, installationOrThrow(app, (request.params as { installation_id: string }).installation_id));
  });

  api.post('/app/installations/:installation_id/access_tokens', APP_JWT_ROUTE, async (request, reply) => {
    const app = appOf(request);
    const installation = installationOrThrow(app, (request.params as { installation_id: string }).installation_id);
    if (installation.suspended) throw new GitHubError(403, 'This installation has been suspended', DOC.token);
    const body = bodyObject(request.body, DOC.token);
    const reachable = installationRepos(ctx.state, installation);
    const wanted = requestedRepos(ctx.state, installation, body);
    if (wanted && wanted.some((name) => !reachable.includes(name))) {
      throw new GitHubError(422, 'There is at least one repository that does not exist or is not accessible to the parent installation.', DOC.token);
    }
    let permissions = installation.permissions;
    if (body.permissions !== undefined) {
      const asked = bodyObject(body.permissions, DOC.token) as Record<string, unknown>;
      const rank = (level: unknown) => (level === 'admin' ? 3 : level === 'write' ? 2 : level === 'read' ? 1 : 0);
      for (const [name, level] of Object.entries(asked)) {
        if (rank(level) === 0) throw validationFailed(DOC.token, [{ resource: 'Permissions', field: name, code: 'invalid' }]);
        if (rank(level) > rank(installation.permissions[name])) throw new GitHubError(422, 'The permissions requested are not granted to this installation.', DOC.token);
      }
      permissions = Object.fromEntries(Object.entries(asked).map(([k, v]) => [k, String(v)]));
    }
    const grant = mintInstallationToken(ctx.state, app, installation, wanted ?? reachable, permissions);
    const answer: Record<string, unknown> = {
      token: grant.token,
      expires_at: iso(grant.installation?.expiresAt ?? 0),
      permissions,
      repository_selection: wanted ? 'selected' : installation.repositorySelection,
    };
    if (wanted) {
      answer.repositories = wanted.map((name) => {
        const [owner = '', repoName = ''] = name.split('/');
        const repo = findRepo(ctx.state, owner, repoName);
        return repo ? repoJson(ctx.urls, repo, null) : null;
      });
    }
    return reply.code(201).send(answer);
  });

  api.get('/repos/:owner/:repo/installation', APP_JWT_ROUTE, async (request) => {
    const app = appOf(request);
    const { owner, repo: name } = request.params as { owner: string; repo: string };
    const repo = findRepo(ctx.state, owner, name);
    const installation = repo && app.installations.find((i) => installationRepos(ctx.state, i).includes(repo.fullName.toLowerCase()));
    if (!installation) throw notFound();
    return installationJson(ctx, app, installation);
  });

  api.get('/installation/repositories', async (request, reply) => {
    const grant = callerOf(request).grant;
    if (!grant) throw requiresAuthentication(DOC.installationRepos);
    if (!grant.installation) throw new GitHubError(403, 'You must authenticate with an installation access token in order to list repositories for an installation.', DOC.installationRepos);
    const repos = [...grant.installation.repos].map((name) => ctx.state.repos.get(name)).filter((r) => r !== undefined);
    const installation = ctx.app?.installations.find((i) => i.id === grant.installation?.id);
    const items = paginate(ctx, request, reply, repos);
    return { total_count: repos.length, repository_selection: installation?.repositorySelection ?? 'selected', repositories: items.map((r) => repoJson(ctx.urls, r, null)) };
  });
}
