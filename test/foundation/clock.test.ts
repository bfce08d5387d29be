/**
 * The start-up clock check against NTP (seeds 000/001): it never blocks start, and its result lands
 * in /health, /metrics and a log warning when the offset passes one second. Against a local UDP
 * responder whose clock runs 2.5 s ahead, and one that never answers.
 */
import { createSocket, type Socket } from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { openDatabase } from '../../src/db/database.ts';
import { encodeReply, unixMsToNtp } from '../../src/lib/ntp-packet.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { type Runtime, startRuntime } from '../../src/runtime.ts';
import { testEnv } from '../helpers/runtime.ts';

const sockets: Socket[] = [];
const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  for (const runtime of runtimes.splice(0)) await runtime.close();
});

async function responder(skewMs: number | null): Promise<string> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  socket.on('message', (request, from) => {
    if (skewMs === null) return;
    const now = Date.now() + skewMs;
    const originate = { seconds: request.readUInt32BE(40), fraction: request.readUInt32BE(44) };
    socket.send(encodeReply({ stratum: 2, originate, receive: unixMsToNtp(now), transmit: unixMsToNtp(now + 1) }), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return `127.0.0.1:${socket.address().port}`;
}

async function start(ntpServer: string, timeoutMs: number) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'is-clock-'));
  const config = loadConfig(testEnv({ DATA_DIR: dataDir, NTP_SERVER: ntpServer, NTP_TIMEOUT_MS: String(timeoutMs) }));
  const logger = createLogger({ level: 'info', timezone: config.log.timezone, destination });
  const runtime = await startRuntime(config, { logger, database: await openDatabase({ kind: 'embedded', dir: null }) });
  runtimes.push(runtime);
  return { runtime, lines };
}

describe('start-up clock check', () => {
  it('measures the offset, warns past one second, and exports it', async () => {
    const { runtime, lines } = await start(await responder(2_500), 2_000);
    const { clock } = runtime.context;
    for (let i = 0; i < 50 && clock.checkedAt === null; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(clock.offsetMs).toBeGreaterThan(2_300);
    expect(clock.offsetMs).toBeLessThan(2_700);
    expect(lines.join('')).toContain('local clock differs from NTP by more than 1 s');
    const app = await buildApp(runtime.context);
    const health = (await app.inject({ method: 'GET', url: '/health' })).json();
    expect(health.clock.offset_ms).toBeCloseTo(clock.offsetMs ?? 0, 0);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const value = Number(/^clock_offset_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(value).toBeGreaterThan(2.3);
    await app.close();
  });

  it('never blocks start: a server that does not answer leaves the check pending', async () => {
    const { runtime } = await start(await responder(null), 60_000);
    // Start returned while the 60 s query is still outstanding.
    expect(runtime.context.clock).toMatchObject({ offsetMs: null, checkedAt: null });
  });
});
