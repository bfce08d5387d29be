/**
 * Every failure the ServiceNow client maps, through real HTTP against the simulator: bad credentials
 * (401 with the Service-now realm), ACL (403), OAuth scope, invalid table (400), no record (404),
 * 429 with Retry-After honoured and shared, a hibernating instance (503 HTML page), an instance that
 * is not there, and the exactly-once create when the answer to a stored create is lost.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundClient } from '../../../src/http-client/index.ts';
import { staticCredentials } from '../../../src/providers/credentials/index.ts';
import { isServiceNowChallenge, ServiceNowError, testServiceNowConnection } from '../../../src/providers/servicenow/index.ts';
import { createMemorySharedState } from '../../../src/shared-state/index.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../../simulators/servicenow/index.ts';
import { basicSource, type Harness, makeClient, outbound, silentLogger, uniqueKey } from './helpers.ts';

let sim: ServiceNowSimulator;
let h: Harness;

beforeAll(async () => {
  sim = await startServiceNowSimulator();
  h = makeClient(sim);
});
afterEach(() => sim.admin.reset());
afterAll(async () => {
  await h.http.close();
  await sim.close();
});

async function failure(promise: Promise<unknown>): Promise<ServiceNowError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceNowError);
  return error as ServiceNowError;
}

describe('error mapping', () => {
  it('401: bad password → PROVIDER_AUTH_FAILED naming the user and password, never the secret', async () => {
    const bad = makeClient(sim, { credentials: staticCredentials({ kind: 'basic', username: sim.credentials.username, password: 'wrong-password-123' }) });
    const error = await failure(bad.client.get('incident', '0'.repeat(32)));
    expect(error).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', provider: 'servicenow', upstreamStatus: 401, status: 502, retryable: false });
    expect(error.message).toMatch(/rejected the credentials: check the user name and password/);
    expect(error.message).not.toContain('wrong-password-123');
    await bad.http.close();
  });

  it('401 realm is compared case-insensitively', () => {
    expect(isServiceNowChallenge({ 'www-authenticate': 'BASIC realm="Service-now"' })).toBe(true);
    expect(isServiceNowChallenge({ 'www-authenticate': 'Basic realm="Service-now"' })).toBe(true);
    expect(isServiceNowChallenge({ 'www-authenticate': 'basic REALM="SERVICE-NOW"' })).toBe(true);
    expect(isServiceNowChallenge({ 'www-authenticate': 'Basic realm="nginx"' })).toBe(false);
    expect(isServiceNowChallenge({})).toBe(false);
  });

  it('403 ACL: a read-only user creating → PROVIDER_FORBIDDEN asking for a role, quoting ServiceNow', async () => {
    const ro = makeClient(sim, { credentials: basicSource(sim, sim.credentials.readOnly) });
    const error = await failure(ro.client.create('incident', { short_description: 'no' }));
    expect(error).toMatchObject({ code: 'PROVIDER_FORBIDDEN', upstreamStatus: 403, upstreamMessage: 'Operation Failed' });
    expect(error.message).toMatch(/access control.*role that may write table 'incident' \(itil for incident\).*ACL Exception Insert Failed/);
    expect(error.outcomeUnknown).toBe(false);
    await ro.http.close();
  });

  it('403 for an OAuth token without the write scope names the scope', async () => {
    const token = sim.admin.issueTokensDirectly(sim.credentials.username, ['ticket.read']);
    const reader = makeClient(sim, { credentials: staticCredentials({ kind: 'oauth2', accessToken: token.access_token, refreshToken: null, expiresAt: null, scopes: ['ticket.read'] }) });
    const error = await failure(reader.client.create('incident', { short_description: 'no' }));
    expect(error.code).toBe('PROVIDER_FORBIDDEN');
    expect(error.message).toMatch(/lacks the scope.*ticket\.write/);
    await reader.http.close();
  });

  it('400 invalid table → PROJECT_NOT_FOUND on field table', async () => {
    const error = await failure(h.client.create('u_no_such_table', { short_description: 'x' }));
    expect(error).toMatchObject({ code: 'PROJECT_NOT_FOUND', field: 'table', upstreamStatus: 400, upstreamMessage: 'Invalid table u_no_such_table' });
    expect(error.message).toMatch(/no table 'u_no_such_table'.*check the table name/);
  });

  it('404 by id → TICKET_NOT_FOUND; an update of a missing record too', async () => {
    const missing = '0123456789abcdef0123456789abcdef';
    const error = await failure(h.client.get('incident', missing));
    expect(error).toMatchObject({ code: 'TICKET_NOT_FOUND', upstreamStatus: 404, upstreamMessage: 'No Record found' });
    expect(error.message).toContain(missing);
    expect((await failure(h.client.update('incident', missing, { urgency: '1' }))).code).toBe('TICKET_NOT_FOUND');
  });

  it('data policy refusal (close fields required) → PROVIDER_FIELD_REJECTED', async () => {
    sim.admin.setRequireCloseFields(true);
    const created = await h.client.create('incident', { short_description: 'x' });
    const error = await failure(h.client.update('incident', created.sysId, { state: '6' }));
    expect(error).toMatchObject({ code: 'PROVIDER_FIELD_REJECTED', field: 'close_code', upstreamStatus: 403 });
    expect(error.message).toMatch(/data policy refused.*Data Policy Exception/);
  });

  it('hibernating developer instance → PROVIDER_UNAVAILABLE saying to wake it; the connection test says so too', async () => {
    sim.admin.setHibernating(true);
    const error = await failure(h.client.get('incident', '0'.repeat(32)));
    expect(error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', hibernating: true, upstreamStatus: 503, retryable: true });
    expect(error.message).toMatch(/is hibernating.*wake it/);
    const created = await failure(h.client.create('incident', { short_description: 'x' }));
    expect(created.outcomeUnknown).toBe(false);
    const test = testServiceNowConnection(
      { connectionId: null, orgId: null, siteUrl: sim.url, apiUrl: null, apiBaseUrl: null, settings: {}, credentials: basicSource(sim) },
      { http: h.http, sharedState: createMemorySharedState(), logger: silentLogger, timeoutMs: 5000 },
    );
    await expect(test).rejects.toThrow(/hibernating/);
  });

  it('an instance that is not there → PROVIDER_UNREACHABLE', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const gone = makeClient(sim, { instanceUrl: `http://127.0.0.1:${port}` });
    const error = await failure(gone.client.get('incident', '0'.repeat(32)));
    expect(error.code).toBe('PROVIDER_UNREACHABLE');
    expect(error.message).toMatch(/refused the connection: check the instance URL/);
    await gone.http.close();
  });
});

describe('connection test', () => {
  const targetOf = (credentials = basicSource(sim), settings: Record<string, string> = {}) => ({
    connectionId: null,
    orgId: null,
    siteUrl: sim.url,
    apiUrl: null,
    apiBaseUrl: null,
    settings,
    credentials,
  });
  const deps = () => ({ http: h.http, sharedState: createMemorySharedState(), logger: silentLogger, timeoutMs: 5000 });

  it('answers who the credentials belong to and that the table is readable', async () => {
    const result = await testServiceNowConnection(targetOf(), deps());
    expect(result).toMatchObject({ ok: true, code: null, account: { account_id: expect.stringMatching(/^[0-9a-f]{32}$/) } });
    expect(result.message).toMatch(/^connected to 127\.0\.0\.1:\d+ as .+; table incident is readable$/);
  });

  it('bad credentials and a missing table are actionable', async () => {
    const badUser = staticCredentials({ kind: 'basic', username: 'nobody', password: 'x' });
    await expect(testServiceNowConnection(targetOf(badUser), deps())).rejects.toMatchObject({ code: 'PROVIDER_AUTH_FAILED' });
    await expect(testServiceNowConnection(targetOf(undefined, { table: 'u_missing' }), deps())).rejects.toMatchObject({ code: 'PROJECT_NOT_FOUND', field: 'table' });
  });
});

describe('rate limits', () => {
  it('429: waits Retry-After, then every call succeeds; the pause is shared with another client of the connection', async () => {
    sim.admin.setRateLimit({ limit: 3, per: 'second', scope: 'all' });
    const sharedState = createMemorySharedState();
    const statuses: number[] = [];
    const inner = outbound();
    const recording: OutboundClient = {
      request: async (req) => {
        const response = await inner.request(req);
        statuses.push(response.status);
        return response;
      },
      close: () => inner.close(),
    };
    // A limit the client's own window count cannot see coming: another user of the rule spent it.
    const a = makeClient(sim, { connectionId: 'rl' }, { sharedState, http: recording });
    const other = makeClient(sim, { connectionId: 'someone-else' });
    await Promise.all([1, 2, 3].map(() => other.client.list('incident', { pageSize: 1, maxRecords: 1 })));
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 5 }, () => a.client.list('incident', { pageSize: 1, maxRecords: 1 })));
    expect(results).toHaveLength(5);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    // The 429 came with Retry-After ≥ 1 s (the per-second window's end, rounded up): nothing was sent before it passed.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Number(await sharedState.get('servicenow:pause:conn:rl'))).toBeGreaterThan(started);
    await inner.close();
    await other.http.close();
  });

  it('counts calls in the rule window from X-RateLimit-Limit/Reset and pauses before the instance refuses', async () => {
    sim.admin.setRateLimit({ limit: 4, per: 'second', scope: 'all' });
    const inner = outbound();
    const statuses: number[] = [];
    const http: OutboundClient = { request: async (req) => { const r = await inner.request(req); statuses.push(r.status); return r; }, close: () => inner.close() };
    const a = makeClient(sim, { connectionId: 'window' }, { limits: { maxConcurrent: 4 }, http });
    await Promise.all(Array.from({ length: 12 }, () => a.client.list('incident', { pageSize: 1, maxRecords: 1 })));
    expect(statuses).toEqual(Array.from({ length: 12 }, () => 200));
    await inner.close();
  });

  it('a pause longer than the wait budget fails with PROVIDER_RATE_LIMITED and its Retry-After', async () => {
    sim.admin.setRateLimit({ limit: 1, per: 'hour', scope: 'all' });
    const a = makeClient(sim, { connectionId: 'hourly' }, { limits: { maxRateLimitWaitMs: 2000 } });
    await a.client.list('incident', { pageSize: 1, maxRecords: 1 });
    const error = await failure(a.client.list('incident', { pageSize: 1, maxRecords: 1 }));
    expect(error).toMatchObject({ code: 'PROVIDER_RATE_LIMITED', retryable: true, status: 503 });
    expect(error.retryAfterMs).toBeGreaterThan(2000);
    await a.http.close();
  });
});

/**
 * A proxy in front of the simulator that forwards a request and, for the first N creates, destroys
 * the client's connection once the simulator has answered (the record is stored, the answer lost).
 */
