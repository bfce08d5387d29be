/**
 * Webhooks (issue 13, seed 003):
 *
 * - Ingest, public (authenticated by signature): `POST /api/integrations/jira/webhook` and
 *   `POST /api/integrations/servicenow/webhook` for the default organization (seed 003), and
 *   `POST /api/integrations/{provider}/webhook/{endpoint_id}` for any organization and provider.
 *   They live in one encapsulated plugin with the raw-body parser (exact bytes for the HMAC) and the
 *   WEBHOOK_MAX_BYTES limit (413 above it). They verify, record, enqueue and answer: 202 for a new
 *   delivery, 200 for a repeat, 401 for a missing or wrong signature.
 * - Management: `GET /api/v1/webhooks`, `GET /api/v1/webhooks/{id}/deliveries`,
 *   `POST /api/v1/webhooks/{id}/rotate-secret` (admin), `PATCH /api/v1/webhooks/{id}` (admin, ServiceNow
 *   signing settings), `GET /api/v1/integrations/summary`.
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEFAULT_ORG } from '../../auth/jwt-verifier.ts';
import type { AppContext } from '../../context.ts';
import { identifier, jsonProblem, jsonTextWithinLimits } from '../../contracts/index.ts';
import { webhookAck, webhookDeliveryView, webhookEndpointView } from '../../contracts/webhooks.ts';
import { decodeCursor, encodeCursor } from '../../db/cursor.ts';
import { AppError } from '../../errors/app-error.ts';
import { type EndpointRow, WebhookEndpoints } from '../../services/webhooks/endpoints.ts';
import { ingestDelivery } from '../../services/webhooks/ingest.ts';
import { signatureAlgorithms, signatureEncodings, type WebhookProvider, webhookProviders } from '../../services/webhooks/signatures.ts';
import { endpointView, integrationSummary, listDeliveries } from '../../services/webhooks/views.ts';
import { rawBody } from '../plugins/raw-body.ts';
import { tenantOf } from '../plugins/auth.ts';
import { authErrors, errorResponse, uuidParam } from '../schemas.ts';

const secured = { security: [{ bearerAuth: [] }] };

const ingestResponses = { 200: webhookAck, 202: webhookAck, 400: errorResponse, 401: errorResponse, 404: errorResponse, 413: errorResponse, 415: errorResponse };

const summaryEntry = z
  .object({
    provider: z.enum(['JIRA', 'SERVICENOW', 'GITHUB']),
    webhook: z.object({
      id: z.string(),
      url: z.string(),
      endpoint_url: z.string(),
      signature_header: z.string(),
      secret: z.string().optional().describe('Admins only'),
      last_delivery_at: z.string().nullable(),
    }),
    connection: z
      .object({ id: z.string(), provider: z.string(), name: z.string(), status: z.string(), last_error: z.string().nullable(), site_url: z.string().nullable() })
      .nullable(),
    mappings: z.record(z.string(), z.record(z.string(), z.string())),
  })
  .meta({ id: 'IntegrationSummaryEntry' });

/** Payloads are bounded before anything is stored: deep enough for any Jira, GitHub or ServiceNow body. */
const payloadLimits = { maxDepth: 64, maxNodes: 200_000, maxStringLength: 1_048_576, maxKeyLength: 1024 };

const isAdmin = (request: FastifyRequest) => request.principal?.roles.includes('admin') === true;

