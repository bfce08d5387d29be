/** `GET /api/v1/audit-log`: the organization's operations with their audit events and outbound calls. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.ts';
import { auditLogPage, auditLogQuery } from '../../contracts/audit-log.ts';
import { listAuditLog } from '../../services/audit-log.ts';
import { tenantOf } from '../plugins/auth.ts';
import { authErrors, errorResponse } from '../schemas.ts';

export function auditLogRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/audit-log',
      {
        schema: {
          tags: ['audit'],
          summary: "The organization's operations, newest first, each with its audit events and outbound calls",
          description:
            'Every member of the organization may read it. Outbound calls are written in batches within about a second of being made; the calls of the last moment before a read are included.',
          security: [{ bearerAuth: [] }],
          querystring: auditLogQuery,
          response: { 200: auditLogPage, 400: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        // Read your own writes: what this process still holds in its queue is written first.
        await context.outboundCalls.flush();
        return listAuditLog(context.db.orm, tenantOf(request).orgId, request.query);
      },
    );
  };
}
