/**
 * `/api/v1/connections`: create (token-based for now), list, read, delete, test, and the mapping
 * rows of a connection. Responses never carry a secret: the schemas below have no secret field,
 * and the serializer drops anything undeclared.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { type ConnectionInput, ConnectionService, usableBy } from '../../services/connections.ts';
import { connectionInputSchema } from '../../providers/registry.ts';
import { mappingValidator } from '../../services/mapping-validation.ts';
import { MappingService } from '../../services/mappings.ts';
import { testConnection } from '../../services/connection-test.ts';
import { tenantOf } from '../plugins/auth.ts';
import { identifier } from '../../contracts/index.ts';
import { connectionView, mappingKind, mappingView } from '../../contracts/views.ts';
import { authErrors, errorResponse, uuidParam } from '../schemas.ts';

/** Derived from the provider descriptors (src/providers/registry.ts): one object per provider and pasted auth mode. */
export const connectionInput = connectionInputSchema();



const testResult = z.object({
  ok: z.boolean(),
  code: z.string().nullable(),
  message: z.string(),
  account: z.object({ display_name: z.string(), account_id: z.string().nullable(), email: z.string().nullable() }).nullable(),
});

const secured = { security: [{ bearerAuth: [] }] };

/** Admins and services act for anyone in the organization. */
function isPrivileged(roles: readonly string[]): boolean {
  return roles.some((role) => role === 'admin' || role === 'service');
}

