/**
 * The cheap paths of the logger: the per-minute zone clock writes exactly what Intl would, request
 * and response lines carry only method, URL (credential parameters masked), host, peer and status,
 * and child bindings are redacted like log objects.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { formatIsoInZone, formatIsoInZoneWithIntl, zoneClock } from '../../src/lib/time.ts';
import { createLogger } from '../../src/logging/logger.ts';

function capture(level = 'info') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { logger: createLogger({ level, timezone: 'Asia/Kolkata', destination }), lines };
}

describe('zoneClock', () => {
  it('formats like Intl does for any instant, in fixed and DST zones, in any order of calls', () => {
    const zones = ['Asia/Kolkata', 'UTC', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns'];
    const clocks = new Map(zones.map((zone) => [zone, zoneClock(zone)]));
    // 2000-01-01 … 2040-01-01, plus instants right around DST changes.
    const instant = fc.oneof(
      fc.integer({ min: 946_684_800_000, max: 2_208_988_800_000 }),
      fc.constantFrom(1_710_054_000_000, 1_710_053_999_999, 1_730_613_600_000, 1_730_613_599_999, 1_711_846_800_000, 1_711_846_799_999).chain((base) =>
        fc.integer({ min: -120_000, max: 120_000 }).map((delta) => base + delta),
      ),
    );
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.array(instant, { minLength: 1, maxLength: 20 }), (zone, instants) => {
        const clock = clocks.get(zone) as (ms: number) => string;
        for (const ms of instants) {
          const exact = formatIsoInZoneWithIntl(ms, zone);
          expect(clock(ms)).toBe(exact);
          expect(formatIsoInZone(ms, zone)).toBe(exact);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the minute it cached only for that minute', () => {
    const clock = zoneClock('Asia/Kolkata');
    expect(clock(Date.UTC(2026, 10, 21, 17, 16, 59, 999))).toBe('2026-11-21T22:46:59.999+05:30');
    expect(clock(Date.UTC(2026, 10, 21, 17, 17, 0, 0))).toBe('2026-11-21T22:47:00.000+05:30');
    expect(clock(Date.UTC(2026, 10, 21, 17, 17, 5, 7))).toBe('2026-11-21T22:47:05.007+05:30');
    expect(clock(Date.UTC(2026, 10, 21, 17, 16, 0, 50))).toBe('2026-11-21T22:46:00.050+05:30');
  });
});

describe('request logging', () => {
  it('logs method, URL with credential parameters masked, host and peer; never headers or body', async () => {
    const { logger, lines } = capture();
    const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
    app.post('/cb', async () => ({ ok: true }));
    await app.inject({
      method: 'POST',
      url: '/cb?code=abc123&state=xyz789&page=2',
      headers: { authorization: 'Bearer sekrit-header-value', cookie: 'sid=cookie-value' },
      payload: { description: 'see http://[::1', password: 'body-password' },
    });
    await app.close();
    const text = lines.join('');
    for (const secret of ['abc123', 'xyz789', 'sekrit-header-value', 'cookie-value', 'body-password', '[::1']) expect(text).not.toContain(secret);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const incoming = parsed.find((line) => line.msg === 'incoming request');
    expect(incoming?.req).toEqual({ method: 'POST', url: '/cb?code=[REDACTED]&state=[REDACTED]&page=2', host: 'localhost:80', remoteAddress: '127.0.0.1' });
    const completed = parsed.find((line) => line.msg === 'request completed');
    expect(completed?.res).toEqual({ statusCode: 200 });
    expect(typeof completed?.responseTime).toBe('number');
  });

  it('redacts child bindings and values logged under req/res that are not requests', () => {
    const { logger, lines } = capture();
    logger.child({ connection: 'https://bot:pw-in-binding@jira.example.com', api_token: 'binding-token' }).info({ req: { url: '/x?token=t0k', body: { password: 'p' } }, res: { access_token: 'a-t' } }, 'x');
    const text = lines.join('');
    for (const secret of ['pw-in-binding', 'binding-token', 't0k', '"p"', 'a-t']) expect(text).not.toContain(secret);
    expect(JSON.parse(lines[0] ?? '{}').connection).toBe('https://[REDACTED]@jira.example.com');
  });

  it('logs an Error passed alone with its redacted message', () => {
    const { logger, lines } = capture();
    logger.error(new Error('push to https://x-access-token:ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/a/b failed'));
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.msg).toBe('push to https://[REDACTED]@github.com/a/b failed');
    expect(lines.join('')).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123');
  });
});
