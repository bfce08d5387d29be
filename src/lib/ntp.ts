/**
 * Startup clock check: one SNTPv4 exchange (RFC 4330) over UDP to measure how far the local clock
 * is from an NTP server. Signed webhooks, JWT expiry and OAuth token lifetimes all depend on the
 * clock, so the service logs and exports the drift; it never blocks start, so this never throws.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  decodeReply,
  encodeRequest,
  isZero,
  MODE_SERVER,
  ntpToUnixMs,
  sameTimestamp,
  unixMsToNtp,
} from './ntp-packet.ts';

export const NTP_INVALID_SERVER = 'NTP_INVALID_SERVER';
export const NTP_DNS_FAILED = 'NTP_DNS_FAILED';
export const NTP_TIMEOUT = 'NTP_TIMEOUT';
export const NTP_SOCKET_ERROR = 'NTP_SOCKET_ERROR';
export const NTP_BAD_RESPONSE = 'NTP_BAD_RESPONSE';
export const NTP_KISS_OF_DEATH = 'NTP_KISS_OF_DEATH';

export const DEFAULT_NTP_PORT = 123;

export interface ClockCheckOptions {
  /** `host`, `host:port`, `[v6]` or `[v6]:port`. */
  server: string;
  /** Budget for the whole check, DNS included. */
  timeoutMs: number;
}

export type ClockCheckResult =
  | { ok: true; offsetMs: number; roundTripMs: number; server: string; stratum: number }
  | { ok: false; error: string; code: string; server: string };

export function parseNtpServer(server: string): { host: string; port: number } | undefined {
  const text = server.trim();
  let host = text;
  let port = DEFAULT_NTP_PORT;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(text) !== 6) {
    const hostPort = /^([^:]+)(?::(\d+))?$/.exec(text);
    if (!hostPort) return undefined;
    host = hostPort[1]!;
    if (hostPort[2] !== undefined) port = Number(hostPort[2]);
  }
  if (host === '' || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  if (bracketed && isIP(host) !== 6) return undefined;
  return { host, port };
}

export async function checkClockOffset(options: ClockCheckOptions): Promise<ClockCheckResult> {
  const server = String(options?.server ?? '');
  const fail = (code: string, error: string): ClockCheckResult => ({ ok: false, code, error, server });
  try {
    const target = parseNtpServer(server);
    const timeoutMs = options.timeoutMs;
    if (!target) return fail(NTP_INVALID_SERVER, `'${server}' is not a host or host:port`);
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return fail(NTP_INVALID_SERVER, 'timeoutMs must be positive');
    const started = performance.now();

    let address = target.host;
    let family = isIP(address);
    if (family === 0) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      try {
        const resolved = await Promise.race([lookup(target.host), timedOut]);
        if (resolved === 'timeout') return fail(NTP_TIMEOUT, `resolving ${target.host} took longer than ${timeoutMs} ms`);
        address = resolved.address;
        family = resolved.family;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException)?.code;
        return fail(NTP_DNS_FAILED, `cannot resolve ${target.host}${code ? ` (${code})` : ''}`);
      } finally {
        clearTimeout(timer);
      }
    }
    const remainingMs = timeoutMs - (performance.now() - started);
    if (remainingMs <= 0) return fail(NTP_TIMEOUT, `no answer from ${server} within ${timeoutMs} ms`);
    return await exchange(createSocket(family === 6 ? 'udp6' : 'udp4'), address, target.port, remainingMs, fail, {
      server,
      timeoutMs,
    });
  } catch (error) {
    return fail(NTP_SOCKET_ERROR, `clock check failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function exchange(
  socket: Socket,
  address: string,
  port: number,
  remainingMs: number,
  fail: (code: string, error: string) => ClockCheckResult,
  info: { server: string; timeoutMs: number },
): Promise<ClockCheckResult> {
  return new Promise((resolve) => {
    let done = false;
    // Set just before sending. t4 is wall time at send plus a monotonic delta, so a clock step
    // during the exchange cannot skew it.
    let t1 = 0;
    let perf1 = 0;
    let sent = unixMsToNtp(0);

    const finish = (result: ClockCheckResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // already closed
      }
      resolve(result);
    };
    const timer = setTimeout(
      () => finish(fail(NTP_TIMEOUT, `no answer from ${info.server} within ${info.timeoutMs} ms`)),
      remainingMs,
    );

    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(fail(NTP_SOCKET_ERROR, `socket error talking to ${info.server}${error.code ? ` (${error.code})` : ''}`)),
    );
    socket.on('message', (packet) => {
      const t4 = t1 + (performance.now() - perf1);
      const reply = decodeReply(packet);
      if (!reply) return finish(fail(NTP_BAD_RESPONSE, `answer from ${info.server} is not an NTP packet`));
      if (reply.mode !== MODE_SERVER) {
        return finish(fail(NTP_BAD_RESPONSE, `answer from ${info.server} has mode ${reply.mode}, expected 4`));
      }
      if (reply.stratum === 0) {
        return finish(fail(NTP_KISS_OF_DEATH, `${info.server} sent kiss-of-death '${reply.referenceId}'`));
      }
      if (reply.stratum > 15 || reply.leap === 3) {
        return finish(fail(NTP_BAD_RESPONSE, `${info.server} is not synchronised`));
      }
      if (reply.version < 3 || reply.version > 4) {
        return finish(fail(NTP_BAD_RESPONSE, `answer from ${info.server} has NTP version ${reply.version}`));
      }
      if (!sameTimestamp(reply.originate, sent)) {
        return finish(fail(NTP_BAD_RESPONSE, `answer from ${info.server} does not match our request`));
      }
      if (isZero(reply.receive) || isZero(reply.transmit)) {
        return finish(fail(NTP_BAD_RESPONSE, `answer from ${info.server} has no timestamps`));
      }
      const t2 = ntpToUnixMs(reply.receive, t1);
      const t3 = ntpToUnixMs(reply.transmit, t1);
      finish({
        ok: true,
        offsetMs: (t2 - t1 + (t3 - t4)) / 2,
        roundTripMs: Math.max(0, t4 - t1 - (t3 - t2)),
        server: info.server,
        stratum: reply.stratum,
      });
    });
    // A connected socket only delivers datagrams from the server we asked.
    socket.connect(port, address, () => {
      if (done) return;
      t1 = Date.now();
      perf1 = performance.now();
      // The server echoes our transmit timestamp as its originate field; matching it rejects stale or
      // spoofed answers. The low 16 fraction bits (~15 µs) are random to make it unguessable.
      sent = unixMsToNtp(t1);
      sent.fraction = ((sent.fraction & 0xffff0000) | Math.floor(Math.random() * 0x10000)) >>> 0;
      socket.send(encodeRequest(sent), (error) => {
        if (error) finish(fail(NTP_SOCKET_ERROR, `cannot send to ${info.server}`));
      });
    });
  });
}
