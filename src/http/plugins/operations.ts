/**
 * Each API request runs its handler inside an operation (src/lib/operation-context.ts), so the
 * audit events and outbound calls it causes are filed under it in the audit log. Entered in a
 * preHandler hook (after authentication and body parsing, which can lose the async context), on
 * every route except the probes and documentation, which never call out, and routes that opt out
 * with `config: { operation: false }` (webhook ingest: it only verifies and stores, and at thousands
 * of deliveries a second the context's cost shows; bench webhook-ingest).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { runInOperation } from '../../lib/operation-context.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: the handler runs outside any operation (it neither calls out nor writes audit events). */
    operation?: boolean;
  }
}

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
    if (QUIET_ROUTES.has(route.url) || route.url.startsWith('/docs') || route.config?.operation === false) return;
    route.preHandler = [enterOperation, ...[route.preHandler ?? []].flat()];
  });
}
