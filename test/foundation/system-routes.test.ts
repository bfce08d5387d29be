import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';

describe.each(databaseKinds())('system routes on %s', (kind) => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService(kind);
  });
  afterAll(async () => {
    await service?.close();
  });

  it('GET / names the service and links the docs', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ name: 'integration-service', links: { docs: '/docs', openapi: '/openapi.json' } });
  });

  it('GET /health answers with the current time in IST (+05:30) and the version', async () => {
    const before = Date.now();
    const response = await service.app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.status).toBe('ok');
    expect(body.version).toBe(service.context.version);
    expect(body.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+05:30$/);
    expect(Math.abs(Date.parse(body.time) - before)).toBeLessThan(5_000);
  });

  it('GET /ready is 200 when database, migrations and job runner are up', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'ready',
      checks: { database: { status: 'ok' }, migrations: { status: 'ok' }, jobs: { status: 'ok' } },
    });
  });

  it('GET /ready is 503 naming the migrations when one is missing', async () => {
    const applied = await service.context.db.query<{ id: number }>('select id from drizzle.__drizzle_migrations order by id desc limit 1');
    const last = applied[0];
    if (!last) throw new Error('no migration recorded');
    const [row] = await service.context.db.query<Record<string, unknown>>('select * from drizzle.__drizzle_migrations where id = $1', [last.id]);
    await service.context.db.query('delete from drizzle.__drizzle_migrations where id = $1', [last.id]);
    try {
      const response = await service.app.inject({ method: 'GET', url: '/ready' });
      expect(response.statusCode).toBe(503);
      expect(response.json().checks.migrations).toMatchObject({ status: 'failing' });
      expect(response.json().checks.database).toEqual({ status: 'ok' });
    } finally {
      await service.context.db.query('insert into drizzle.__drizzle_migrations (id, hash, created_at) values ($1, $2, $3)', [
        row?.id,
        row?.hash,
        row?.created_at,
      ]);
    }
  });

  it('GET /metrics exposes HTTP, job and clock metrics in Prometheus format', async () => {
    await service.app.inject({ method: 'GET', url: '/health' });
    const response = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toMatch(/http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    expect(response.body).toContain('# TYPE jobs gauge');
    expect(response.body).toContain('# TYPE clock_offset_seconds gauge');
    expect(response.body).toContain('# TYPE outbound_requests_total counter');
  });

  it('unknown routes get 404 in the one error shape', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/no/such/route?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route for GET /no/such/route' } });
  });

  it('a body over the limit gets 413 in the error shape', async () => {
    const token = await service.token({ roles: ['admin'] });
    const response = await service.app.inject({
      method: 'POST',
      url: '/api/v1/jobs/00000000-0000-4000-8000-000000000000/retry',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(service.config.bodyLimitBytes + 10) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('malformed JSON gets 400 INVALID_JSON', async () => {
    const token = await service.token({ roles: ['admin'] });
    const response = await service.app.inject({
      method: 'POST',
      url: '/api/v1/jobs/00000000-0000-4000-8000-000000000000/retry',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: '{"broken":',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('INVALID_JSON');
  });

  it('bad query input gets 400 naming the field', async () => {
    const token = await service.token();
    const response = await service.app.inject({
      method: 'GET',
      url: '/api/v1/jobs?state=exploded',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'query.state' });
  });

  it('CORS allows any origin by default', async () => {
    const response = await service.app.inject({
      method: 'OPTIONS',
      url: '/health',
      headers: { origin: 'https://ui.example', 'access-control-request-method': 'GET' },
    });
    expect(response.headers['access-control-allow-origin']).toBe('*');
  });

  it('every response carries a request id', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(response.headers['x-request-id']).toBe('abc-123');
  });

  it('makes a distinct request id when the client sends none or an invalid one', async () => {
    const first = await service.app.inject({ method: 'GET', url: '/health' });
    const second = await service.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'not valid!' } });
    const ids = [first.headers['x-request-id'], second.headers['x-request-id']];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('GET /health answers exactly the documented fields', async () => {
    const body = (await service.app.inject({ method: 'GET', url: '/health' })).json();
    expect(Object.keys(body)).toEqual(['status', 'service', 'version', 'time', 'timezone', 'uptime_seconds', 'clock']);
    expect(body).toMatchObject({ service: 'integration-service', timezone: expect.any(String), uptime_seconds: expect.any(Number) });
    expect(Object.keys(body.clock)).toEqual(['server', 'offset_ms', 'checked_at']);
    const documented = ((await service.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: { required: string[] } }> }> } }> })
      .paths['/health']?.get.responses['200']?.content['application/json']?.schema;
    expect(documented?.required).toEqual(['status', 'service', 'version', 'time', 'timezone', 'uptime_seconds', 'clock']);
  });

  it('a request without Origin (curl) gets the same CORS headers as before: any origin, exposed headers, no Vary', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/health' });
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-expose-headers']).toBe('X-Request-Id, Retry-After');
    expect(response.headers.vary).toBeUndefined();
    const withOrigin = await service.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://ui.example' } });
    expect(withOrigin.headers['access-control-allow-origin']).toBe('*');
    expect(withOrigin.headers['access-control-expose-headers']).toBe('X-Request-Id, Retry-After');
    // A preflight without Origin is still the library's: refused.
    const preflight = await service.app.inject({ method: 'OPTIONS', url: '/health', headers: { 'access-control-request-method': 'GET' } });
    expect(preflight.statusCode).toBe(400);
  });
});

describe('CORS with a list of origins', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService('embedded', { CORS_ORIGINS: 'https://a.example, https://b.example' });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('echoes a listed origin and refuses others', async () => {
    const allowed = await service.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://b.example' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://b.example');
    const refused = await service.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example' } });
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a request without Origin gets Vary: Origin and the exposed headers, no allowed origin', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/health' });
    expect(response.headers.vary).toBe('Origin');
    expect(response.headers['access-control-expose-headers']).toBe('X-Request-Id, Retry-After');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    const refused = await service.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example' } });
    expect(refused.headers.vary).toBe('Origin');
  });
});

describe('GET /ready with REDIS_URL set', () => {
  it('is 503 naming Redis when nothing answers at REDIS_URL', async () => {
    // Port 1 on loopback: nothing listens there, so every connection attempt is refused.
    const service = await startTestService('embedded', { REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const response = await service.app.inject({ method: 'GET', url: '/ready' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({
        status: 'not_ready',
        checks: {
          database: { status: 'ok' },
          migrations: { status: 'ok' },
          jobs: { status: 'ok' },
          redis: { status: 'failing', detail: 'redis (REDIS_URL) did not answer' },
        },
      });
    } finally {
      await service.close();
    }
  });

  it('is 200 with the Redis check when Redis answers (needs Redis at 127.0.0.1:6379, as `npm test` does)', async () => {
    const service = await startTestService('embedded', { REDIS_URL: 'redis://127.0.0.1:6379' });
    try {
      const response = await service.app.inject({ method: 'GET', url: '/ready' });
      expect(response.json().checks.redis, 'Redis must be running at 127.0.0.1:6379 for this test').toEqual({ status: 'ok' });
      expect(response.statusCode).toBe(200);
    } finally {
      await service.close();
    }
  });
});
