/**
 * `GET /api/v1/analytics`: findings over time, time to resolve, open SLA breaches, per organization
 * and per scan target (src/services/analytics.ts; docs/policies-and-sla.md).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.ts';
import { analyticsQuery, analyticsView } from '../../contracts/analytics.ts';
import { analytics, analyticsRange } from '../../services/analytics.ts';
import { tenantOf } from '../plugins/auth.ts';
import { authErrors, errorResponse } from '../schemas.ts';

export function analyticsRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/analytics',
      {
        schema: {
          tags: ['analytics'],
          summary: 'Findings opened and resolved over time, time to resolve, open SLA breaches (organization and per target)',
          description: 'The range is [from aligned down to its bucket, to), UTC, at most 366 buckets; a reversed, empty or longer range is 400.',
          security: [{ bearerAuth: [] }],
          querystring: analyticsQuery,
          response: { 200: analyticsView, 400: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const { orgId } = tenantOf(request);
        const range = analyticsRange(request.query);
        return analytics(context.db, orgId, range, request.query.target ?? null);
      },
    );
  };
}
