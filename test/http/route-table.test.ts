/**
 * Routes are protected by default: this walks the whole route table (collected by the app's onRoute
 * hook, so a route added anywhere is in it) and checks that every route not explicitly public
 * refuses a caller without a token, and that the public list is exactly the expected one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredRoute } from '../../src/app.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';

/** Public on purpose: probes, the OpenAPI document and its UI, the CORS preflight route, webhook ingest. */
const expectedPublic = [
  'OPTIONS *',
  'GET /',
  'GET /health',
  'GET /ready',
  'GET /metrics',
  'GET /openapi.json',
  'GET /docs',
  'GET /docs/json',
  'GET /docs/yaml',
  'GET /docs/static/index.html',
  'GET /docs/static/swagger-initializer.js',
  'GET /docs/static/*',
  // Fastify registers the prefix route as both /docs and /docs/; only the HEAD twin of the latter
  // passes through onRoute.
  'HEAD /docs/',
  // Webhook ingest authenticates by signature (docs/webhooks.md).
  'POST /api/integrations/jira/webhook',
  'POST /api/integrations/servicenow/webhook',
  'POST /api/integrations/:provider/webhook/:endpointId',
  // OAuth callbacks: the browser comes back from the provider without our token; `state` authenticates.
  'GET /api/jira/callback',
  'GET /api/v1/auth/atlassian/callback',
  'GET /oauth/jira',
  'GET /oauth/servicenow',
  // Web UI sign-in, session and sign-out read the session cookie themselves (test/ui-server). The
  // UI's page and build files are served without routes (src/http/plugins/web-ui.ts).
  'POST /api/v1/session',
  'GET /api/v1/session',
  'DELETE /api/v1/session',
].flatMap((entry) => (entry.startsWith('GET ') ? [entry, entry.replace('GET', 'HEAD')] : [entry]));

/** A concrete URL for a route pattern: every parameter and wildcard filled in. */
function concrete(url: string): string {
  return url.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000').replace(/\*$/, 'anything');
}

const key = (route: RegisteredRoute) => `${route.method} ${route.url}`;

describe('route table', () => {
  let service: TestService;
  let routes: RegisteredRoute[];
  beforeAll(async () => {
    service = await startTestService('embedded');
    routes = service.app.routeTable();
  });
  afterAll(async () => {
    await service?.close();
  });

  it('holds every resource (the walk below is not vacuous)', () => {
    const protectedRoutes = routes.filter((route) => !route.public);
    expect(protectedRoutes.length).toBeGreaterThan(40);
    for (const prefix of ['/api/v1/jobs', '/api/v1/findings', '/api/v1/cases', '/api/v1/connections', '/api/v1/tickets', '/api/jira/tickets', '/internal/']) {
      expect(protectedRoutes.some((route) => route.url.startsWith(prefix)), prefix).toBe(true);
    }
  });

  it('public routes are exactly the expected ones', () => {
    expect(routes.filter((route) => route.public).map(key).sort()).toEqual([...expectedPublic].sort());
  });

  it('every other route answers 401 UNAUTHENTICATED with a Bearer challenge when no token is sent', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((entry) => !entry.public)) {
      const response = await service.app.inject({
        method: route.method as 'GET',
        url: concrete(route.url),
        // A body the route would accept or reject does not matter: credentials are checked first.
        ...(['POST', 'PUT', 'PATCH'].includes(route.method) ? { payload: {} } : {}),
      });
      const challenge = String(response.headers['www-authenticate'] ?? '');
      const body = route.method === 'HEAD' ? null : response.json();
      const ok =
        response.statusCode === 401 &&
        challenge.startsWith('Bearer realm="integration-service"') &&
        (body === null || (body.error?.code === 'UNAUTHENTICATED' && body.error?.message === 'missing bearer token'));
      if (!ok) failures.push(`${key(route)} → ${response.statusCode} ${challenge} ${response.body.slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
  });

  it('every other route refuses an invalid token the same way', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((entry) => !entry.public && entry.method !== 'HEAD')) {
      const response = await service.app.inject({
        method: route.method as 'GET',
        url: concrete(route.url),
        headers: { authorization: 'Bearer not.a.jwt' },
      });
      const ok =
        response.statusCode === 401 &&
        String(response.headers['www-authenticate']).includes('error="invalid_token"') &&
        response.json().error?.code === 'UNAUTHENTICATED';
      if (!ok) failures.push(`${key(route)} → ${response.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('public GET routes answer without a token', async () => {
    for (const url of ['/', '/health', '/ready', '/metrics', '/openapi.json', '/docs/', '/docs/json', '/docs/static/index.html']) {
      const response = await service.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).not.toBe(401);
      expect(response.statusCode, url).toBeLessThan(400);
    }
  });

  it('an unknown route still answers 404, with or without a token', async () => {
    for (const headers of [{}, { authorization: 'Bearer not.a.jwt' }]) {
      const response = await service.app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('NOT_FOUND');
    }
  });

  it('a CORS preflight to a protected route is answered without credentials', async () => {
    const response = await service.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/findings',
      headers: { origin: 'https://ui.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('*');
  });
});
