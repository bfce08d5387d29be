import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createOutboundClient,
  createOutboundGuard,
  OUTBOUND_INVALID_JSON,
  OUTBOUND_NETWORK_ERROR,
  OUTBOUND_RESPONSE_TOO_LARGE,
  OUTBOUND_TIMEOUT,
  OUTBOUND_TOO_MANY_REDIRECTS,
  OUTBOUND_URL_REFUSED,
  type OutboundCallEvent,
  type OutboundClientOptions,
  type OutboundGuard,
} from '../../src/http-client/index.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local server whose behaviour each test sets; it records every request it receives. */
function startServer(): Promise<{ server: Server; origin: string; port: number; received: Received[]; handle: (h: Handler) => void }> {
  const received: Received[] = [];
  let handler: Handler = (_req, res) => res.end('ok');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, origin: `http://127.0.0.1:${port}`, port, received, handle: (h) => (handler = h) });
    }),
  );
}

/** Answers the given statuses in turn, then 200. */
function sequence(...steps: Array<[number, Record<string, string>?]>): Handler {
  let index = 0;
  return (_req, res) => {
    const [status, headers] = steps[index++] ?? [200, { 'content-type': 'application/json' }];
    res.writeHead(status, headers);
    res.end(status === 200 ? JSON.stringify({ ok: true }) : `status ${status}`);
  };
}

let main: Awaited<ReturnType<typeof startServer>>;
let other: Awaited<ReturnType<typeof startServer>>;
let logLines: string[];
let events: OutboundCallEvent[];
let sleeps: number[];
let registry: Registry;
const clients: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  main = await startServer();
  other = await startServer();
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  main.server.closeAllConnections();
  other.server.closeAllConnections();
  await Promise.all([main, other].map(({ server }) => new Promise((resolve) => server.close(resolve))));
});
beforeEach(() => {
  main.received.length = 0;
  other.received.length = 0;
  logLines = [];
  events = [];
  sleeps = [];
  registry = new Registry();
});

