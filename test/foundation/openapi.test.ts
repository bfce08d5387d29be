import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/runtime.ts';

describe('OpenAPI document', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService('embedded');
  });
  afterAll(async () => {
    await service?.close();
  });

  it('/openapi.json is a valid OpenAPI 3.1 document', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every registered route that is not hidden, and nothing else', async () => {
    const document = (await service.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const documented = Object.entries<Record<string, unknown>>(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    // The route table comes from the app's onRoute hook, so a route added anywhere is in it.
    // HEAD twins of GET routes are Fastify's, not operations of ours.
    const registered = service.app
      .routeTable()
      .filter((route) => !route.hidden && route.method !== 'HEAD')
      .map((route) => `${route.method} ${route.url.replace(/:([A-Za-z]+)/g, '{$1}')}`);
    expect(registered.length).toBeGreaterThan(30);
    expect([...new Set(documented)].sort()).toEqual([...new Set(registered)].sort());
  });

  it('every operation declares its responses', async () => {
    const document = (await service.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const [path, item] of Object.entries<Record<string, { responses?: object }>>(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (path === '/metrics') continue;
        expect(Object.keys(operation.responses ?? {}), `${method.toUpperCase()} ${path}`).not.toHaveLength(0);
      }
    }
  });

  it('/docs serves the interactive documentation', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/docs/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
  });
});
