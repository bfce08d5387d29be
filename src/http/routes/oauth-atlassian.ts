/**
 * Atlassian OAuth 2.0 (3LO) routes at the seeds' own paths and in /api/v1:
 * - seed 002: `GET /api/jira/connect?user_id=` → `{"authorization_url"}`, `GET /api/jira/callback`,
 *   `GET /api/jira/status?user_id=`, `DELETE /api/jira/disconnect`;
 * - seed 004: `GET /api/v1/auth/atlassian/login` (302), `GET /api/v1/auth/atlassian/callback` (HTML,
 *   or JSON with `?format=json`), `GET /api/v1/auth/status`, `GET /api/v1/integrations/jira/ping`,
 *   `GET /api/v1/integrations/confluence/ping`;
 * - seed 003: `GET /oauth/jira`, the same callback;
 * - /api/v1 forms: `GET /api/v1/auth/atlassian/authorization-url`, `DELETE /api/v1/auth/atlassian`,
 *   and the organization's own OAuth app: `GET|PUT|DELETE /api/v1/oauth/clients/atlassian` (admins).
 * Callbacks are public (the browser comes back from Atlassian without our token): the one-use `state`
 * says who started the flow. A callback that does come with a token must be that same user's.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { identifier, secret, webUrl } from '../../contracts/index.ts';
import { oauthConnection, oauthStatusBody as statusBody } from '../../contracts/views.ts';
import { AppError } from '../../errors/app-error.ts';
import { errorCatalogue } from '../../errors/catalogue.ts';
import { AtlassianOAuthService, type Caller, type OAuthConnectionView } from '../../services/atlassian-oauth.ts';
import { tenantOf } from '../plugins/auth.ts';
import { callbackQuery, escapeHtml, optionalCaller, page } from './oauth-pages.ts';
import { authErrors, errorResponse } from '../schemas.ts';

const secured = { security: [{ bearerAuth: [] }] };
const tags = ['oauth'];

const ownerQuery = z.object({
  user_id: identifier(200).optional().describe('Whose Jira to connect (default: the caller; another user needs the admin role)'),
  owner: z.enum(['user', 'organization']).optional().describe("organization: the organization's connection (admins)"),
});

const connectionsBody = z.object({
  connected: z.literal(true),
  owner: z.enum(['user', 'organization']),
  user_id: z.string().nullable(),
  connections: z.array(oauthConnection),
});

function callerOf(request: FastifyRequest): Caller {
  const tenant = tenantOf(request);
  const principal = request.principal!;
  return { orgId: tenant.orgId, subject: principal.subject, privileged: principal.roles.some((role) => role === 'admin' || role === 'service') };
}

function ownerFrom(caller: Caller, query: { user_id?: string; owner?: 'user' | 'organization' }): { kind: 'user'; subject: string } | { kind: 'organization' } {
  if (query.owner === 'organization') return { kind: 'organization' };
  return { kind: 'user', subject: query.user_id ?? caller.subject };
}

function statusFrom(views: OAuthConnectionView[]): z.infer<typeof statusBody> {
  const live = views.filter((view) => view.status !== 'disconnected');
  const first = live.find((view) => view.status === 'active') ?? live[0] ?? null;
  const needsReauth = live.some((view) => view.status === 'reauth_required');
  return {
    connected: first?.status === 'active',
    site_url: first?.site_url ?? null,
    site_name: first?.site_name ?? null,
    expires_at: first?.expires_at ?? null,
    status: first ? first.status : 'not_connected',
    action: !first
      ? 'Connect Jira: GET /api/jira/connect (or /api/v1/auth/atlassian/login) and open the authorization URL'
      : needsReauth
        ? 'Atlassian refused the stored refresh token: connect again (GET /api/jira/connect or /api/v1/auth/atlassian/login)'
        : null,
    owner: first?.owner ?? null,
    user_id: first?.user_id ?? null,
    account_id: first?.account_id ?? null,
    scopes: first?.scopes ?? [],
    connections: live,
  };
}

/**
 * The gateway's answer turned into a clear error, or null when it is a success. Expired tokens never
 * get here (refreshed first, or OAUTH_REAUTH_REQUIRED); a missing scope says which one to add.
 */