function client(overrides: Partial<OutboundClientOptions> = {}) {
  const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });
  const created = createOutboundClient({
    logger,
    metrics: { registry },
    onCall: (event) => {
      events.push(event);
    },
    guard: createOutboundGuard({ allowedHosts: ['127.0.0.1', 'localhost'] }),
    defaultTimeoutMs: 2000,
    maxRetries: 3,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
  clients.push(created);
  return created;
}

describe('outbound client: retries', () => {
  it('retries a 429 after the Retry-After delay', async () => {
    main.handle(sequence([429, { 'retry-after': '2' }]));
    const response = await client().request({ method: 'POST', url: `${main.origin}/rest/api/3/issue`, body: { a: 1 } });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ ok: true });
    expect(main.received).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
    expect(sleeps[0]).toBeLessThanOrEqual(2200);
    expect(events.map((event) => [event.status, event.attempt])).toEqual([
      [429, 1],
      [200, 2],
    ]);
  });

  it('returns a 429 whose Retry-After is past the cap instead of sleeping', async () => {
    main.handle(sequence([429, { 'retry-after': '3600' }]));
    const response = await client().request({ method: 'GET', url: `${main.origin}/x` });
    expect(response.status).toBe(429);
    expect(sleeps).toEqual([]);
    expect(main.received).toHaveLength(1);
  });

  it('retries 503 for GET with backoff, not for POST', async () => {
    main.handle(sequence([503], [503]));
    const response = await client({ random: () => 0.5 }).request({ method: 'GET', url: `${main.origin}/x` });
    expect(response.status).toBe(200);
    expect(main.received).toHaveLength(3);
    expect(sleeps).toEqual([125, 250]); // full jitter with random 0.5 over 250 ms, then 500 ms ceilings

    main.received.length = 0;
    main.handle(sequence([503]));
    expect((await client().request({ method: 'POST', url: `${main.origin}/x`, body: 'x' })).status).toBe(503);
    expect(main.received).toHaveLength(1);
  });

  it('gives up after maxAttempts and returns the last response', async () => {
    main.handle((_req, res) => {
      res.statusCode = 502;
      res.end();
    });
    const response = await client().request({ method: 'GET', url: `${main.origin}/x`, retry: { maxAttempts: 2 } });
    expect(response.status).toBe(502);
    expect(main.received).toHaveLength(2);
  });

  it('never retries a 400', async () => {
    main.handle(sequence([400]));
    const response = await client().request({ method: 'GET', url: `${main.origin}/x` });
    expect(response.status).toBe(400);
    expect(main.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('times out a slow server, and retries the timeout for idempotent methods', async () => {
    main.handle((_req, res) => {
      setTimeout(() => res.end('late'), 1000).unref();
    });
    const started = performance.now();
    await expect(
      client({ maxRetries: 0 }).request({ method: 'GET', url: `${main.origin}/slow`, timeoutMs: 100 }),
    ).rejects.toMatchObject({ code: OUTBOUND_TIMEOUT, attempts: 1 });
    expect(performance.now() - started).toBeLessThan(900);
    expect(events[0]).toMatchObject({ status: null, error: OUTBOUND_TIMEOUT });

    main.received.length = 0;
    await expect(
      client().request({ method: 'GET', url: `${main.origin}/slow`, timeoutMs: 100, retry: { maxAttempts: 2 } }),
    ).rejects.toMatchObject({ code: OUTBOUND_TIMEOUT, attempts: 2 });
    expect(main.received).toHaveLength(2);
  });

  it('retries a refused connection even for POST, since nothing was sent', async () => {
    const closed = await startServer();
    const port = closed.port;
    await new Promise((resolve) => closed.server.close(resolve));
    const error = await client({ maxRetries: 2 })
      .request({ method: 'POST', url: `http://127.0.0.1:${port}/x`, body: 'x' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: OUTBOUND_NETWORK_ERROR, causeCode: 'ECONNREFUSED', attempts: 3 });
    expect(sleeps).toHaveLength(2);
  });
});

describe('outbound client: redirects', () => {
  it('refuses a redirect to a refused host', async () => {
    main.handle((_req, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    });
    await expect(client().request({ method: 'GET', url: `${main.origin}/start` })).rejects.toMatchObject({
      code: OUTBOUND_URL_REFUSED,
      reason: 'https is required',
    });
    main.handle((_req, res) => {
      res.writeHead(302, { location: 'https://169.254.169.254/latest/meta-data/' });
      res.end();
    });
    await expect(client().request({ method: 'GET', url: `${main.origin}/start` })).rejects.toMatchObject({
      code: OUTBOUND_URL_REFUSED,
      reason: 'address 169.254.169.254 is the cloud metadata address',
    });
    expect(events.at(-1)).toMatchObject({ host: '169.254.169.254', error: OUTBOUND_URL_REFUSED, status: null });
  });

  it('keeps Authorization on the same origin and drops it for another host', async () => {
    other.handle((_req, res) => res.end('landed'));
    main.handle((req, res) => {
      if (req.url === '/a') {
        res.writeHead(307, { location: '/b' });
      } else {
        res.writeHead(308, { location: `http://localhost:${other.port}/c` });
      }
      res.end();
    });
    const response = await client().request({
      method: 'GET',
      url: `${main.origin}/a`,
      headers: { Authorization: 'Bearer secret-token', Cookie: 'sid=1', 'X-Trace': 't' },
    });
    expect(response.body).toBe('landed');
    expect(response.redirects).toBe(2);
    expect(main.received.map((r) => r.headers.authorization)).toEqual(['Bearer secret-token', 'Bearer secret-token']);
    expect(other.received[0]?.headers.authorization).toBeUndefined();
    expect(other.received[0]?.headers.cookie).toBeUndefined();
    expect(other.received[0]?.headers['x-trace']).toBe('t');
  });

  it('turns a POST into a GET on 303 and keeps the method on 307', async () => {
    main.handle((req, res) => {
      if (req.url === '/see-other') res.writeHead(303, { location: '/done' });
      else if (req.url === '/temporary') res.writeHead(307, { location: '/done' });
      res.end('done');
    });
    const http = client();
    await http.request({ method: 'POST', url: `${main.origin}/see-other`, body: { a: 1 } });
    await http.request({ method: 'POST', url: `${main.origin}/temporary`, body: { a: 1 } });
    expect(main.received.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
      'POST /see-other {"a":1}',
      'GET /done ',
      'POST /temporary {"a":1}',
      'POST /done {"a":1}',
    ]);
  });

  it('stops after five redirects', async () => {
    main.handle((_req, res) => {
      res.writeHead(302, { location: '/again' });
      res.end();
    });
    await expect(client().request({ method: 'GET', url: `${main.origin}/loop` })).rejects.toMatchObject({
      code: OUTBOUND_TOO_MANY_REDIRECTS,
    });
    expect(main.received).toHaveLength(6);
  });

  it('can leave redirects to the caller', async () => {
    main.handle((_req, res) => {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    });
    const response = await client().request({ method: 'GET', url: `${main.origin}/x`, followRedirects: false });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/elsewhere');
  });
});

describe('outbound client: observability', () => {
  it('logs one line per attempt with no header, query or body secrets', async () => {
    main.handle(sequence([503]));
    await client().request({
      method: 'PUT',
      url: `${main.origin}/rest/api/3/issue/SEC-1?access_token=QUERY_SECRET&expand=x`,
      headers: { authorization: 'Bearer HEADER_SECRET' },
      body: { password: 'BODY_SECRET' },
      context: { provider: 'jira-cloud', connectionId: 'conn-1', orgId: 'org-1' },
    });
    expect(logLines).toHaveLength(2);
    const all = logLines.join('\n');
    for (const secret of ['HEADER_SECRET', 'QUERY_SECRET', 'BODY_SECRET', 'Bearer', 'expand']) {
      expect(all).not.toContain(secret);
    }
    const [first, second] = logLines.map((line) => JSON.parse(line));
    expect(first).toMatchObject({
      method: 'PUT',
      host: `127.0.0.1:${main.port}`,
      path: '/rest/api/3/issue/SEC-1',
      status: 503,
      attempt: 1,
      provider: 'jira-cloud',
      connection_id: 'conn-1',
      org_id: 'org-1',
      level: 40,
    });
    expect(typeof first.duration_ms).toBe('number');
    expect(second).toMatchObject({ status: 200, attempt: 2, level: 30 });
  });

  it('calls onCall for every attempt and survives a failing hook', async () => {
    main.handle(sequence([429, { 'retry-after': '0' }]));
    const calls: OutboundCallEvent[] = [];
    const http = client({
      onCall: async (event) => {
        calls.push(event);
        throw new Error('audit store down');
      },
    });
    const response = await http.request({ method: 'GET', url: `${main.origin}/p?q=1`, context: { provider: 'github' } });
    expect(response.status).toBe(200);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ method: 'GET', host: `127.0.0.1:${main.port}`, path: '/p', status: 429, attempt: 1, provider: 'github' });
    expect(calls[0]?.durationMs).toBeGreaterThanOrEqual(0);
    expect(logLines.some((line) => line.includes('outbound onCall hook failed'))).toBe(true);
  });

  it('exports request counts and durations to the given registry', async () => {
    main.handle(sequence([503]));
    await client().request({ method: 'GET', url: `${main.origin}/m`, context: { provider: 'jira-cloud' } });
    await client().request({ method: 'GET', url: `${main.origin}/m`, context: { provider: 'jira-cloud' } });
    const text = await registry.metrics();
    expect(text).toContain('outbound_requests_total{provider="jira-cloud",method="GET",status="503"} 1');
    expect(text).toContain('outbound_requests_total{provider="jira-cloud",method="GET",status="200"} 2');
    expect(text).toMatch(/outbound_request_duration_seconds_count\{provider="jira-cloud",method="GET",status="200"\} 2/);
  });
});

