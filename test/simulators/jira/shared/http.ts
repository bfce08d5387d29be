/**
 * Fastify plumbing shared by both Jira simulators: listening on 127.0.0.1:0, Jira-shaped answers for
 * thrown ErrorCollections and body-parse failures, the common fault injector and request log, and small
 * helpers for Jira's query-parameter conventions (comma lists, repeated keys).
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { installFaults } from '../../common/fastify-faults.ts';
import { createFaultInjector, type FaultConfig, type FaultInjector } from '../../common/faults.ts';
import { installRequestLog, type RequestLog } from '../../common/request-log.ts';
import { JiraError } from './errors.ts';

export interface BaseApp {
  app: FastifyInstance;
  faults: FaultInjector;
  requests: RequestLog;
}

export type RateLimitedDecision = Parameters<Parameters<typeof installFaults>[2]['rateLimited']>[1];

export interface Responders {
  rateLimited(reply: FastifyReply, decision: RateLimitedDecision): void;
  serverError(reply: FastifyReply, status: number): void;
}

export function createBaseApp(faultConfig: Partial<FaultConfig>, responders: Responders): BaseApp {
  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024, forceCloseConnections: true });
  const faults = createFaultInjector(faultConfig);
  installFaults(app, faults, {
    rateLimited: (reply, decision) => responders.rateLimited(reply, decision),
    serverError: (reply, status) => responders.serverError(reply, status),
  });
  const requests = installRequestLog(app);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.setErrorHandler((error: unknown, _request, reply) => {
    if (error instanceof JiraError) {
      void reply.code(error.status).send(error.body);
      return;
    }
    const fastifyError = error as { statusCode?: number; code?: string; message?: string };
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      // Jira (JAX-RS) answers an unsupported content type with an empty 415.
      void reply.code(415).send('');
      return;
    }
    if (fastifyError.statusCode === 400 || fastifyError.code?.startsWith('FST_ERR_CTP')) {
      void reply.code(400).send({ errorMessages: [`Unexpected character in the request body: ${fastifyError.message ?? ''}`], errors: {} });
      return;
    }
    void reply.code(500).send({ errorMessages: ['Internal server error'], errors: {} });
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send({ errorMessages: ['null for uri: not found'], errors: {} });
  });
  return { app, faults, requests };
}

export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('simulator did not get a TCP port');
  return `http://127.0.0.1:${address.port}`;
}

/** A query parameter as a list: repeated keys and comma-separated values both count. */
export function queryList(request: FastifyRequest, name: string): string[] | undefined {
  const raw = (request.query as Record<string, unknown>)[name];
  if (raw === undefined) return undefined;
  const items = Array.isArray(raw) ? raw : [raw];
  return items.flatMap((item) => String(item).split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

export function queryString(request: FastifyRequest, name: string): string | undefined {
  const raw = (request.query as Record<string, unknown>)[name];
  if (Array.isArray(raw)) return raw.length > 0 ? String(raw[0]) : undefined;
  return raw === undefined ? undefined : String(raw);
}

export function queryInt(request: FastifyRequest, name: string, fallback: number): number {
  const raw = queryString(request, name);
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isInteger(n) ? n : fallback;
}
