/**
 * Every route plugin of the API, with its prefix. Adding a resource means adding its plugin here.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.ts';
import { analyticsRoutes } from './analytics.ts';
import { auditLogRoutes } from './audit-log.ts';
import { caseRoutes } from './cases.ts';
import { connectionRoutes } from './connections.ts';
import { findingRoutes } from './findings.ts';
import { importRoutes } from './imports.ts';
import { internalRoutes } from './internal.ts';
import { jobRoutes } from './jobs.ts';
import { policyRoutes } from './policies.ts';
import { pullRequestRoutes } from './pull-requests.ts';
import { atlassianOAuthRoutes } from './oauth-atlassian.ts';
import { servicenowOAuthRoutes } from './oauth-servicenow.ts';
import { seedJiraTicketRoutes } from './seed-jira-tickets.ts';
import { sessionRoutes } from './session.ts';
import { systemRoutes } from './system.ts';
import { ticketRoutes } from './tickets.ts';
import { webhookRoutes } from './webhooks.ts';

export function routePlugins(context: AppContext): { plugin: FastifyPluginAsyncZod; prefix: string }[] {
  return [
    { plugin: systemRoutes(context), prefix: '' },
    { plugin: sessionRoutes(context), prefix: '/api/v1' },
    { plugin: jobRoutes(context), prefix: '/api/v1' },
    { plugin: findingRoutes(context), prefix: '/api/v1' },
    { plugin: importRoutes(context), prefix: '/api/v1' },
    { plugin: policyRoutes(context), prefix: '/api/v1' },
    { plugin: analyticsRoutes(context), prefix: '/api/v1' },
    { plugin: caseRoutes(context), prefix: '/api/v1' },
    { plugin: connectionRoutes(context), prefix: '/api/v1' },
    { plugin: ticketRoutes(context), prefix: '/api/v1' },
    { plugin: pullRequestRoutes(context), prefix: '/api/v1' },
    { plugin: auditLogRoutes(context), prefix: '/api/v1' },
    { plugin: seedJiraTicketRoutes(context), prefix: '' },
    { plugin: internalRoutes(context), prefix: '' },
    { plugin: atlassianOAuthRoutes(context), prefix: '' },
    { plugin: servicenowOAuthRoutes(context), prefix: '' },
    { plugin: webhookRoutes(context), prefix: '' },
  ];
}
