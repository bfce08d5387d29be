/**
 * One access line per request (src/logging/access.ts) with the fields of Fastify's former two
 * lines, and the buffered destination writing every line intact (buffer mode, multi-byte text).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { AccessLogController } from '../../src/logging/access.ts';
import { bufferedDestination, createLogger } from '../../src/logging/logger.ts';

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
