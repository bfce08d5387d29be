/**
 * Tickets under `/api/v1`: create one for a finding, create many (a list of findings or an audit
 * case), list, read, sync status from Jira, and comment (queued as a job).
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { internalStates } from '../../domain/states.ts';
import { AppError } from '../../errors/app-error.ts';
import { getFindings } from '../../services/findings.ts';
import { createTicketForFinding, createTicketsForCase, createTicketsForFindings, ticketServiceFor } from '../../services/tickets/ticket-operations.ts';
import type { TicketOptions } from '../../services/tickets/ticket-service.ts';
import { toTicketView } from '../../services/tickets/ticket-view.ts';
import { tenantOf } from '../plugins/auth.ts';
import { boundedJson, identifier, safeLine, safeText, webUrl } from '../../contracts/index.ts';
import { requestPreview, ticketView } from '../../contracts/views.ts';
import { authErrors, errorCode, errorResponse, uuidParam } from '../schemas.ts';



export { requestPreview, ticketView };

export const ticketOptionFields = {
  connection_id: z.uuid().nullable().optional().describe('Which Jira connection; default: your own, else the organization’s'),
  project_key: identifier(100).nullable().optional(),
  issue_type: identifier(100).nullable().optional(),
  priority: identifier(100).nullable().optional().describe('A Jira priority name; overrides the severity mapping'),
  assignee: z.email().nullable().optional().describe('Email of the assignee; looked up to a Jira account'),
  components: z.array(identifier(255)).max(20).optional(),
  labels: z.array(identifier(255)).max(20).optional(),
  custom_fields: z
    .record(z.string().regex(/^customfield_\d+$/, 'custom field ids look like customfield_10042'), boundedJson())
    .optional()
    .describe('Jira field values by id; any JSON, at most 64 levels deep and 20,000 values per field'),
  dry_run: z.boolean().default(false),
};

export function ticketOptions(body: {
  project_key?: string | null | undefined;
  issue_type?: string | null | undefined;
  priority?: string | null | undefined;
  assignee?: string | null | undefined;
  components?: string[] | undefined;
  labels?: string[] | undefined;
  custom_fields?: Record<string, unknown> | undefined;
}): TicketOptions {
  return {
    projectKey: body.project_key ?? null,
    issueType: body.issue_type ?? null,
    priority: body.priority ?? null,
    assignee: body.assignee ?? null,
    components: body.components ?? [],
    labels: body.labels ?? [],
    customFields: body.custom_fields ?? {},
  };
}

const bulkItem = z.object({
  finding_id: z.string(),
  status: z.enum(['created', 'existing', 'planned', 'failed']),
  ticket: ticketView.nullable(),
  error: z.object({ code: errorCode, message: z.string(), field: z.string().optional() }).nullable(),
});

export const bulkResponse = z.object({
  dry_run: z.boolean(),
  results: z.array(bulkItem),
  requests: z.array(requestPreview).nullable(),
  notes: z.array(z.string()),
  summary: z.object({ total: z.number(), created: z.number(), existing: z.number(), planned: z.number(), failed: z.number() }),
});

const secured = { security: [{ bearerAuth: [] }] };

export function isPrivileged(request: FastifyRequest): boolean {
  return (request.principal?.roles ?? []).some((role) => role === 'admin' || role === 'service');
}
const jiraErrors = { 400: errorResponse, 404: errorResponse, 409: errorResponse, 422: errorResponse, 502: errorResponse, 503: errorResponse };

export function ticketRoutes(context: AppContext): FastifyPluginAsyncZod {
  const service = ticketServiceFor(context);
  return async (app) => {
    app.post(
      '/tickets',
      {
        schema: {
          tags: ['tickets'],
          summary: 'Open the Jira issue for a finding (exactly once per connection)',
          ...secured,
          body: z.object({ finding_id: z.uuid(), ...ticketOptionFields }),
          response: {
            200: ticketView,
            201: ticketView,
            202: z.object({ dry_run: z.literal(true), requests: z.array(requestPreview), notes: z.array(z.string()) }),
            ...jiraErrors,
            ...authErrors,
          },
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request);
        const result = await createTicketForFinding(context, service, tenant, {
          findingId: request.body.finding_id,
          findingField: 'finding_id',
          connectionId: request.body.connection_id ?? null,
          subject: request.principal?.subject ?? null,
          privileged: isPrivileged(request),
          options: ticketOptions(request.body),
          dryRun: request.body.dry_run,
        });
        if (result.status === 'planned') return reply.status(202).send({ dry_run: true as const, requests: result.requests, notes: result.notes });
        return reply.status(result.status === 'created' ? 201 : 200).send(toTicketView(result.ticket));
      },
    );

    app.post(
      '/tickets/bulk',
      {
        schema: {
          tags: ['tickets'],
          summary: 'Open Jira issues for many findings (by ids, or all violations of an audit case), 50 per Jira call',
          ...secured,
          body: z
            .object({ finding_ids: z.array(z.uuid()).min(1).max(5000).optional(), case_id: z.uuid().optional(), ...ticketOptionFields })
            .refine((body) => Boolean(body.finding_ids) !== Boolean(body.case_id), { message: 'give either finding_ids or case_id', path: ['finding_ids'] }),
          response: { 200: bulkResponse, ...jiraErrors, ...authErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        const common = {
          connectionId: request.body.connection_id ?? null,
          subject: request.principal?.subject ?? null,
          privileged: isPrivileged(request),
          options: ticketOptions(request.body),
          dryRun: request.body.dry_run,
        };
        let result: Awaited<ReturnType<typeof createTicketsForFindings>>;
        if (request.body.case_id) {
          result = await createTicketsForCase(context, service, tenant, { ...common, caseId: request.body.case_id });
        } else {
          const ids = [...new Set(request.body.finding_ids ?? [])];
          const found = await getFindings(context.db.orm, tenant.orgId, ids);
          const missing = ids.findIndex((id) => !found.has(id));
          if (missing >= 0) throw new AppError('NOT_FOUND', 'no such finding', { field: `finding_ids.${missing}` });
          const findings = ids.map((id) => found.get(id)!);
          result = await createTicketsForFindings(service, tenant, { ...common, findings });
        }
        return {
          dry_run: request.body.dry_run,
          results: result.results.map((item) => ({ ...item, ticket: item.ticket ? toTicketView(item.ticket) : null })),
          requests: result.requests,
          notes: result.notes,
          summary: result.summary,
        };
      },
    );

    app.get(
      '/tickets',
      {
        schema: {
          tags: ['tickets'],
          summary: 'Tickets of the organization, newest first',
          ...secured,
          querystring: z.object({
            finding_id: z.uuid().optional(),
            connection_id: z.uuid().optional(),
            state: z.enum(internalStates).optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: identifier(200).optional().describe('next_cursor of the previous page'),
          }),
          response: { 200: z.object({ tickets: z.array(ticketView), next_cursor: z.string().nullable() }), ...authErrors },
        },
      },
      async (request) => {
        const query = request.query;
        const page = await service.list(tenantOf(request), {
          ...(query.finding_id ? { findingId: query.finding_id } : {}),
          ...(query.connection_id ? { connectionId: query.connection_id } : {}),
          ...(query.state ? { state: query.state } : {}),
          ...(query.cursor ? { cursor: query.cursor } : {}),
          limit: query.limit,
        });
        return { tickets: page.tickets.map(toTicketView), next_cursor: page.nextCursor };
      },
    );

    app.get(
      '/tickets/:id',
      {
        schema: { tags: ['tickets'], summary: 'One ticket', ...secured, params: uuidParam, response: { 200: ticketView, 404: errorResponse, ...authErrors } },
      },
      async (request) => {
        const ticket = await service.get(tenantOf(request), request.params.id);
        if (!ticket) throw new AppError('NOT_FOUND', 'no such ticket', { field: 'id' });
        return toTicketView(ticket);
      },
    );

    app.post(
      '/tickets/:id/comments',
      {
        schema: {
          tags: ['tickets'],
          summary: 'Comment on the ticket’s issue (ADF on Cloud, wiki markup on Server); queued as a job',
          ...secured,
          params: uuidParam,
          body: z.object({
            text: safeText(30_000, { min: 1, trim: true }),
            links: z.array(z.object({ text: safeLine(500), url: webUrl() })).max(20).optional(),
          }),
          response: { 202: z.object({ job_id: z.string(), ticket_id: z.string() }), 404: errorResponse, ...authErrors },
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request);
        const ticket = await service.get(tenant, request.params.id);
        if (!ticket) throw new AppError('NOT_FOUND', 'no such ticket', { field: 'id' });
        const jobId = await context.queue.enqueue('comment', {
          org_id: tenant.orgId,
          ticket_id: ticket.id,
          text: request.body.text,
          ...(request.body.links ? { links: request.body.links } : {}),
          requested_by: request.principal?.subject ?? 'service',
        });
        if (!jobId) throw new Error('the comment job was not queued');
        return reply.status(202).send({ job_id: jobId, ticket_id: ticket.id });
      },
    );

    app.post(
      '/tickets/:id/sync',
      {
        schema: {
          tags: ['tickets'],
          summary: 'Fetch the issue’s current status from Jira and map it to our state',
          ...secured,
          params: uuidParam,
          response: { 200: ticketView, ...jiraErrors, ...authErrors },
        },
      },
      async (request) => toTicketView(await service.sync(tenantOf(request), request.principal?.subject ?? null, request.params.id)),
    );
  };
}
