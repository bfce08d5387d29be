/**
 * Each API request runs its handler inside an operation (src/lib/operation-context.ts), so the
 * audit events and outbound calls it causes are filed under it in the audit log. Entered in a
 * preHandler hook (after authentication and body parsing, which can lose the async context), on
 * every route except the probes and documentation, which never call out.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { runInOperation } from '../../lib/operation-context.ts';

const QUIET_ROUTES = new Set(['/health', '/ready', '/metrics', '/openapi.json']);

function enterOperation(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  runInOperation(
    {
      id: randomUUID(),
      kind: 'request',
      name: `${request.method} ${request.routeOptions.url ?? request.url.split('?', 1)[0]}`,
      orgId: request.tenant?.orgId ?? null,
      actor: request.principal?.subject ?? null,
      requestId: request.id,
      startedAt: new Date(),
    },
    done,
  );
}

export function installOperations(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (QUIET_ROUTES.has(route.url) || route.url.startsWith('/docs')) return;
    route.preHandler = [enterOperation, ...[route.preHandler ?? []].flat()];
  });
}
