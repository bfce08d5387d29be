/** `/api/v1/jobs`: the caller's organization's durable jobs, and retry of a failed one. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { decodeCursor, encodeCursor } from '../../db/cursor.ts';
import { AppError } from '../../errors/app-error.ts';
import { jobKinds, jobStates } from '../../jobs/kinds.ts';
import { jobView as job } from '../../contracts/jobs.ts';
import { tenantOf } from '../plugins/auth.ts';
import { identifier } from '../../contracts/index.ts';
import { authErrors, errorResponse, uuidParam } from '../schemas.ts';

export function jobRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/jobs',
      {
        schema: {
          tags: ['jobs'],
          summary: "List the organization's jobs, newest first",
          security: [{ bearerAuth: [] }],
          querystring: z.object({
            state: z.enum(jobStates).optional(),
            kind: z.enum(jobKinds).optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: identifier(200).optional().describe('next_cursor of the previous page'),
          }),
          response: { 200: z.object({ jobs: z.array(job), next_cursor: z.string().nullable() }), ...authErrors },
        },
      },
      async (request) => {
        const { orgId } = tenantOf(request);
        const { cursor, ...filter } = request.query;
        const page = await context.queue.list(orgId, { ...filter, ...(cursor ? { cursor: decodeCursor(cursor) } : {}) });
        return { jobs: page.jobs, next_cursor: page.next ? encodeCursor(page.next) : null };
      },
    );

    app.get(
      '/jobs/:id',
      {
        schema: {
          tags: ['jobs'],
          summary: 'One job',
          security: [{ bearerAuth: [] }],
          params: uuidParam,
          response: { 200: job, 404: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const found = await context.queue.get(tenantOf(request).orgId, request.params.id);
        if (!found) throw new AppError('NOT_FOUND', 'no such job', { field: 'id' });
        return found;
      },
    );

    app.post(
      '/jobs/:id/retry',
      {
        config: { roles: ['admin', 'service'] },
        schema: {
          tags: ['jobs'],
          summary: 'Put a failed or cancelled job back in line',
          security: [{ bearerAuth: [] }],
          params: uuidParam,
          response: { 202: job, 404: errorResponse, 409: errorResponse, ...authErrors },
        },
      },
      async (request, reply) => {
        const { orgId } = tenantOf(request);
        const found = await context.queue.get(orgId, request.params.id);
        if (!found) throw new AppError('NOT_FOUND', 'no such job', { field: 'id' });
        if (!(await context.queue.retry(orgId, found.id))) {
          throw new AppError('CONFLICT', `only failed or cancelled jobs can be retried; this one is ${found.state}`);
        }
        const after = await context.queue.get(orgId, found.id);
        return reply.status(202).send(after ?? found);
      },
    );
  };
}
