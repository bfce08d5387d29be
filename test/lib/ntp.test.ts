import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeReply,
  encodeReply,
  ntpToUnixMs,
  type NtpTimestamp,
  unixMsToNtp,
} from '../../src/lib/ntp-packet.ts';
import {
  checkClockOffset,
  NTP_BAD_RESPONSE,
  NTP_INVALID_SERVER,
  NTP_KISS_OF_DEATH,
  NTP_TIMEOUT,
  parseNtpServer,
} from '../../src/lib/ntp.ts';

type Responder = (request: Buffer, from: RemoteInfo) => Buffer | undefined;

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** A local UDP "NTP server" on 127.0.0.1 whose answers the test decides. */
async function startResponder(respond: Responder): Promise<{ server: string; requests: Buffer[] }> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  const requests: Buffer[] = [];
  socket.on('message', (request, from) => {
    requests.push(request);
    const reply = respond(request, from);
    if (reply) socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { server: `127.0.0.1:${socket.address().port}`, requests };
}

function originateOf(request: Buffer): NtpTimestamp {
  return { seconds: request.readUInt32BE(40), fraction: request.readUInt32BE(44) };
}

/** Answers like a correct server whose clock runs `skewMs` ahead (1 ms between receive and transmit). */
function skewedServer(skewMs: number, overrides: Partial<Parameters<typeof encodeReply>[0]> = {}): Responder {
  return (request) => {
    const now = Date.now() + skewMs;
    return encodeReply({
      stratum: 2,
      originate: originateOf(request),
      receive: unixMsToNtp(now),
      transmit: unixMsToNtp(now + 1),
      ...overrides,
    });
  };
}

describe('ntp packet', () => {
  it('converts timestamps both ways to sub-millisecond precision', () => {
    const now = Date.UTC(2026, 4, 17, 12, 0, 0, 123.5);
    expect(ntpToUnixMs(unixMsToNtp(now), now)).toBeCloseTo(now, 3);
  });

  it('handles the 2036 era rollover by choosing the era nearest the local clock', () => {
    const afterWrap = Date.UTC(2036, 1, 7, 7, 0, 0); // just after the 32-bit seconds wrap
    const encoded = unixMsToNtp(afterWrap);
    expect(encoded.seconds).toBeLessThan(100_000);
    expect(ntpToUnixMs(encoded, afterWrap - 60_000)).toBeCloseTo(afterWrap, 3);
    const beforeWrap = Date.UTC(2036, 1, 7, 6, 0, 0);
    expect(ntpToUnixMs(unixMsToNtp(beforeWrap), afterWrap)).toBeCloseTo(beforeWrap, 3);
  });

  it('sends a 48-byte version 4, mode 3 request', async () => {
    const { server, requests } = await startResponder(skewedServer(0));
    await checkClockOffset({ server, timeoutMs: 2000 });
    expect(requests[0]).toHaveLength(48);
    expect(requests[0]![0]! & 0b111).toBe(3);
    expect((requests[0]![0]! >> 3) & 0b111).toBe(4);
  });
});

describe('parseNtpServer', () => {
  it('accepts host, host:port and bracketed IPv6', () => {
    expect(parseNtpServer('pool.ntp.org')).toEqual({ host: 'pool.ntp.org', port: 123 });
    expect(parseNtpServer('time.example:1123')).toEqual({ host: 'time.example', port: 1123 });
    expect(parseNtpServer('[::1]:999')).toEqual({ host: '::1', port: 999 });
    expect(parseNtpServer('2001:db8::1')).toEqual({ host: '2001:db8::1', port: 123 });
    expect(parseNtpServer('host:99999')).toBeUndefined();
    expect(parseNtpServer('')).toBeUndefined();
  });
});

describe('checkClockOffset', () => {
  it('measures a +2 s skew', async () => {
    const { server } = await startResponder(skewedServer(2000));
    const result = await checkClockOffset({ server, timeoutMs: 2000 });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    // Loose bounds so a busy CI machine cannot flake it; the point is ≈ 2000, not 0 or 4000.
    expect(Math.abs(result.offsetMs - 2000)).toBeLessThan(200);
    expect(result.roundTripMs).toBeGreaterThanOrEqual(0);
    expect(result.roundTripMs).toBeLessThan(500);
    expect(result.server).toBe(server);
  });

  it('measures a negative skew', async () => {
    const { server } = await startResponder(skewedServer(-90_000));
    const result = await checkClockOffset({ server, timeoutMs: 2000 });
    expect(result.ok && Math.abs(result.offsetMs + 90_000) < 200).toBe(true);
  });

  it('times out within the timeout when nobody answers', async () => {
    const { server } = await startResponder(() => undefined);
    const started = performance.now();
    const result = await checkClockOffset({ server, timeoutMs: 300 });
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ ok: false, code: NTP_TIMEOUT });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1000);
  });

  it('reports garbage as an error', async () => {
    const { server } = await startResponder(() => Buffer.from('hello, not ntp'));
    expect(await checkClockOffset({ server, timeoutMs: 2000 })).toMatchObject({ ok: false, code: NTP_BAD_RESPONSE });
  });

  it('rejects a kiss-of-death answer', async () => {
    const { server } = await startResponder(skewedServer(0, { stratum: 0, referenceId: 'RATE' }));
    const result = await checkClockOffset({ server, timeoutMs: 2000 });
    expect(result).toMatchObject({ ok: false, code: NTP_KISS_OF_DEATH });
    expect(!result.ok && result.error).toContain('RATE');
  });

  it('rejects an answer whose mode is not 4 (server)', async () => {
    const { server } = await startResponder(skewedServer(0, { mode: 3 }));
    expect(await checkClockOffset({ server, timeoutMs: 2000 })).toMatchObject({ ok: false, code: NTP_BAD_RESPONSE });
  });

  it('rejects an unsynchronised server and one that does not echo our timestamp', async () => {
    const unsynced = await startResponder(skewedServer(0, { leap: 3 }));
    expect(await checkClockOffset({ server: unsynced.server, timeoutMs: 2000 })).toMatchObject({ ok: false });
    const stale = await startResponder(skewedServer(0, { originate: { seconds: 1, fraction: 2 } }));
    const result = await checkClockOffset({ server: stale.server, timeoutMs: 2000 });
    expect(result).toMatchObject({ ok: false, code: NTP_BAD_RESPONSE });
  });

  it('never throws on bad input or an unresolvable host', async () => {
    expect(await checkClockOffset({ server: 'bad:host:name:x', timeoutMs: 100 })).toMatchObject({
      ok: false,
      code: NTP_INVALID_SERVER,
    });
    const result = await checkClockOffset({ server: 'no-such-host.invalid', timeoutMs: 2000 });
    expect(result.ok).toBe(false);
  });

  it('decodes what it encodes', () => {
    const reply = decodeReply(
      encodeReply({ stratum: 1, referenceId: 'GPS', originate: unixMsToNtp(1), receive: unixMsToNtp(2), transmit: unixMsToNtp(3) }),
    );
    expect(reply).toMatchObject({ mode: 4, version: 4, stratum: 1, referenceId: 'GPS' });
  });
});