describe('outbound client: bodies and pinning', () => {
  it('sends objects as JSON and exposes headers and text', async () => {
    main.handle((_req, res, body) => {
      res.setHeader('x-echo', 'yes');
      res.end(body);
    });
    const response = await client().request({ method: 'POST', url: `${main.origin}/echo`, body: { n: 1 } });
    expect(main.received[0]?.headers['content-type']).toBe('application/json');
    expect(main.received[0]?.headers['user-agent']).toBe('integration-service');
    expect(response.body).toBe('{"n":1}');
    expect(response.headers['x-echo']).toBe('yes');
  });

  it('reports invalid JSON and oversized bodies with codes', async () => {
    main.handle((_req, res) => res.end('<html>secret page</html>'));
    const response = await client().request({ method: 'GET', url: `${main.origin}/html` });
    expect(() => response.json()).toThrow(expect.objectContaining({ code: OUTBOUND_INVALID_JSON }));
    main.handle((_req, res) => res.end('x'.repeat(5000)));
    await expect(
      client({ maxResponseBytes: 1000 }).request({ method: 'GET', url: `${main.origin}/big` }),
    ).rejects.toMatchObject({ code: OUTBOUND_RESPONSE_TOO_LARGE });
  });

  it('connects to the address the guard checked, keeping the name as Host', async () => {
    // A guard that vouches for a name no real DNS knows: the request can only land if the client
    // uses the checked address rather than resolving the name again.
    const pinningGuard: OutboundGuard = {
      check: async (url) => new URL(String(url)),
      resolve: async (url) => ({
        url: new URL(String(url)),
        hostname: 'api.pinned.invalid',
        addresses: [{ address: '127.0.0.1', family: 4 }],
        allowListed: false,
      }),
    };
    main.handle((_req, res) => res.end('pinned'));
    const response = await client({ guard: pinningGuard }).request({
      method: 'GET',
      url: `http://api.pinned.invalid:${main.port}/x`,
    });
    expect(response.body).toBe('pinned');
    expect(main.received[0]?.headers.host).toBe(`api.pinned.invalid:${main.port}`);
  });

  it('pins HTTPS too: TLS name checks use the hostname, the socket uses the checked address', async () => {
    const fixtures = new URL('./fixtures/', import.meta.url);
    const cert = await readFile(new URL('pinned-host.cert.pem', fixtures), 'utf8');
    const key = await readFile(new URL('pinned-host.key.pem', fixtures), 'utf8');
    const hosts: string[] = [];
    const tlsServer = createHttpsServer({ cert, key }, (req, res) => {
      hosts.push(req.headers.host ?? '');
      res.end('tls pinned');
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const { port } = tlsServer.address() as AddressInfo;
    const pinTo = (address: string): OutboundGuard => ({
      check: async (url) => new URL(String(url)),
      resolve: async (url) => ({
        url: new URL(String(url)),
        hostname: 'api.pinned.invalid',
        addresses: [{ address, family: 4 }],
        allowListed: false,
      }),
    });
    try {
      const pinned = client({ guard: pinTo('127.0.0.1'), extraCaCerts: [cert] });
      const response = await pinned.request({ method: 'GET', url: `https://api.pinned.invalid:${port}/x` });
      expect(response.body).toBe('tls pinned');
      expect(hosts).toEqual([`api.pinned.invalid:${port}`]);
      // Without the test CA the certificate is rejected: pinning does not weaken verification.
      await expect(
        client({ guard: pinTo('127.0.0.1'), maxRetries: 0 }).request({
          method: 'GET',
          url: `https://api.pinned.invalid:${port}/x`,
        }),
      ).rejects.toMatchObject({ code: OUTBOUND_NETWORK_ERROR });
    } finally {
      tlsServer.closeAllConnections();
      await new Promise((resolve) => tlsServer.close(resolve));
    }
  });

  it('refuses a private URL before sending anything', async () => {
    const strict = client({ guard: createOutboundGuard({ allowedHosts: [] }) });
    await expect(strict.request({ method: 'GET', url: `${main.origin}/x` })).rejects.toMatchObject({
      code: OUTBOUND_URL_REFUSED,
    });
    await expect(strict.request({ method: 'GET', url: 'http://localhost/' })).rejects.toMatchObject({
      code: OUTBOUND_URL_REFUSED,
    });
    expect(main.received).toHaveLength(0);
    expect(events[0]).toMatchObject({ status: null, error: OUTBOUND_URL_REFUSED });
  });
});
