/**
 * Issue 9, items 0 and 1, against real processes: one request whose body quotes a URL that no
 * parser accepts used to stop the service (the redactor recursed until the stack overflowed, and
 * nothing caught it). Also the process policy: an unhandled rejection is logged and the service keeps
 * serving; an uncaught exception is logged and ends in a graceful shutdown with exit code 1.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exited, waitFor } from '../helpers/wait.ts';

const cli = path.resolve(import.meta.dirname, '../../src/main/cli.ts');
const faultyServe = path.resolve(import.meta.dirname, 'fixtures/serve-with-faults.ts');

/** Texts that look like URLs to a scanner but that `new URL()` refuses. */
const unparseable = [
  'see http://127.0.0.1:${port}/x',
  'http://[::1',
  'http://exa%mple.com',
  'code sample: fetch("http://[::1]:99999/?token=%zz")',
  'https://user:pw@exa%mple.com/x and http://[fe80::1%eth0]/',
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  base: string;
  dataDir: string;
  output: string[];
}

const started: Started[] = [];

async function start(script: string, args: string[]): Promise<Started> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'is-policy-'));
  const port = await freePort();
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NTP_SERVER: 'off', DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  const service = { child, base: `http://127.0.0.1:${port}`, dataDir, output };
  started.push(service);
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}: ${output.join('')}`);
    return (await fetch(`${service.base}/health`).catch(() => null))?.ok;
  }, 60_000);
  return service;
}

afterEach(async () => {
  for (const service of started.splice(0)) {
    if (service.child.exitCode === null && service.child.signalCode === null) {
      const done = exited(service.child);
      service.child.kill('SIGTERM');
      await done;
    }
    fs.rmSync(service.dataDir, { recursive: true, force: true });
  }
});

async function expectServing(service: Started): Promise<void> {
  const health = await fetch(`${service.base}/health`);
  expect(health.status).toBe(200);
  expect(service.child.exitCode).toBeNull();
}

describe('one hostile request does not stop the service', () => {
  it('survives unparseable URLs in bodies, queries and headers, on an unknown route and on authenticated routes', async () => {
    const service = await start(cli, ['serve']);
    const token = execFileSync(process.execPath, [cli, 'token', '--sub', 'mallory'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: service.dataDir },
      encoding: 'utf8',
    }).trim();
    const json = { 'content-type': 'application/json' };
    const authorized = { ...json, authorization: `Bearer ${token}` };

    for (const text of unparseable) {
      const notFound = await fetch(`${service.base}/nope`, { method: 'POST', headers: json, body: JSON.stringify({ a: text }) });
      expect(notFound.status).toBe(404);
      expect(await notFound.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
      await expectServing(service);

      const finding = {
        kind: 'vulnerability',
        title: `Advisory quoting ${text}`,
        description: `Proof of concept:\n${text}\n`,
        severity: 'high',
        ecosystem: 'npm',
        package_name: 'left-pad',
        current_version: '1.0.0',
        fixed_version: '1.0.1',
        repo_url: 'https://github.com/acme/web',
        manifest_path: 'package.json',
      };
      const created = await fetch(`${service.base}/api/v1/findings`, { method: 'POST', headers: authorized, body: JSON.stringify({ findings: [finding] }) });
      expect(created.status).toBeLessThan(500);
      await expectServing(service);

      const listed = await fetch(`${service.base}/api/v1/findings?q=${encodeURIComponent(text)}`, { headers: authorized });
      expect(listed.status).toBeLessThan(500);
      const unauthenticated = await fetch(`${service.base}/api/v1/findings`, { method: 'POST', headers: { ...json, authorization: `Bearer ${text}` }, body: JSON.stringify({ a: text }) });
      expect(unauthenticated.status).toBe(401);
      await expectServing(service);
    }

    // A NUL byte makes the database refuse the row; the logged database error quotes the text.
    const nul = await fetch(`${service.base}/api/v1/findings`, {
      method: 'POST',
      headers: authorized,
      body: JSON.stringify({ findings: [{ kind: 'violation', title: 'x', description: `\u0000 ${unparseable[1]}`, severity: 'HIGH', framework: 'FedRAMP', control_id: 'AC-2' }] }),
    });
    const body = (await nul.json()) as { error?: { code: string } };
    // Refusing control characters with a 400 is another change's; either way the answer has the catalogue's shape.
    expect(body.error?.code).toEqual(nul.status >= 500 ? 'INTERNAL' : expect.any(String));
    await expectServing(service);
    expect(service.output.join('')).not.toContain('Maximum call stack size exceeded');
  }, 120_000);
});

describe('the process policy of serve', () => {
  it('logs an unhandled rejection and keeps serving', async () => {
    const service = await start(faultyServe, []);
    service.child.stdin?.write('reject\n');
    await waitFor(async () => service.output.join('').includes('unhandled promise rejection'));
    await expectServing(service);
    const line = service.output
      .join('')
      .split('\n')
      .find((entry) => entry.includes('unhandled promise rejection'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 'error', err: { type: 'Error', message: expect.stringContaining('http://[::1') } });
  }, 90_000);

  it('on an uncaught exception logs it, shuts down gracefully and exits 1 for a supervisor to restart', async () => {
    const service = await start(faultyServe, []);
    const done = exited(service.child);
    service.child.stdin?.write('throw\n');
    expect(await done).toEqual({ code: 1, signal: null });
    const lines = service.output.join('').split('\n').filter((entry) => entry.startsWith('{'));
    const messages = lines.map((entry) => JSON.parse(entry) as { level: string; msg: string; err?: { message: string } });
    const fatal = messages.find((entry) => entry.level === 'fatal');
    expect(fatal?.msg).toContain('uncaught exception');
    expect(fatal?.err?.message).toBe('timer callback threw');
    expect(messages.map((entry) => entry.msg)).toContain('stopped');
  }, 90_000);
});