export function connectionRoutes(context: AppContext): FastifyPluginAsyncZod {
  const service = new ConnectionService(context.db.orm, context.keyRing, context.outboundGuard, { sharedState: context.sharedState });
  const mappings = new MappingService(context.db.orm);

  return async (app) => {
    app.post(
      '/connections',
      {
        schema: {
          tags: ['connections'],
          summary: 'Connect a provider account (secrets are encrypted and never returned)',
          ...secured,
          body: connectionInput,
          response: { 201: connectionView, 400: errorResponse, ...authErrors },
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request);
        const principal = request.principal!;
        const body = request.body as ConnectionInput;
        const ownerId = body.user_id;
        const privileged = principal.roles.some((role) => role === 'admin' || role === 'service');
        // An organization-wide connection is what everyone's tickets and PRs use by default: only
        // admins and services may add one; anyone may add their own (seed 002).
        if (!ownerId && !privileged) {
          throw new AppError('FORBIDDEN', 'only admins may add an organization-wide connection; set user_id to your own subject for a personal one', {
            field: 'user_id',
          });
        }
        if (ownerId && ownerId !== principal.subject && !privileged) {
          throw new AppError('FORBIDDEN', "only admins may create another user's connection", { field: 'user_id' });
        }
        const created = await service.create(tenant.orgId, body);
        return reply.status(201).send(created);
      },
    );

    app.get(
      '/connections',
      {
        schema: {
          tags: ['connections'],
          summary: "The organization's connections",
          ...secured,
          querystring: z.object({ provider: identifier(50).optional() }),
          response: { 200: z.object({ connections: z.array(connectionView) }), ...authErrors },
        },
      },
      async (request) => {
        const principal = request.principal!;
        // Another user's personal connection (its account email included) is theirs alone.
        const visible = (await service.list(tenantOf(request).orgId, request.query)).filter((view) => usableBy(view, principal.subject, isPrivileged(principal.roles)));
        return { connections: visible };
      },
    );

    app.get(
      '/connections/:id',
      {
        schema: { tags: ['connections'], summary: 'One connection', ...secured, params: uuidParam, response: { 200: connectionView, 404: errorResponse, ...authErrors } },
      },
      async (request) => {
        const principal = request.principal!;
        const found = await service.get(tenantOf(request).orgId, request.params.id);
        if (!found || !usableBy(found, principal.subject, isPrivileged(principal.roles))) throw new AppError('NOT_FOUND', 'no such connection', { field: 'id' });
        return found;
      },
    );

    app.delete(
      '/connections/:id',
      {
        schema: {
          tags: ['connections'],
          summary:
            'Disconnect: erase the secrets, keep the row and its tickets (reconnecting the same site revives it). A user may disconnect their own connection; admins any',
          ...secured,
          params: uuidParam,
          response: { 204: z.null(), 404: errorResponse, ...authErrors },
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request);
        const principal = request.principal!;
        const privileged = isPrivileged(principal.roles);
        const view = await service.get(tenant.orgId, request.params.id);
        // Another user's personal connection is not shown to exist.
        if (!view || !usableBy(view, principal.subject, privileged)) throw new AppError('NOT_FOUND', 'no such connection', { field: 'id' });
        if (view.user_id === null && !privileged) throw new AppError('FORBIDDEN', "only admins may disconnect the organization's connection; you may disconnect your own");
        if (!(await service.remove(tenant.orgId, request.params.id))) throw new AppError('NOT_FOUND', 'no such connection', { field: 'id' });
        return reply.status(204).send(null);
      },
    );

    app.put(
      '/connections/:id/user-fallback',
      {
        config: { roles: ['admin'] },
        schema: {
          tags: ['connections'],
          summary:
            "Whether a user whose own connection must be reconnected (OAuth refresh refused) falls back to this organization-wide connection (default off); the ticket's audit trail records each fallback",
          ...secured,
          params: uuidParam,
          body: z.object({ enabled: z.boolean() }),
          response: { 200: z.object({ id: z.string(), user_fallback: z.boolean() }), 404: errorResponse, 409: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        const view = await service.get(tenant.orgId, request.params.id);
        if (!view) throw new AppError('NOT_FOUND', 'no such connection', { field: 'id' });
        if (view.user_id !== null) throw new AppError('CONFLICT', "a user's own connection cannot be a fallback: choose the organization's connection");
        await service.setUserFallback(tenant.orgId, view.id, request.body.enabled);
        return { id: view.id, user_fallback: request.body.enabled };
      },
    );

    app.post(
      '/connections/:id/test',
      {
        schema: {
          tags: ['connections'],
          summary: 'Check the credentials and site; says what is wrong in words a user can act on',
          ...secured,
          params: uuidParam,
          response: { 200: testResult, 404: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        const principal = request.principal!;
        const privileged = principal.roles.some((role) => role === 'admin' || role === 'service');
        const record = await service.withCredentials(tenant.orgId, request.params.id);
        // Another user's personal connection is theirs alone (its account id and email included).
        if (!record || !usableBy(record, principal.subject, privileged)) throw new AppError('NOT_FOUND', 'no such connection', { field: 'id' });
        const result = await testConnection(context, service, record);
        await service.setStatus(tenant.orgId, record.id, result.ok ? 'active' : 'error', result.ok ? null : result.message);
        return result;
      },
    );

    app.get(
      '/connections/:id/mappings',
      {
        schema: {
          tags: ['connections'],
          summary: "The connection's mappings (default rows included; they cannot be removed)",
          ...secured,
          params: uuidParam,
          response: { 200: z.object({ mappings: z.array(mappingView) }), 404: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        if (!(await service.get(tenant.orgId, request.params.id))) throw new AppError('NOT_FOUND', 'no such connection', { field: 'id' });
        return { mappings: await mappings.list(tenant.orgId, request.params.id) };
      },
    );

    app.put(
      '/connections/:id/mappings',
      {
        config: { roles: ['admin'] },
        schema: {
          tags: ['connections'],
          summary: 'Set one mapping row (kind + source → target); the default row can be retargeted. Values are checked against the provider (422 naming an unknown one; nothing saved)',
          ...secured,
          params: uuidParam,
          body: z.object({
            kind: mappingKind,
            source: identifier(200),
            target: identifier(200),
          }),
          response: { 200: mappingView, 400: errorResponse, 404: errorResponse, 409: errorResponse, 422: errorResponse, 502: errorResponse, 503: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        const connection = await service.get(tenant.orgId, request.params.id);
        if (!connection) throw new AppError('NOT_FOUND', 'no such connection', { field: 'id' });
        return mappings.set(tenant.orgId, request.params.id, request.body, mappingValidator(context, tenant, connection));
      },
    );

    app.delete(
      '/connections/:id/mappings/:mappingId',
      {
        config: { roles: ['admin'] },
        schema: {
          tags: ['connections'],
          summary: 'Remove a mapping row (never a default row)',
          ...secured,
          params: z.object({ id: z.uuid(), mappingId: z.uuid() }),
          response: { 204: z.null(), 404: errorResponse, 409: errorResponse, ...authErrors },
        },
      },
      async (request, reply) => {
        await mappings.remove(tenantOf(request).orgId, request.params.id, request.params.mappingId);
        return reply.status(204).send(null);
      },
    );
  };
}
