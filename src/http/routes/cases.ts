/**
 * `/api/v1/cases`: audit cases (seed 002) and their violations. Adding violations goes through the
 * same upsert as `/api/v1/findings`, with `case_id` taken from the path.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { type AuditCase, createCase, getCase, listCases, upsertCaseViolations } from '../../services/cases.ts';
import { listFindings } from '../../services/findings.ts';
import { createConfluenceClient } from '../../providers/confluence/client.ts';
import { publishCaseReport } from '../../services/case-report.ts';
import { ConnectionService } from '../../services/connections.ts';
import { tenantOf } from '../plugins/auth.ts';
import { identifier, safeLine, safeText } from '../../contracts/index.ts';
import { caseView } from '../../contracts/views.ts';
import { authErrors, errorResponse, uuidParam } from '../schemas.ts';
import { findingCommon, findingView, MAX_FINDINGS_PER_CALL, pageQuery, toFindingView, upsertedFindingView } from './findings.ts';


function toCaseView(found: AuditCase): z.infer<typeof caseView> {
  return {
    id: found.id,
    name: found.name,
    framework: found.framework,
    description: found.description,
    status: found.status,
    created_at: found.createdAt.toISOString(),
    violation_count: found.violationCount,
  };
}

const violationInput = z
  .object({
    ...findingCommon,
    framework: safeLine(200).nullish().describe("Defaults to the case's framework"),
    control_id: identifier(200),
  })
  .superRefine((value, ctx) => {
    if (value.severity === undefined && (value.cvss_score === undefined || value.cvss_score === null)) {
      ctx.addIssue({ code: 'custom', path: ['severity'], message: 'is required when cvss_score is not given' });
    }
  });

const notFound = () => new AppError('NOT_FOUND', 'no such audit case', { field: 'id' });

export function caseRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/cases',
      {
        schema: {
          tags: ['cases'],
          summary: 'Create an audit case',
          security: [{ bearerAuth: [] }],
          body: z.object({
            name: identifier(200),
            framework: safeLine(200, { min: 0 }).nullish(),
            description: safeText(100_000).nullish(),
          }),
          response: { 201: caseView, 400: errorResponse, ...authErrors },
        },
      },
      async (request, reply) => {
        const { orgId } = tenantOf(request);
        const created = await createCase(context.db.orm, orgId, request.body, request.principal?.subject ?? 'unknown');
        return reply.status(201).send(toCaseView(created));
      },
    );

    app.get(
      '/cases',
      {
        schema: {
          tags: ['cases'],
          summary: "List the organization's audit cases, newest first",
          security: [{ bearerAuth: [] }],
          querystring: z.object(pageQuery),
          response: { 200: z.object({ cases: z.array(caseView), next_cursor: z.string().nullable() }), 400: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const page = await listCases(context.db.orm, tenantOf(request).orgId, cursor ? { limit, cursor } : { limit });
        return { cases: page.cases.map(toCaseView), next_cursor: page.nextCursor };
      },
    );

    app.get(
      '/cases/:id',
      {
        schema: {
          tags: ['cases'],
          summary: 'One audit case, with its violation count',
          security: [{ bearerAuth: [] }],
          params: uuidParam,
          response: { 200: caseView, 404: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const found = await getCase(context.db.orm, tenantOf(request).orgId, request.params.id);
        if (!found) throw notFound();
        return toCaseView(found);
      },
    );

    app.post(
      '/cases/:id/violations',
      {
        bodyLimit: 25 * 1024 * 1024,
        schema: {
          tags: ['cases'],
          summary: 'Create or update violations of an audit case (same upsert as /findings)',
          security: [{ bearerAuth: [] }],
          params: uuidParam,
          body: z.object({ violations: z.array(violationInput).min(1).max(MAX_FINDINGS_PER_CALL) }),
          response: { 200: z.object({ violations: z.array(upsertedFindingView) }), 400: errorResponse, 404: errorResponse, 413: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const { orgId } = tenantOf(request);
        const upserted = await upsertCaseViolations(
          context.db.orm,
          orgId,
          request.params.id,
          request.body.violations.map((item) => ({
            title: item.title,
            description: item.description ?? null,
            severity: item.severity ?? null,
            cvssScore: item.cvss_score ?? null,
            fingerprint: item.fingerprint ?? null,
            source: item.source ?? null,
            externalRef: item.external_ref ?? null,
            framework: item.framework ?? null,
            controlId: item.control_id,
          })),
          request.principal?.subject ?? 'unknown',
        );
        return { violations: upserted.map((finding) => ({ ...toFindingView(finding), created: finding.created, reopened: finding.reopened })) };
      },
    );

    app.get(
      '/cases/:id/violations',
      {
        schema: {
          tags: ['cases'],
          summary: "An audit case's violations, newest first",
          security: [{ bearerAuth: [] }],
          params: uuidParam,
          querystring: z.object(pageQuery),
          response: { 200: z.object({ violations: z.array(findingView), next_cursor: z.string().nullable() }), 400: errorResponse, 404: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const { orgId } = tenantOf(request);
        if (!(await getCase(context.db.orm, orgId, request.params.id))) throw notFound();
        const { limit, cursor } = request.query;
        const page = await listFindings(context.db.orm, orgId, { kind: 'violation', caseId: request.params.id, limit, ...(cursor ? { cursor } : {}) });
        return { violations: page.findings.map(toFindingView), next_cursor: page.nextCursor };
      },
    );

    // Issue 11: the remediation report as a Confluence page, updated in place on the next publish.
    const connections = new ConnectionService(context.db.orm, context.keyRing, context.outboundGuard, { sharedState: context.sharedState });
    app.post(
      '/cases/:id/report',
      {
        schema: {
          tags: ['cases'],
          summary:
            "Publish the case's remediation report (violations, tickets, status, SLA) as a Confluence page (storage format) through the caller's or the organization's Confluence access; the next publish updates the same page (version + 1, one retry after a concurrent edit)",
          security: [{ bearerAuth: [] }],
          params: uuidParam,
          body: z.object({ space_key: identifier(255), title: safeLine(255).optional(), connection_id: z.uuid().optional() }),
          response: {
            200: z.object({
              case_id: z.string(),
              page_id: z.string(),
              title: z.string(),
              version: z.number().int(),
              created: z.boolean(),
              url: z.string().nullable(),
              space_key: z.string(),
              connection_id: z.string(),
              violations: z.number().int(),
              tickets: z.number().int(),
            }),
            400: errorResponse,
            404: errorResponse,
            409: errorResponse,
            502: errorResponse,
            ...authErrors,
          },
        },
      },
      async (request) => {
        const { orgId } = tenantOf(request);
        const principal = request.principal;
        const privileged = principal?.roles.some((role) => role === 'admin' || role === 'service') ?? false;
        return publishCaseReport(context, connections, { orgId, subject: principal?.subject ?? null, privileged }, request.params.id, request.body, (target) =>
          createConfluenceClient(target, { http: context.outbound, timeoutMs: context.config.outbound.timeoutMs }),
        );
      },
    );
  };
}
