/** `GET /api/v1/pull-requests`: the organization's fix pull requests from the PR store. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.ts';
import { pullRequestListQuery, pullRequestPage } from '../../contracts/pull-requests.ts';
import { listPullRequests } from '../../services/pull-requests/pr-list.ts';
import { tenantOf } from '../plugins/auth.ts';
import { authErrors, errorResponse } from '../schemas.ts';

export function pullRequestRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/pull-requests',
      {
        schema: {
          tags: ['pull requests'],
          summary: "List the organization's fix pull requests, newest first",
          security: [{ bearerAuth: [] }],
          querystring: pullRequestListQuery,
          response: { 200: pullRequestPage, 400: errorResponse, ...authErrors },
        },
      },
      async (request) => listPullRequests(context.db.orm, tenantOf(request).orgId, request.query),
    );
  };
}
