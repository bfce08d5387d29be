/**
 * ServiceNow OAuth (authorization code) routes, seed 003's redirect path:
 * - `POST /api/v1/connections/servicenow/oauth/start`: instance URL, table, name and the instance's
 *   own OAuth app (client id and secret, from System OAuth → Application Registry) → the instance's
 *   `/oauth_auth.do` URL (scopes `ticket.read ticket.write`) to send the browser to;
 * - `GET /oauth/servicenow`: the callback (public: the one-use `state` says who started); stores the
 *   connection and answers HTML for browsers, JSON with `?format=json` or without an Accept header.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { identifier, safeLine, secret, webUrl } from '../../contracts/index.ts';
import { AppError } from '../../errors/app-error.ts';
import { errorCatalogue } from '../../errors/catalogue.ts';
import { servicenowOAuthProtocol } from '../../providers/servicenow/oauth.ts';
import { SERVICENOW_CALLBACK_PATH, ServiceNowOAuthService } from '../../services/servicenow-oauth.ts';
import { tenantOf } from '../plugins/auth.ts';
import { callbackQuery, escapeHtml, optionalCaller, page } from './oauth-pages.ts';
import { authErrors, errorResponse } from '../schemas.ts';

const secured = { security: [{ bearerAuth: [] }] };
const tags = ['oauth'];

const startBody = z.object({
  name: safeLine(200).describe('Shown in the connection list'),
  instance_url: webUrl(2048).describe('https://{instance}.service-now.com'),
  table: identifier(80).optional().describe('Where records go (default incident)'),
  client_id: identifier(500).describe("The instance's OAuth app (System OAuth → Application Registry): Client ID"),
  client_secret: secret(1000).describe('… and its Client Secret (stored encrypted)'),
  redirect_uri: webUrl(2048).optional().describe('The Redirect URL registered on that app (default: this service’s /oauth/servicenow)'),
  user_id: identifier(200).optional().describe("Connect this user's own ServiceNow (default: the organization's; another user needs the admin role)"),
});

export function servicenowOAuthRoutes(context: AppContext): FastifyPluginAsyncZod {
  const service = new ServiceNowOAuthService(context, servicenowOAuthProtocol);

  return async (app) => {
    app.post(
      '/api/v1/connections/servicenow/oauth/start',
      {
        schema: {
          tags,
          summary: "Start connecting a ServiceNow instance over OAuth: the instance's authorization URL (authorization code, scopes ticket.read ticket.write)",
          ...secured,
          body: startBody,
          response: { 200: z.object({ authorization_url: z.string(), expires_at: z.string(), redirect_uri: z.string() }), 400: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        const principal = request.principal!;
        const privileged = principal.roles.some((role) => role === 'admin' || role === 'service');
        const redirectUri = request.body.redirect_uri ?? `${context.config.webhooks.publicBaseUrl ?? `${request.protocol}://${request.host}`}${SERVICENOW_CALLBACK_PATH}`;
        const started = await service.begin(
          { orgId: tenant.orgId, subject: principal.subject, privileged },
          {
            name: request.body.name,
            instance_url: request.body.instance_url,
            table: request.body.table,
            client_id: request.body.client_id,
            client_secret: request.body.client_secret,
            redirect_uri: redirectUri,
            owner_subject: request.body.user_id ?? null,
          },
        );
        return { authorization_url: started.authorizationUrl, expires_at: started.expiresAt, redirect_uri: redirectUri };
      },
    );

    app.get(
      SERVICENOW_CALLBACK_PATH,
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Seed 003: ServiceNow OAuth callback at /oauth/servicenow',
          description: 'Where the instance sends the browser back. HTML for browsers (Accept text/html or */*), JSON with `?format=json` or without an Accept header. Public: the one-use `state` identifies the flow.',
          querystring: callbackQuery,
          response: {
            200: z.object({ connected: z.literal(true), connection: z.object({ id: z.string(), name: z.string(), provider: z.string(), site_url: z.string().nullable(), auth_kind: z.string(), status: z.string() }) }).or(z.string()),
            400: errorResponse,
            401: errorResponse,
            409: errorResponse,
            502: errorResponse,
            503: errorResponse,
          },
        },
      },
      async (request, reply) => {
        const accept = String(request.headers.accept ?? '');
        const json = request.query.format === 'json' || (request.query.format !== 'html' && !/text\/html|\*\/\*/.test(accept));
        try {
          const caller = await optionalCaller(context, request);
          const view = await service.complete(request.query as Record<string, string | undefined>, caller);
          if (json) return reply.send({ connected: true as const, connection: { id: view.id, name: view.name, provider: view.provider, site_url: view.site_url, auth_kind: view.auth_kind, status: view.status } });
          return reply
            .type('text/html; charset=utf-8')
            .send(page('ServiceNow connected', `<p>${escapeHtml(view.name)} is connected over OAuth. You can close this window.</p>`));
        } catch (error) {
          if (json || !(error instanceof AppError)) throw error;
          const message = error.status >= 500 ? errorCatalogue[error.code].description : error.message;
          request.log.info({ code: error.code }, 'ServiceNow OAuth callback refused');
          return reply
            .code(error.status as 400)
            .type('text/html; charset=utf-8')
            .send(page('ServiceNow could not be connected', `<p>${escapeHtml(message)}</p><p><small>Error code: ${escapeHtml(error.code)}</small></p>`));
        }
      },
    );
  };
}
