/**
 * Wires a FaultInjector into a Fastify simulator as an onRequest hook. Each simulator passes how its
 * provider answers a rate-limited request and a server error, so the wire shape stays faithful.
 * Requests under `exemptPrefix` (the admin side) are never faulted.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type FaultDecision, type FaultInjector, sleep } from './faults.ts';

export interface FaultResponders {
  rateLimited(reply: FastifyReply, decision: Extract<FaultDecision, { kind: 'rate-limited' }>, request: FastifyRequest): void;
  serverError(reply: FastifyReply, status: number, request: FastifyRequest): void;
}

export function installFaults(
  app: FastifyInstance,
  injector: FaultInjector,
  responders: FaultResponders,
  options: { exemptPrefixes?: string[] } = {},
): void {
  const exempt = options.exemptPrefixes ?? ['/_admin'];
  app.addHook('onRequest', async (request, reply) => {
    if (exempt.some((prefix) => request.url.startsWith(prefix))) return;
    const decision = injector.decide();
    switch (decision.kind) {
      case 'pass':
        await sleep(decision.delayMs);
        return;
      case 'reset':
        request.raw.socket.destroy();
        reply.hijack();
        return;
      case 'hang':
        // Never answer; the socket is released when the client gives up or the server closes.
        reply.hijack();
        return;
      case 'rate-limited':
        await sleep(decision.delayMs);
        responders.rateLimited(reply, decision, request);
        return reply;
      case 'error':
        await sleep(decision.delayMs);
        responders.serverError(reply, decision.status, request);
        return reply;
    }
  });
}
