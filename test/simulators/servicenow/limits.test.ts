/**
 * Rate-limit rules (429 with Retry-After and X-RateLimit-*), the shared fault injector (5xx, latency,
 * dropped connections) and the admin side (call counts, reset) of the ServiceNow simulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ServiceNowSimulator, startServiceNowSimulator } from './index.ts';
import { basic, call, result } from './test-helpers.ts';

let sim: ServiceNowSimulator;
// Pinned mid-hour so window arithmetic is exact: 2026-03-01 10:30:00.250 UTC.
const T0 = Date.parse('2026-03-01T10:30:00.250Z');

beforeAll(async () => {
  sim = await startServiceNowSimulator({ now: () => T0 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.admin.reset());

const incidents = () => `${sim.url}/api/now/table/incident`;

describe('rate-limit rule', () => {
  it('allows N per hour per user with X-RateLimit-* headers, then 429 with Retry-After and the ServiceNow body', async () => {
    sim.admin.setRateLimit({ limit: 3, per: 'hour', sysId: 'f'.repeat(32) });
    const resetAt = String(Date.parse('2026-03-01T11:00:00Z') / 1000);
    for (let i = 0; i < 3; i++) {
      const ok = await call(incidents(), { auth: sim.credentials.basicAuthHeader });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-ratelimit-limit')).toBe('3');
      expect(ok.headers.get('x-ratelimit-reset')).toBe(resetAt);
      expect(ok.headers.get('x-ratelimit-rule')).toBe('f'.repeat(32));
    }
    const limited = await call(incidents(), { auth: sim.credentials.basicAuthHeader });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe(String(30 * 60));
    expect(limited.headers.get('x-ratelimit-reset')).toBe(resetAt);
    expect(limited.json).toEqual({ error: { message: 'Rate limit exceeded', detail: 'Rate limit of 3 requests per hour for Table API exceeded' }, status: 'failure' });

    // Per user: another user still has its own budget; the token endpoint is not a Table API call.
    expect((await call(incidents(), { auth: basic(sim.credentials.readOnly.username, sim.credentials.readOnly.password) })).status).toBe(200);
    // The next window starts afresh.
    sim.admin.advanceClock(30 * 60_000);
    expect((await call(incidents(), { auth: sim.credentials.basicAuthHeader })).status).toBe(200);
  });

  it('a per-second rule for everyone (the benchmark rule) opens again in the next second', async () => {
    sim.admin.setRateLimit({ limit: 2, per: 'second', scope: 'all' });
    expect((await call(incidents(), { auth: sim.credentials.basicAuthHeader })).status).toBe(200);
    expect((await call(incidents(), { auth: basic(sim.credentials.readOnly.username, sim.credentials.readOnly.password) })).status).toBe(200);
    const limited = await call(incidents(), { auth: sim.credentials.basicAuthHeader });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((limited.json as { error: { detail: string } }).error.detail).toBe('Rate limit of 2 requests per second for Table API exceeded');
    sim.admin.advanceClock(750);
    expect((await call(incidents(), { auth: sim.credentials.basicAuthHeader })).status).toBe(200);
  });

  it('unauthenticated calls are refused before they count', async () => {
    sim.admin.setRateLimit({ limit: 1, per: 'hour' });
    expect((await call(incidents(), { auth: basic('sim.integration', 'wrong') })).status).toBe(401);
    expect((await call(incidents(), { auth: sim.credentials.basicAuthHeader })).status).toBe(200);
  });
});

describe('shared fault injector', () => {
  it('5xx: 500 as the JSON envelope, 503 as an HTML page; the admin side is never faulted', async () => {
    sim.admin.configureFaults({ errorRate: 1, errorStatuses: [500] });
    const failed = await call(incidents(), { auth: sim.credentials.basicAuthHeader });
    expect(failed.status).toBe(500);
    expect(failed.json).toMatchObject({ status: 'failure' });
    sim.admin.configureFaults({ errorStatuses: [503] });
    const unavailable = await call(incidents(), { auth: sim.credentials.basicAuthHeader });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('content-type')).toContain('text/html');
    expect((await call(`${sim.url}/_admin/state`)).status).toBe(200);
  });

  it('latency delays answers; dropped connections fail the request', async () => {
    sim.admin.configureFaults({ latencyMs: 120 });
    const started = performance.now();
    expect((await call(incidents(), { auth: sim.credentials.basicAuthHeader })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    sim.admin.configureFaults({ latencyMs: 0, resetRate: 1 });
    await expect(call(incidents(), { auth: sim.credentials.basicAuthHeader })).rejects.toThrow();
  });

  it('the latencyMs start option sets the injector latency', async () => {
    const slow = await startServiceNowSimulator({ latencyMs: 50 });
    try {
      expect(slow.admin.faults.config.latencyMs).toBe(50);
    } finally {
      await slow.close();
    }
  });
});

describe('admin side', () => {
  it('counts calls per endpoint (sys_ids folded), changes records as a user and resets everything', async () => {
    const created = result(await call(incidents(), { auth: sim.credentials.basicAuthHeader, body: { short_description: 'x' } }));
    const id = String(created.sys_id);
    await call(`${incidents()}/${id}`, { auth: sim.credentials.basicAuthHeader });
    await call(`${incidents()}/${id}`, { auth: sim.credentials.basicAuthHeader });
    await call(`${sim.url}/api/now/v2/table/incident/${id}`, { method: 'PATCH', auth: sim.credentials.basicAuthHeader, body: { description: 'd' } });
    expect(sim.admin.callCounts()).toEqual({
      'POST /api/now/table/incident': 1,
      'GET /api/now/table/incident/{sys_id}': 2,
      'PATCH /api/now/table/incident/{sys_id}': 1,
    });
    const counted = await call(`${sim.url}/_admin/calls`);
    expect(counted.json).toEqual(sim.admin.callCounts());

    const changed = await call(`${sim.url}/_admin/records/incident/${String(created.number)}/state`, { body: { state: 'Resolved', close_code: 'Solved (Permanently)', close_notes: 'fixed upstream' } });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ state: '6', sys_updated_by: 'beth.anglin', close_notes: 'fixed upstream' });
    const read = result(await call(`${incidents()}/${id}?sysparm_fields=state,sys_updated_by`, { auth: sim.credentials.basicAuthHeader }));
    expect(read).toEqual({ state: '6', sys_updated_by: 'beth.anglin' });
    expect((await call(`${sim.url}/_admin/records/incident`)).json).toHaveLength(1);

    sim.admin.setRateLimit({ limit: 1, per: 'hour' });
    sim.admin.setHibernating(true);
    await call(`${sim.url}/_admin/reset`, { method: 'POST', body: {} });
    expect(sim.admin.records('incident')).toEqual([]);
    expect(sim.admin.callCounts()).toEqual({});
    const after = await call(incidents(), { auth: sim.credentials.basicAuthHeader });
    expect(after.status).toBe(200);
    expect(after.headers.get('x-ratelimit-limit')).toBeNull();
  });
});