async function droppingProxy(upstream: string, dropCreates: number): Promise<{ url: string; dropped: () => number; close: () => Promise<void> }> {
  let dropped = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = http.request(`${upstream}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        const body: Buffer[] = [];
        answer.on('data', (c: Buffer) => body.push(c));
        answer.on('end', () => {
          if (req.method === 'POST' && /^\/api\/now\/table\//.test(req.url ?? '') && dropped < dropCreates) {
            dropped++;
            req.socket.destroy();
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(Buffer.concat(body));
        });
      });
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    dropped: () => dropped,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('exactly once under lost answers', () => {
  it('a create whose answer is lost after it was stored: outcomeUnknown, and createOnce finds it instead of resending', async () => {
    const proxy = await droppingProxy(sim.url, 2);
    const p = makeClient(sim, { instanceUrl: proxy.url });
    try {
      const lost = await failure(p.client.create('incident', { short_description: 'plain create' }));
      expect(lost).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', outcomeUnknown: true, retryable: true });

      const key = uniqueKey('lost');
      const result = await p.client.createOnce('incident', key, { short_description: 'exactly once' });
      expect(result).toMatchObject({ created: false, reconciled: 1 });
      expect(proxy.dropped()).toBe(2);
      const stored = sim.admin.records('incident').filter((r) => r.correlation_id === key);
      expect(stored).toHaveLength(1);
      expect(result.record.sysId).toBe(stored[0]?.sys_id);
      expect(sim.admin.received({ method: 'POST', path: '/api/now/table/incident' })).toHaveLength(2);
    } finally {
      await p.http.close();
      await proxy.close();
    }
  });

  it('a dropped connection before the simulator stored anything (fault injector reset): the lookup finds nothing and the create is resent once', async () => {
    const key = uniqueKey('reset');
    const sharedState = createMemorySharedState();
    const p = makeClient(sim, {}, { sharedState });
    // The first request after the lookup is dropped by the simulator's fault injector, before routing.
    const [found] = await p.client.findByCorrelationId('incident', key);
    expect(found).toBeUndefined();
    sim.admin.configureFaults({ resetRate: 1 });
    const pending = p.client.createOnce('incident', key, { short_description: 'resent' }, { lookupFirst: false, maxAttempts: 1 });
    const error = await failure(pending);
    expect(error.outcomeUnknown).toBe(true);
    sim.admin.configureFaults({ resetRate: 0 });
    const result = await p.client.createOnce('incident', key, { short_description: 'resent' });
    expect(result).toMatchObject({ created: true });
    expect(sim.admin.records('incident').filter((r) => r.correlation_id === key)).toHaveLength(1);
    await p.http.close();
  });
});
