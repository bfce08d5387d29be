/**
 * `/api/v1/policies`: the organization's lifecycle policy (automatic tickets and fix PRs after scan
 * imports, PR grouping, SLA days per severity). Members read it; admins replace it whole.
 * docs/policies-and-sla.md.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { policyInput, policyView } from '../../contracts/policies.ts';
import { getPolicy, putPolicy, toPolicyView } from '../../services/policies/index.ts';
import { tenantOf } from '../plugins/auth.ts';
import { authErrors, errorResponse } from '../schemas.ts';

export function policyRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/policies',
      {
        schema: {
          tags: ['policies'],
          summary: "The organization's lifecycle policy (defaults until an admin stores one)",
          security: [{ bearerAuth: [] }],
          response: { 200: policyView, ...authErrors },
        },
      },
      async (request) => toPolicyView(await getPolicy(context.db.orm, tenantOf(request).orgId)),
    );

    app.put(
      '/policies',
      {
        config: { roles: ['admin'] },
        schema: {
          tags: ['policies'],
          summary: "Replace the organization's lifecycle policy (admins)",
          description:
            'Connections must be organization-wide ones of this organization: tickets on Jira or ServiceNow, fix PRs on GitHub (else 422 naming the field). New SLA days recompute every due date of the organization; `recomputed` counts the findings whose due date changed.',
          security: [{ bearerAuth: [] }],
          body: policyInput,
          response: { 200: policyView.extend({ recomputed: z.number().int() }), 400: errorResponse, 422: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const { orgId } = tenantOf(request);
        const { policy, recomputed } = await putPolicy(context.db.orm, orgId, request.body, request.principal?.subject ?? 'unknown');
        return { ...toPolicyView(policy), recomputed };
      },
    );
  };
}