export function webhookRoutes(context: AppContext): FastifyPluginAsyncZod {
  const endpoints = new WebhookEndpoints(context.db.orm, context.keyRing);
  const baseUrl = (request: FastifyRequest) => context.config.webhooks.publicBaseUrl ?? `${request.protocol}://${request.host}`;

  const receive = async (request: FastifyRequest, provider: WebhookProvider, found: EndpointRow) => {
    const text = request.rawText ?? '';
    // The scan of the text settles almost every real delivery; the walk of the parsed value names
    // the problem of any other.
    const problem = jsonTextWithinLimits(text, payloadLimits) ? null : jsonProblem(request.body, payloadLimits);
    if (problem) {
      const field = ['body', ...problem.path].join('.');
      throw new AppError('VALIDATION_FAILED', `${field}: ${problem.message}`, { field });
    }
    return ingestDelivery(context, endpoints, { endpoint: found, provider, headers: request.headers, raw: request.rawBody ?? Buffer.alloc(0), json: request.jsonBytes ?? null, body: request.body });
  };

  return async (app) => {
    // Ingest: public, raw bytes kept, its own body limit.
    await app.register(async (plain) => {
      const scope = plain.withTypeProvider<ZodTypeProvider>();
      // GitHub sends either JSON or, with the hook's "form" content type, `payload=<url-encoded JSON>`.
      await scope.register(rawBody, { bodyLimit: context.config.webhooks.maxBytes, formJsonField: 'payload' });
      for (const provider of ['jira', 'servicenow'] as const) {
        scope.post(
          `/api/integrations/${provider}/webhook`,
          {
            config: { public: true, operation: false },
            schema: {
              tags: ['webhooks'],
              summary: `Receive a signed ${provider === 'jira' ? 'Jira' : 'ServiceNow'} webhook for the default organization (seed 003)`,
              description: 'The signature over the exact body bytes is the authentication; see docs/webhooks.md.',
              response: ingestResponses,
            },
          },
          async (request, reply) => {
            const orgId = await context.tenants.orgId(DEFAULT_ORG);
            const result = await receive(request, provider, await endpoints.forIngest(orgId, provider));
            return reply.status(result.status === 'accepted' ? 202 : 200).send(result);
          },
        );
      }
      scope.post(
        '/api/integrations/:provider/webhook/:endpointId',
        {
          config: { public: true, operation: false },
          schema: {
            tags: ['webhooks'],
            summary: 'Receive a signed webhook for one endpoint (any organization; Jira, ServiceNow or GitHub)',
            params: z.object({ provider: z.enum(webhookProviders), endpointId: z.uuid() }),
            response: ingestResponses,
          },
        },
        async (request, reply) => {
          const found = await endpoints.forIngestById(request.params.endpointId);
          if (!found || found.provider !== request.params.provider) throw new AppError('NOT_FOUND', 'no such webhook endpoint', { field: 'endpointId' });
          const result = await receive(request, request.params.provider, found);
          return reply.status(result.status === 'accepted' ? 202 : 200).send(result);
        },
      );
    });

    app.get(
      '/api/v1/webhooks',
      {
        schema: {
          tags: ['webhooks'],
          summary: "The organization's webhook endpoints (created on first sight); secrets for admins only",
          ...secured,
          response: { 200: z.object({ webhooks: z.array(webhookEndpointView) }), ...authErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        const rows = await endpoints.ensureAll(tenant.orgId);
        return { webhooks: rows.map((row) => endpointView(endpoints, row, { baseUrl: baseUrl(request), orgSlug: tenant.orgSlug, withSecret: isAdmin(request) })) };
      },
    );

    app.get(
      '/api/v1/webhooks/:id/deliveries',
      {
        schema: {
          tags: ['webhooks'],
          summary: "An endpoint's deliveries, newest first",
          ...secured,
          params: uuidParam,
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: identifier(200).optional().describe('next_cursor of the previous page'),
          }),
          response: { 200: z.object({ deliveries: z.array(webhookDeliveryView), next_cursor: z.string().nullable() }), 404: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const { orgId } = tenantOf(request);
        if (!(await endpoints.get(orgId, request.params.id))) throw new AppError('NOT_FOUND', 'no such webhook endpoint', { field: 'id' });
        const page = await listDeliveries(context.db.orm, orgId, request.params.id, {
          limit: request.query.limit,
          ...(request.query.cursor ? { cursor: decodeCursor(request.query.cursor) } : {}),
        });
        return { deliveries: page.deliveries, next_cursor: page.next ? encodeCursor(page.next) : null };
      },
    );

    app.post(
      '/api/v1/webhooks/:id/rotate-secret',
      {
        config: { roles: ['admin'] },
        schema: {
          tags: ['webhooks'],
          summary: 'A new secret; the previous one keeps verifying for the overlap window',
          ...secured,
          params: uuidParam,
          querystring: z.object({
            overlap_seconds: z.coerce.number().int().min(0).max(30 * 86_400).optional().describe('Default WEBHOOK_SECRET_OVERLAP_SECONDS (24 h)'),
          }),
          response: { 200: webhookEndpointView, 404: errorResponse, 409: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        const found = await endpoints.get(tenant.orgId, request.params.id);
        if (!found) throw new AppError('NOT_FOUND', 'no such webhook endpoint', { field: 'id' });
        const rotated = await endpoints.rotate(found, request.query.overlap_seconds ?? context.config.webhooks.secretOverlapSeconds);
        if (!rotated) throw new AppError('CONFLICT', 'the secret was rotated by another request meanwhile; read it again');
        return endpointView(endpoints, rotated.row, { baseUrl: baseUrl(request), orgSlug: tenant.orgSlug, withSecret: true });
      },
    );

    app.patch(
      '/api/v1/webhooks/:id',
      {
        config: { roles: ['admin'] },
        schema: {
          tags: ['webhooks'],
          summary: "How a ServiceNow endpoint's deliveries are signed: header name, HMAC algorithm, digest encoding",
          description: 'Jira and GitHub sign the way they do; only ServiceNow endpoints (a Business Rule we document) are configurable.',
          ...secured,
          params: uuidParam,
          body: z
            .object({
              signature_header: z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'an HTTP header name').optional(),
              algorithm: z.enum(signatureAlgorithms).optional(),
              encoding: z.enum(signatureEncodings).optional(),
            })
            .strict(),
          response: { 200: webhookEndpointView, 404: errorResponse, 409: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        const found = await endpoints.get(tenant.orgId, request.params.id);
        if (!found) throw new AppError('NOT_FOUND', 'no such webhook endpoint', { field: 'id' });
        if (found.provider !== 'servicenow') throw new AppError('CONFLICT', `${found.provider} signs its deliveries one way; only ServiceNow endpoints are configurable`);
        const { signature_header: signatureHeader, algorithm, encoding } = request.body;
        const updated = await endpoints.configure(found, {
          ...(signatureHeader ? { signatureHeader } : {}),
          ...(algorithm ? { algorithm } : {}),
          ...(encoding ? { signatureEncoding: encoding } : {}),
        });
        return endpointView(endpoints, updated, { baseUrl: baseUrl(request), orgSlug: tenant.orgSlug, withSecret: true });
      },
    );

    app.get(
      '/api/v1/integrations/summary',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Per provider: webhook URL, secret (admins only) and last delivery, connection status, mappings (seed 003)',
          ...secured,
          response: { 200: z.array(summaryEntry), ...authErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        return integrationSummary(context.db.orm, endpoints, tenant, { baseUrl: baseUrl(request), withSecret: isAdmin(request) });
      },
    );
  };
}
