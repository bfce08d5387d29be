/**
 * HTTP side of the admin API under `/_admin/...` (exempt from faults and from the request log), for
 * the CLI, demos and tests in other processes. Each route is a thin wrapper over the in-process
 * `GitHubSimulatorAdmin`.
 */
import type { FastifyInstance } from 'fastify';
import type { GitHubSimulatorAdmin } from './admin.ts';

function plainBody(body: unknown): unknown {
  // Git requests carry their body as a stream; the log keeps a placeholder, not the stream.
  if (body && typeof body === 'object' && typeof (body as { pipe?: unknown }).pipe === 'function') return '[binary stream]';
  return body;
}

export function registerAdminRoutes(app: FastifyInstance, admin: GitHubSimulatorAdmin): void {
  app.register(
    async (scope) => {
      scope.get('/state', async () => ({ repos: admin.repos(), pulls: admin.pulls(), hooks: admin.hooks() }));
      scope.get('/repos', async () => admin.repos());
      scope.get<{ Querystring: { repo?: string } }>('/pulls', async (request) => admin.pulls(request.query.repo));
      scope.get<{ Params: { owner: string; repo: string; number: string } }>('/repos/:owner/:repo/issues/:number/comments', async (request) =>
        admin.comments(`${request.params.owner}/${request.params.repo}`, Number(request.params.number)),
      );
      scope.get<{ Params: { owner: string; repo: string } }>('/repos/:owner/:repo/labels', async (request) => admin.labels(`${request.params.owner}/${request.params.repo}`));
      scope.get<{ Params: { owner: string; repo: string } }>('/repos/:owner/:repo/refs', async (request) => admin.refs(`${request.params.owner}/${request.params.repo}`));
      scope.get<{ Params: { owner: string; repo: string; '*': string }; Querystring: { ref?: string } }>('/repos/:owner/:repo/files/*', async (request, reply) => {
        const content = await admin.readFile(`${request.params.owner}/${request.params.repo}`, request.params['*'], request.query.ref);
        if (content === null) return reply.code(404).send({ error: 'not found' });
        return reply.type('text/plain; charset=utf-8').send(content);
      });
      scope.post<{ Params: { owner: string; repo: string }; Body: { branch?: string; message?: string; files?: Record<string, string | null>; author?: { name: string; email: string } } }>(
        '/repos/:owner/:repo/commits',
        async (request, reply) => {
          const body = request.body ?? {};
          const sha = await admin.commitAsSomeoneElse({
            repo: `${request.params.owner}/${request.params.repo}`,
            branch: body.branch ?? 'main',
            message: body.message ?? 'Change by someone else',
            files: body.files ?? {},
            ...(body.author ? { author: body.author } : {}),
          });
          return reply.code(201).send({ sha });
        },
      );
      scope.post<{ Body: { fullName: string; private?: boolean; files?: Record<string, string> } }>('/repos', async (request, reply) => {
        const name = await admin.createRepo(request.body);
        return reply.code(201).send({ full_name: name });
      });
      scope.get('/requests', async () => admin.requests().map((r) => ({ ...r, body: plainBody(r.body) })));
      scope.delete('/requests', async (_request, reply) => {
        admin.clearRequests();
        return reply.code(204).send();
      });
      scope.get('/hooks', async () => admin.hooks());
      scope.post<{ Body: { url: string; secret?: string; events?: string[]; repo?: string; contentType?: 'json' | 'form' } }>('/hooks', async (request, reply) => reply.code(201).send(admin.addWebhook(request.body)));
      scope.delete<{ Params: { id: string } }>('/hooks/:id', async (request, reply) => reply.code(admin.removeWebhook(Number(request.params.id)) ? 204 : 404).send());
      scope.put<{ Body: { drop?: boolean; redelivery_ms?: number[] } }>('/hooks/delivery-settings', async (request, reply) => {
        const body = request.body ?? {};
        if (body.drop !== undefined) admin.dropWebhooks(body.drop === true);
        if (Array.isArray(body.redelivery_ms)) admin.setWebhookRedelivery(body.redelivery_ms.filter((ms) => Number.isInteger(ms) && ms >= 0));
        return reply.code(204).send();
      });
      scope.post<{ Params: { id: string } }>('/hooks/deliveries/:id/attempts', async (request, reply) => {
        const record = await admin.redeliver(Number(request.params.id));
        return record ? reply.code(202).send({ id: record.id, guid: record.guid, status: record.status }) : reply.code(404).send({ message: 'Not Found' });
      });
      scope.get('/deliveries', async () => {
        await admin.settle();
        return admin.deliveries();
      });
      scope.get('/faults', async () => admin.faults.config);
      scope.put<{ Body: Record<string, unknown> }>('/faults', async (request) => {
        admin.faults.configure(request.body ?? {});
        return admin.faults.config;
      });
      scope.get('/rate-limits', async () => admin.rateLimits.config);
      scope.put<{ Body: Record<string, unknown> }>('/rate-limits', async (request) => {
        admin.setRateLimits(request.body ?? {});
        return admin.rateLimits.config;
      });
      scope.post('/rate-limits/reset', async (_request, reply) => {
        admin.rateLimits.reset();
        return reply.code(204).send();
      });
    },
    { prefix: '/_admin' },
  );
}