function gatewayError(product: 'Jira' | 'Confluence', status: number, body: string, neededScope: string): AppError | null {
  if (status >= 200 && status < 300) return null;
  if (status === 401 && /scope does not match/i.test(body)) {
    return new AppError('OAUTH_SCOPE_MISMATCH', `${product} refused the token: scope does not match. The connection needs the scope ${neededScope}: add it to ATLASSIAN_SCOPES and connect again`, {
      field: neededScope,
    });
  }
  return new AppError('UPSTREAM_FAILED', `${product} answered HTTP ${status} through the Atlassian gateway`);
}

export function atlassianOAuthRoutes(context: AppContext): FastifyPluginAsyncZod {
  const service = new AtlassianOAuthService(context);

  async function callback(request: FastifyRequest<{ Querystring: z.infer<typeof callbackQuery> }>, reply: FastifyReply) {
    // HTML for browsers (and anyone accepting text/html or */*, as curl does); JSON with ?format=json,
    // and for API clients that send no Accept header at all.
    const accept = String(request.headers.accept ?? '');
    const json = request.query.format === 'json' || (request.query.format !== 'html' && !/text\/html|\*\/\*/.test(accept));
    try {
      const caller = await optionalCaller(context, request);
      const outcome = await service.complete(request.query as Record<string, string | undefined>, caller);
      const body = { connected: true as const, owner: outcome.owner, user_id: outcome.userId, connections: outcome.connections };
      if (json) return reply.send(body);
      const sites = outcome.connections.map((view) => `<li>${escapeHtml(view.site_name ?? view.cloud_id)} — ${escapeHtml(view.site_url ?? '')}</li>`).join('');
      return reply
        .type('text/html; charset=utf-8')
        .send(page('Jira connected', `<p>Your Atlassian account is connected${outcome.owner === 'organization' ? ' for the organization' : ''}. Sites:</p><ul>${sites}</ul><p>You can close this window.</p>`));
    } catch (error) {
      if (json || !(error instanceof AppError)) throw error;
      const code = error.code;
      // As in the JSON answers: a 5xx says what its code means, never the internal message.
      const message = error.status >= 500 ? errorCatalogue[code].description : error.message;
      const title = error.code === 'OAUTH_CONSENT_DECLINED' ? 'Jira was not connected' : 'Jira could not be connected';
      request.log.info({ code }, 'OAuth callback refused');
      return reply
        .code(error.status)
        .type('text/html; charset=utf-8')
        .send(page(title, `<p>${escapeHtml(message)}</p><p><small>Error code: ${escapeHtml(code)}</small></p>`));
    }
  }

  const callbackSchema = (summary: string) => ({
    config: { public: true },
    schema: {
      tags,
      summary,
      description: 'Where Atlassian sends the browser back. HTML for browsers (Accept text/html or */*), JSON with `?format=json` or without an Accept header. Public: the one-use `state` identifies the flow.',
      querystring: callbackQuery,
      response: { 200: connectionsBody.or(z.string()), 400: errorResponse, 401: errorResponse, 409: errorResponse, 502: errorResponse, 503: errorResponse },
    },
  });

  async function status(request: FastifyRequest<{ Querystring: z.infer<typeof ownerQuery> }>) {
    const caller = callerOf(request);
    const owner = ownerFrom(caller, request.query);
    if (owner.kind === 'user' && owner.subject !== caller.subject && !caller.privileged) {
      throw new AppError('FORBIDDEN', "user_id must be your own subject: only admins may see another user's connection", { field: 'user_id' });
    }
    if (owner.kind === 'organization') return statusFrom(await service.list(caller.orgId, { kind: 'organization' }));
    const own = await service.list(caller.orgId, { kind: 'subject', subject: owner.subject });
    if (own.some((view) => view.status !== 'disconnected')) return statusFrom(own);
    // Without a connection of their own, the user's tickets go through the organization's.
    return statusFrom(await service.list(caller.orgId, { kind: 'organization' }));
  }

  async function disconnect(request: FastifyRequest<{ Querystring: z.infer<typeof ownerQuery> & { connection_id?: string } }>) {
    const caller = callerOf(request);
    const owner = ownerFrom(caller, request.query);
    if (owner.kind === 'organization' && !caller.privileged) throw new AppError('FORBIDDEN', "only admins may disconnect the organization's Atlassian connection");
    if (owner.kind === 'user' && owner.subject !== caller.subject && !caller.privileged) {
      throw new AppError('FORBIDDEN', "you may disconnect your own connection; only admins may disconnect another user's", { field: 'user_id' });
    }
    const views = await service.list(caller.orgId, owner.kind === 'organization' ? owner : { kind: 'subject', subject: owner.subject });
    const chosen = request.query.connection_id ? views.filter((view) => view.id === request.query.connection_id) : views;
    if (request.query.connection_id && chosen.length === 0) throw new AppError('NOT_FOUND', 'no such OAuth connection', { field: 'connection_id' });
    const disconnected = await service.disconnect(caller.orgId, chosen);
    return { disconnected };
  }

  /** The caller's connection for a ping: their own, else the organization's. */
  async function pingConnection(caller: Caller): Promise<OAuthConnectionView> {
    const own = (await service.list(caller.orgId, { kind: 'subject', subject: caller.subject })).filter((view) => view.status !== 'disconnected');
    const shared = (await service.list(caller.orgId, { kind: 'organization' })).filter((view) => view.status !== 'disconnected');
    const chosen = own.find((view) => view.status === 'active') ?? own[0] ?? shared.find((view) => view.status === 'active') ?? shared[0];
    if (!chosen) throw new AppError('NOT_CONNECTED', 'no Atlassian OAuth connection: connect Jira first (GET /api/jira/connect or /api/v1/auth/atlassian/login)');
    return chosen;
  }

  const pingBody = z.object({
    ok: z.literal(true),
    product: z.enum(['jira', 'confluence']),
    connection_id: z.string(),
    site_url: z.string().nullable(),
    account: z.object({ account_id: z.string().nullable(), display_name: z.string().nullable() }).nullable(),
    spaces: z.array(z.object({ id: z.string(), key: z.string().nullable(), name: z.string().nullable() })).optional(),
  });
  const pingErrors = { 404: errorResponse, 409: errorResponse, 502: errorResponse, 503: errorResponse, ...authErrors };

  return async (app) => {
    app.get(
      '/api/jira/connect',
      {
        schema: {
          tags,
          summary: 'Seed 002: the Atlassian authorization URL for connecting Jira over OAuth 2.0',
          ...secured,
          querystring: ownerQuery,
          response: { 200: z.object({ authorization_url: z.string(), expires_at: z.string() }), 409: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        const started = await service.begin(caller, ownerFrom(caller, request.query));
        return { authorization_url: started.authorizationUrl, expires_at: started.expiresAt };
      },
    );
    app.get(
      '/api/v1/auth/atlassian/authorization-url',
      {
        schema: {
          tags,
          summary: 'The Atlassian authorization URL (JSON form of the login redirect)',
          ...secured,
          querystring: ownerQuery,
          response: { 200: z.object({ authorization_url: z.string(), expires_at: z.string() }), 409: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        const started = await service.begin(caller, ownerFrom(caller, request.query));
        return { authorization_url: started.authorizationUrl, expires_at: started.expiresAt };
      },
    );
    app.get(
      '/api/v1/auth/atlassian/login',
      {
        schema: {
          tags,
          summary: "Seed 004: redirects (302) to Atlassian's consent screen",
          ...secured,
          querystring: ownerQuery,
          response: { 302: z.null().describe('Location: the authorization URL'), 409: errorResponse, ...authErrors },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const started = await service.begin(caller, ownerFrom(caller, request.query));
        return reply.redirect(started.authorizationUrl, 302);
      },
    );

    app.get('/api/jira/callback', callbackSchema('Seed 002: OAuth callback'), callback);
    app.get('/api/v1/auth/atlassian/callback', callbackSchema('Seed 004: OAuth callback (HTML, or JSON with ?format=json)'), callback);
    app.get('/oauth/jira', callbackSchema('Seed 003: OAuth callback at /oauth/jira'), callback);

    const statusSchema = (summary: string) => ({
      schema: { tags, summary, ...secured, querystring: ownerQuery, response: { 200: statusBody, ...authErrors } },
    });
    app.get('/api/jira/status', statusSchema('Seed 002: whether the user (or, failing that, the organization) has Jira connected over OAuth'), status);
    app.get('/api/v1/auth/status', statusSchema('Seed 004: Atlassian connection status of the caller (or user_id, admins)'), status);

    const disconnectSchema = (summary: string) => ({
      schema: {
        tags,
        summary,
        ...secured,
        querystring: ownerQuery.extend({ connection_id: z.uuid().optional().describe('One site only (default: every site of the owner)') }),
        response: { 200: z.object({ disconnected: z.number().int() }), 404: errorResponse, ...authErrors },
      },
    });
    app.delete('/api/jira/disconnect', disconnectSchema('Seed 002: disconnect (erases the tokens; tickets keep their history)'), disconnect);
    app.delete('/api/v1/auth/atlassian', disconnectSchema('Disconnect Atlassian OAuth connections (own; admins: anyone’s or the organization’s)'), disconnect);

    app.get(
      '/api/v1/integrations/jira/ping',
      { schema: { tags, summary: "Seed 004: a real Jira call (/myself) through the caller's OAuth connection", ...secured, response: { 200: pingBody, ...pingErrors } } },
      async (request) => {
        const caller = callerOf(request);
        const connection = await pingConnection(caller);
        const response = await service.gatewayGet(caller.orgId, connection.id, 'jira', '/rest/api/3/myself');
        const failure = gatewayError('Jira', response.status, response.body, 'read:jira-user');
        if (failure) throw failure;
        const me = response.json<{ accountId?: string; displayName?: string }>();
        return {
          ok: true as const,
          product: 'jira' as const,
          connection_id: connection.id,
          site_url: connection.site_url,
          account: { account_id: me.accountId ?? null, display_name: me.displayName ?? null },
        };
      },
    );
    app.get(
      '/api/v1/integrations/confluence/ping',
      { schema: { tags, summary: "Seed 004: a real Confluence call (spaces) through the caller's OAuth connection", ...secured, response: { 200: pingBody, ...pingErrors } } },
      async (request) => {
        const caller = callerOf(request);
        const connection = await pingConnection(caller);
        const response = await service.gatewayGet(caller.orgId, connection.id, 'confluence', '/wiki/api/v2/spaces?limit=5');
        const failure = gatewayError('Confluence', response.status, response.body, 'read:space:confluence');
        if (failure) throw failure;
        const listed = response.json<{ results?: { id?: unknown; key?: unknown; name?: unknown }[] }>().results ?? [];
        return {
          ok: true as const,
          product: 'confluence' as const,
          connection_id: connection.id,
          site_url: connection.site_url,
          account: null,
          spaces: listed.map((space) => ({ id: String(space.id ?? ''), key: typeof space.key === 'string' ? space.key : null, name: typeof space.name === 'string' ? space.name : null })),
        };
      },
    );

    const clientView = z.object({
      configured: z.boolean(),
      source: z.enum(['environment', 'organization']).nullable().describe('environment wins over the stored app'),
      client_id: z.string().nullable(),
      redirect_uri: z.string().nullable(),
    });
    app.get(
      '/api/v1/oauth/clients/atlassian',
      { config: { roles: ['admin'] }, schema: { tags, summary: 'The Atlassian OAuth app in use (never its secret)', ...secured, response: { 200: clientView, ...authErrors } } },
      async (request) => service.clientView(tenantOf(request).orgId),
    );
    app.put(
      '/api/v1/oauth/clients/atlassian',
      {
        config: { roles: ['admin'] },
        schema: {
          tags,
          summary: "Store the organization's Atlassian OAuth app (secret encrypted; the environment's app wins when set)",
          ...secured,
          body: z.object({ client_id: identifier(500), client_secret: secret(1000), redirect_uri: webUrl(2048) }),
          response: { 200: clientView, 400: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const orgId = tenantOf(request).orgId;
        await service.storeClient(orgId, request.body);
        return service.clientView(orgId);
      },
    );
    app.delete(
      '/api/v1/oauth/clients/atlassian',
      { config: { roles: ['admin'] }, schema: { tags, summary: "Remove the organization's stored Atlassian OAuth app", ...secured, response: { 200: z.object({ removed: z.boolean() }), ...authErrors } } },
      async (request) => ({ removed: await service.removeClient(tenantOf(request).orgId) }),
    );
  };
}

