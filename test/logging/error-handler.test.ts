/**
 * The error handler answers the catalogue's 500 shape even when logging fails (issue 9, item 1): a
 * logger whose destination throws on every line must not turn a 500 into Fastify's own error body
 * or a dropped connection.
 */
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AppError } from '../../src/errors/app-error.ts';
import { errorCatalogue } from '../../src/errors/catalogue.ts';
import { installErrorHandling } from '../../src/http/plugins/errors.ts';
import { createLogger, logSafely } from '../../src/logging/logger.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

function appWithBrokenLogs() {
  let attempts = 0;
  const destination = {
    write(): boolean {
      attempts += 1;
      throw new Error('disk full');
    },
  };
  // Level `error`: the request lines (info) are not written, only the handler's own error lines.
  const logger = createLogger({ level: 'error', timezone: 'Asia/Kolkata', destination });
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  app.get('/plain', async () => {
    throw new Error('database said no to http://[::1');
  });
  app.get('/app-error', async () => {
    throw new AppError('INTERNAL', 'wrapped failure');
  });
  app.get('/bad-response', { schema: { response: { 200: z.object({ id: z.string() }) } } }, async () => ({ id: 42 }) as unknown as { id: string });
  return { app, attempts: () => attempts };
}

describe('the error handler when logging throws', () => {
  it('still answers every 500 with the catalogue shape', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { app, attempts } = appWithBrokenLogs();
    for (const url of ['/plain', '/app-error', '/bad-response']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({ error: { code: 'INTERNAL', message: errorCatalogue.INTERNAL.description } });
    }
    expect(attempts()).toBeGreaterThanOrEqual(3);
    // The fallback line names what failed, not the data that was being logged.
    const written = stderr.mock.calls.map((call) => String(call[0])).join('');
    expect(written).toContain('"logging_failed":"Error"');
    expect(written).not.toContain('[::1');
    await app.close();
  });
});

describe('logSafely', () => {
  it('never throws, whatever the logger does', () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => {
      throw new Error('stderr closed');
    });
    const throwing = {
      fatal: () => {
        throw new Error('x');
      },
      error: () => {
        throw 'not even an Error';
      },
      warn: () => {
        throw new Error('x');
      },
      info: () => {
        throw new Error('x');
      },
    };
    expect(() => logSafely(throwing as never, 'error', { a: 1 }, 'm')).not.toThrow();
    expect(() => logSafely(throwing as never, 'fatal', { a: 1 }, 'm')).not.toThrow();
  });
});
