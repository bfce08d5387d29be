/**
 * Seed 002's ticket routes at their own paths and shapes, as thin aliases over the ticket service:
 * `POST /api/jira/tickets`, `POST /api/jira/tickets/bulk-create`, `GET /api/jira/tickets`,
 * `POST /api/jira/tickets/{id}/sync`. `user_id` must be the caller's own subject unless the caller
 * has the admin or service role.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { createTicketForFinding, createTicketsForCase, ticketServiceFor } from '../../services/tickets/ticket-operations.ts';
import type { TicketFilter } from '../../services/tickets/ticket-service.ts';
import { toSeedTicketView } from '../../services/tickets/ticket-view.ts';
import { tenantOf } from '../plugins/auth.ts';
import { identifier } from '../../contracts/index.ts';
import { authErrors, errorResponse, uuidParam } from '../schemas.ts';
import { isPrivileged, requestPreview, ticketOptions } from './tickets.ts';

const seedTicket = z
  .object({
    id: z.string(),
    violation_id: z.string(),
    jira_ticket_id: z.string().nullable(),
    jira_ticket_key: z.string().nullable(),
    jira_ticket_url: z.string().nullable(),
    status: z.string().nullable(),
    internal_state: z.string(),
    last_synced_at: z.string().nullable(),
  })
  .meta({ id: 'JiraTicket' });

const userId = identifier(200).optional().describe('Whose Jira connection to use; must be the caller unless admin/service');
const common = {
  user_id: userId,
  project_key: identifier(100),
  issue_type: identifier(100).default('Bug'),
  priority: identifier(100).optional(),
  dry_run: z.boolean().default(false),
};
const errors = { 400: errorResponse, 404: errorResponse, 409: errorResponse, 422: errorResponse, 502: errorResponse, 503: errorResponse };
const secured = { security: [{ bearerAuth: [] }] };
/** Seed 002's routes are Jira's: they file in, list and sync from Jira connections only. */
const JIRA_PROVIDERS = ['jira-cloud', 'jira-server'] as const;

/** The subject whose connection is used: seed 002's user_id, checked against the token. */
function subjectFor(request: FastifyRequest, userIdValue: string | undefined): string {
  const principal = request.principal!;
  if (!userIdValue || userIdValue === principal.subject) return principal.subject;
  if (principal.roles.some((role) => role === 'admin' || role === 'service')) return userIdValue;
  throw new AppError('FORBIDDEN', 'user_id must be your own unless you have the admin or service role', { field: 'user_id' });
}

export function seedJiraTicketRoutes(context: AppContext): FastifyPluginAsyncZod {
  const service = ticketServiceFor(context);
  return async (app) => {
    app.post(
      '/api/jira/tickets',
      {
        schema: {
          tags: ['seed 002'],
          summary: 'Create the Jira ticket for a compliance violation (seed 002)',
          ...secured,
          body: z.object({ ...common, violation_id: z.uuid(), assignee: z.email().optional() }),
          response: { 200: seedTicket, 201: seedTicket, 202: z.object({ dry_run: z.literal(true), requests: z.array(requestPreview) }), ...errors, ...authErrors },
        },
      },
      async (request, reply) => {
        const subject = subjectFor(request, request.body.user_id);
        const result = await createTicketForFinding(context, service, tenantOf(request), {
          findingId: request.body.violation_id,
          findingField: 'violation_id',
          subject,
          privileged: isPrivileged(request),
          providers: JIRA_PROVIDERS,
          options: ticketOptions(request.body),
          dryRun: request.body.dry_run,
        });
        if (result.status === 'planned') return reply.status(202).send({ dry_run: true as const, requests: result.requests });
        return reply.status(result.status === 'created' ? 201 : 200).send(toSeedTicketView(result.ticket));
      },
    );

    app.post(
      '/api/jira/tickets/bulk-create',
      {
        schema: {
          tags: ['seed 002'],
          summary: 'Create Jira tickets for every violation of an audit case (seed 002)',
          ...secured,
          body: z.object({ ...common, case_id: z.uuid() }),
          response: {
            200: z.object({
              case_id: z.string(),
              dry_run: z.boolean(),
              total: z.number(),
              created: z.number(),
              existing: z.number(),
              failed: z.number(),
              tickets: z.array(seedTicket),
              errors: z.array(z.object({ violation_id: z.string(), code: z.string(), message: z.string(), field: z.string().optional() })),
              requests: z.array(requestPreview).nullable(),
            }),
            ...errors,
            ...authErrors,
          },
        },
      },
      async (request) => {
        const subject = subjectFor(request, request.body.user_id);
        const result = await createTicketsForCase(context, service, tenantOf(request), {
          caseId: request.body.case_id,
          subject,
          privileged: isPrivileged(request),
          providers: JIRA_PROVIDERS,
          options: ticketOptions(request.body),
          dryRun: request.body.dry_run,
        });
        return {
          case_id: request.body.case_id,
          dry_run: request.body.dry_run,
          total: result.summary.total,
          created: result.summary.created,
          existing: result.summary.existing,
          failed: result.summary.failed,
          tickets: result.results.flatMap((item) => (item.ticket && item.status !== 'failed' ? [toSeedTicketView(item.ticket)] : [])),
          errors: result.results.flatMap((item) => (item.error ? [{ violation_id: item.finding_id, ...item.error }] : [])),
          requests: result.requests,
        };
      },
    );

    app.get(
      '/api/jira/tickets',
      {
        schema: {
          tags: ['seed 002'],
          summary: 'List Jira tickets for a user and/or an audit case (seed 002)',
          ...secured,
          querystring: z.object({ user_id: userId, case_id: z.uuid().optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) }),
          response: { 200: z.object({ tickets: z.array(seedTicket), total: z.number() }), ...errors, ...authErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        const filter: TicketFilter = { limit: request.query.limit, providers: JIRA_PROVIDERS };
        if (request.query.case_id) filter.caseId = request.query.case_id;
        if (request.query.user_id) {
          const subject = subjectFor(request, request.query.user_id);
          filter.createdBy = (await context.tenants.resolve(tenant.orgSlug, subject)).userId;
        }
        const page = await service.list(tenant, filter);
        return { tickets: page.tickets.map(toSeedTicketView), total: page.tickets.length };
      },
    );

    app.post(
      '/api/jira/tickets/:id/sync',
      {
        schema: {
          tags: ['seed 002'],
          summary: 'Fetch the latest status from Jira and update ours (seed 002)',
          ...secured,
          params: uuidParam,
          response: { 200: seedTicket, ...errors, ...authErrors },
        },
      },
      async (request) => toSeedTicketView(await service.sync(tenantOf(request), request.principal?.subject ?? null, request.params.id)),
    );
  };
}
