/**
 * The product half of api.atlassian.com: `/ex/jira/{cloudId}/...` and `/ex/confluence/{cloudId}/...`
 * forwarded unchanged (method, path, query, headers, raw body) to the product simulators, which serve
 * the same paths and do the bearer-token and scope checks themselves. With it one base URL
 * (`ATLASSIAN_API_URL`) serves accessible-resources, `/me` and both products, as in production.
 * A product with no simulator registered answers 404, as the gateway does for an unknown product path.
 */
import type { FastifyInstance } from 'fastify';

export type AtlassianProduct = 'jira' | 'confluence';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'te', 'trailer', 'proxy-authorization']);

export function gatewayRoutes(productUrls: Partial<Record<AtlassianProduct, string>>) {
  return async (scope: FastifyInstance): Promise<void> => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 10 * 1024 * 1024 }, (_request, body, done) => done(null, body));

    scope.all('/ex/:product/*', async (request, reply) => {
      const { product } = request.params as { product: string };
      const base = product === 'jira' || product === 'confluence' ? productUrls[product] : undefined;
      if (!base) return reply.code(404).send({ code: 404, message: 'Not Found' });
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (HOP_BY_HOP.has(name) || value === undefined) continue;
        headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : (request.body as Buffer | undefined);
      const upstream = await fetch(`${base.replace(/\/$/, '')}${request.url}`, {
        method: request.method,
        headers,
        body: body && body.length > 0 ? new Uint8Array(body) : undefined,
        redirect: 'manual',
      });
      const payload = Buffer.from(await upstream.arrayBuffer());
      reply.code(upstream.status);
      upstream.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') reply.header(name, value);
      });
      return reply.send(payload);
    });
  };
}
