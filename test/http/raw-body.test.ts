/**
 * The raw-body plugin, on a test-only encapsulated route (webhook routes arrive in a later issue):
 * the exact bytes are kept next to the parsed JSON inside the scope, with the scope's size limit,
 * and nothing changes for routes outside it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandling } from '../../src/http/plugins/errors.ts';
import { rawBody } from '../../src/http/plugins/raw-body.ts';

const secret = 'webhook-secret';
const sign = (bytes: Buffer | string) => `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`;

describe('raw-body plugin', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify({ bodyLimit: 4096 });
    installErrorHandling(app);
    await app.register(async (webhooks) => {
      await webhooks.register(rawBody, { bodyLimit: 256 });
      webhooks.post('/hook', async (request) => {
        // What a webhook route does with it: an HMAC over the bytes as received.
        const expected = Buffer.from(sign(request.rawBody ?? ''));
        const given = Buffer.from(String(request.headers['x-hub-signature-256'] ?? ''));
        return {
          raw_base64: request.rawBody?.toString('base64') ?? null,
          parsed: request.body,
          signature_valid: expected.length === given.length && timingSafeEqual(expected, given),
        };
      });
      webhooks.post('/hook/large', { bodyLimit: 1024 }, async (request) => ({ bytes: request.rawBody?.length ?? null }));
    });
    await app.register(async (forms) => {
      await forms.register(rawBody, { bodyLimit: 256, formJsonField: 'payload' });
      forms.post('/form-hook', async (request) => ({ raw: request.rawBody?.toString('utf8') ?? null, json: request.jsonBytes?.toString('utf8') ?? null, parsed: request.body }));
    });
    app.post('/elsewhere', async (request) => ({ has_raw: request.rawBody !== undefined, parsed: request.body }));
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('keeps the exact bytes (whitespace, key order, escapes, UTF-8) next to the parsed body', async () => {
    const payload = Buffer.from('{ "b":1,\n  "a" : "caf\\u00e9 ☕",\t"n": 1.0e0 }\n', 'utf8');
    const response = await app.inject({
      method: 'POST',
      url: '/hook',
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-hub-signature-256': sign(payload) },
      payload,
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Buffer.from(body.raw_base64, 'base64').equals(payload)).toBe(true);
    expect(body.parsed).toEqual({ b: 1, a: 'café ☕', n: 1 });
    expect(body.signature_valid).toBe(true);
    // The same document re-serialized would not verify: that is why the bytes are kept.
    expect(sign(JSON.stringify(body.parsed))).not.toBe(sign(payload));
  });

  it('refuses a body over the scope limit with 413 naming that limit', async () => {
    const response = await app.inject({ method: 'POST', url: '/hook', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pad: 'x'.repeat(300) }) });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than the limit of 256 bytes' });
  });

  it('lets a route of the scope set its own limit', async () => {
    const payload = JSON.stringify({ pad: 'x'.repeat(600) });
    const response = await app.inject({ method: 'POST', url: '/hook/large', headers: { 'content-type': 'application/json' }, payload });
    expect(response.statusCode).toBe(200);
    expect(response.json().bytes).toBe(Buffer.byteLength(payload));
  });

  it('answers invalid, empty and prototype-poisoning JSON as the default parser does', async () => {
    for (const payload of ['{"a":', '{"__proto__":{"admin":true}}']) {
      const response = await app.inject({ method: 'POST', url: '/hook', headers: { 'content-type': 'application/json' }, payload });
      expect(response.statusCode, payload).toBe(400);
      expect(response.json().error.code, payload).toBe('INVALID_JSON');
    }
    const empty = await app.inject({ method: 'POST', url: '/hook', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe('INVALID_JSON');
  });

  it('refuses any other content type with 415, an empty body too, and leaves other scopes their parsers', async () => {
    for (const payload of ['', '{"a":1}']) {
      const response = await app.inject({ method: 'POST', url: '/hook', headers: { 'content-type': 'text/plain' }, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(415);
    }
    const elsewhere = await app.inject({ method: 'POST', url: '/elsewhere', headers: { 'content-type': 'text/plain' }, payload: 'plain words' });
    expect(elsewhere.statusCode).toBe(200);
    expect(elsewhere.json()).toEqual({ has_raw: false, parsed: 'plain words' });
  });

  it('reads JSON from a form field where the scope asks for it, keeping the form bytes as the raw body', async () => {
    const form = new URLSearchParams({ payload: '{"action":"closed","n":1.50}', other: 'x' }).toString();
    const read = await app.inject({ method: 'POST', url: '/form-hook', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ raw: form, json: '{"action":"closed","n":1.50}', parsed: { action: 'closed', n: 1.5 } });
    const missing = await app.inject({ method: 'POST', url: '/form-hook', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'other=%7B%7D' });
    expect(missing.statusCode).toBe(400);
    const poisoned = await app.inject({ method: 'POST', url: '/form-hook', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ payload: '{"__proto__":{"x":1}}' }).toString() });
    expect(poisoned.statusCode).toBe(400);
    // A scope that did not ask for forms refuses them.
    const refused = await app.inject({ method: 'POST', url: '/hook', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form });
    expect(refused.statusCode).toBe(415);
  });

  it('changes nothing outside its scope: no copy of the bytes, the app body limit', async () => {
    const payload = JSON.stringify({ pad: 'x'.repeat(1000) });
    const response = await app.inject({ method: 'POST', url: '/elsewhere', headers: { 'content-type': 'application/json' }, payload });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ has_raw: false, parsed: { pad: 'x'.repeat(1000) } });
  });

  it('refuses a limit that is not a positive integer', async () => {
    const other = Fastify();
    other.register(async (scope) => {
      await scope.register(rawBody, { bodyLimit: 0 });
    });
    await expect(other.ready()).rejects.toThrow(/bodyLimit must be a positive integer/);
    await other.close().catch(() => {});
  });
});
