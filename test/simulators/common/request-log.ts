/** Records what a simulator received, so tests can assert on the exact requests the product sent. */
import type { FastifyInstance } from 'fastify';

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  status: number | null;
  at: number;
}

export interface RequestLog {
  entries: RecordedRequest[];
  clear(): void;
}

export function installRequestLog(app: FastifyInstance, options: { exemptPrefixes?: string[] } = {}): RequestLog {
  const exempt = options.exemptPrefixes ?? ['/_admin'];
  const log: RequestLog = {
    entries: [],
    clear() {
      log.entries.length = 0;
    },
  };
  const byRequest = new WeakMap<object, RecordedRequest>();
  app.addHook('preHandler', async (request) => {
    if (exempt.some((prefix) => request.url.startsWith(prefix))) return;
    const [path = '', query = ''] = request.url.split('?', 2);
    const entry: RecordedRequest = {
      method: request.method,
      path,
      query,
      headers: { ...request.headers },
      body: request.body,
      status: null,
      at: Date.now(),
    };
    byRequest.set(request, entry);
    log.entries.push(entry);
  });
  app.addHook('onResponse', async (request, reply) => {
    const entry = byRequest.get(request);
    if (entry) entry.status = reply.statusCode;
  });
  return log;
}
