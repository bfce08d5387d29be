/**
 * One access line per request (src/logging/access.ts) with the fields of Fastify's former two
 * lines, written preformatted yet byte for byte what pino writes for the same fields, and the
 * buffered destination writing every line intact (buffer mode, multi-byte text).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AccessLogController, accessLineFields } from '../../src/logging/access.ts';
import { bufferedDestination, createLogger, type Logger, writePreformattedInfo } from '../../src/logging/logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: createLogger({ level: 'info', timezone: 'Asia/Kolkata', destination }), lines };
}

function app(logger: FastifyBaseLogger) {
  const server = Fastify({ loggerInstance: logger, logController: new AccessLogController({ requestIdLogLabel: 'request_id' }), genReqId: () => 'req-1' });
  server.get('/ok', async (request) => {
    request.log = request.log.child({ org: 'acme', sub: 'alice' });
    return { ok: true };
  });
  server.get('/boom', async () => {
    throw new Error('boom at https://bot:pw-in-url@jira.example.com');
  });
  return server;
}

describe('access line', () => {
  it('is one line per request with method, redacted url, host, peer, status, duration, request id, org and sub', async () => {
    const { logger, lines } = capture();
    const server = app(logger as FastifyBaseLogger);
    await server.inject({ method: 'GET', url: '/ok?token=t0k3n-value&page=2', headers: { authorization: 'Bearer sekrit-header-value' } });
    await server.close();
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({
      level: 'info',
      msg: 'request completed',
      request_id: 'req-1',
      org: 'acme',
      sub: 'alice',
      req: { method: 'GET', url: '/ok?token=[REDACTED]&page=2', host: 'localhost:80', remoteAddress: '127.0.0.1' },
      res: { statusCode: 200 },
    });
    expect(typeof line?.responseTime).toBe('number');
    expect(JSON.stringify(lines)).not.toContain('t0k3n-value');
    expect(JSON.stringify(lines)).not.toContain('sekrit-header-value');
  });

  it('keeps the error lines of a failed request (the 500 and its access line)', async () => {
    const { logger, lines } = capture();
    const server = app(logger as FastifyBaseLogger);
    const response = await server.inject({ method: 'GET', url: '/boom' });
    await server.close();
    expect(response.statusCode).toBe(500);
    const access = lines.filter((line) => line.msg === 'request completed');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ level: 'info', req: { method: 'GET', url: '/boom' }, res: { statusCode: 500 }, request_id: 'req-1' });
    expect(lines.some((line) => line.level === 'error' && (line.err as { message?: string } | undefined)?.message?.includes('[REDACTED]'))).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('pw-in-url');
    expect(lines.some((line) => line.msg === 'incoming request')).toBe(false);
  });
});

function rawCapture(level = 'info') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { logger: createLogger({ level, timezone: 'Asia/Kolkata', destination }), lines };
}

const withoutTime = (line: string | undefined) => (line ?? '').replace(/"time":"[^"]*"/, '"time":"-"');
const completed = JSON.stringify('request completed');

describe('preformatted access line', () => {
  // Writes the preformatted line and then pino's line for the same request, bindings and fields.
  function pairApp(logger: FastifyBaseLogger, bindings: Record<string, unknown>, responseTime: number) {
    const server = Fastify({
      loggerInstance: logger,
      logController: new AccessLogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
      genReqId: (request) => String(request.headers['x-test-id'] ?? 'req-1'),
    });
    server.all('/*', async (request) => {
      if (Object.keys(bindings).length > 0) request.log = request.log.child(bindings);
      return { ok: true };
    });
    server.addHook('onResponse', (request, reply, done) => {
      const written = writePreformattedInfo(request.log as Logger, accessLineFields(request, reply.statusCode, responseTime), completed);
      expect(written).toBe(true);
      request.log.info({ req: request, res: reply, responseTime }, 'request completed');
      done();
    });
    return server;
  }

  it('is the line pino writes for the same fields, byte for byte (time aside), for any URL, host, bindings and duration', async () => {
    const secretish = fc.constantFrom('t0k3n-value', 'ghp_abcdefghijklmnopqrstuvwxyz0123', 'Bearer abcdefgh12345', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig', 'ATATT3xFfGF0abcdefghijklmnopqrstu');
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 }), secretish);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          path: fc.array(fc.oneof(fc.constantFrom('api', 'v1', 'x y', 'ü', '%zz', '..', '"q"', '\\'), text), { maxLength: 4 }),
          query: fc.array(fc.tuple(fc.constantFrom('token', 'code', 'page', 'q', 'access_token', 'x'), text), { maxLength: 3 }),
          host: fc.constantFrom('localhost:80', 'bot:pw@jira.example.com', 'example.com?token=abcdefgh', '[::1]:3001'),
          method: fc.constantFrom('GET', 'POST', 'DELETE', 'HEAD'),
          bindings: fc.oneof(
            fc.constant({}),
            fc.record({ org: text, sub: text }, { noNullPrototype: true }),
            fc.record({ org: text, api_token: text, nested: fc.record({ password: text, note: text }, { noNullPrototype: true }) }, { noNullPrototype: true }),
          ),
          requestId: fc.constantFrom('req-1', 'ghp_abcdefghijklmnopqrstuvwxyz0123', 'a.b_c-1'),
          responseTime: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constant(Number.NaN), fc.constant(0.123456789)),
        }),
        async ({ path: segments, query, host, method, bindings, requestId, responseTime }) => {
          const { logger, lines } = rawCapture();
          const server = pairApp(logger as FastifyBaseLogger, bindings, responseTime);
          const search = query.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
          const url = `/${segments.map((segment) => encodeURIComponent(segment)).join('/')}${search ? `?${search}` : ''}`;
          const response = await server.inject({ method: method as 'GET', url, headers: { host, 'x-test-id': requestId } });
          await server.close();
          expect(response.statusCode).toBe(200);
          expect(lines).toHaveLength(2);
          expect(withoutTime(lines[0])).toBe(withoutTime(lines[1]));
          // The request id (a binding) and the URL are redacted in both.
          expect(lines[0]).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('writes nothing below its level, and leaves loggers configured otherwise to pino', () => {
    const quiet = rawCapture('warn');
    expect(writePreformattedInfo(quiet.logger, ',"x":1', completed)).toBe(true);
    expect(quiet.lines).toHaveLength(0);

    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    // Not createLogger's: different (no) serializers and formatters.
    expect(writePreformattedInfo(pino({}, destination), ',"x":1', completed)).toBe(false);
    // createLogger's, but a child with serializers of its own.
    const ours = rawCapture();
    expect(writePreformattedInfo(ours.logger.child({ a: 1 }, { serializers: { req: () => 'other' } }), ',"x":1', completed)).toBe(false);
    expect(writePreformattedInfo(ours.logger.child({ a: 1 }), ',"x":1', completed)).toBe(true);
    expect(lines).toHaveLength(0);
    expect(JSON.parse(ours.lines[0] ?? '{}')).toMatchObject({ level: 'info', a: 1, x: 1, msg: 'request completed' });
  });
});

describe('bufferedDestination', () => {
  it('writes every line whole and in order, multi-byte text included', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'buffered-destination-'));
    try {
      const file = path.join(dir, 'out.log');
      const destination = bufferedDestination(file) as ReturnType<typeof bufferedDestination> & { flushSync(): void };
      const logger = createLogger({ level: 'info', timezone: 'UTC', destination });
      for (let index = 0; index < 2000; index += 1) logger.info({ index, text: `नमस्ते ✓ ${'x'.repeat(index % 300)}` }, 'line');
      // Waits for the writes in flight (sonic-boom calls back with up to one chunk still pending),
      // then writes the rest synchronously, as the exit handler does.
      await new Promise<void>((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve())));
      destination.flushSync();
      const written = (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as { index: number; text: string });
      expect(written.map((line) => line.index)).toEqual(Array.from({ length: 2000 }, (_, index) => index));
      expect(written[299]?.text).toBe(`नमस्ते ✓ ${'x'.repeat(299)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
