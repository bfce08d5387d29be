/**
 * `npm start` as a real process tree (npm → node serve): stopping or killing npm must stop the
 * server too. Before the fix, SIGTERM to npm reached only the shell npm had started, and the server
 * kept running as an orphan, holding its port and data folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../..');

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Alive and not a zombie (an exited orphan may wait a moment to be reaped). */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, probe: () => T | null | Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const started: { npm: ChildProcess; serverPid: number | null; dataDir: string }[] = [];

afterEach(() => {
  for (const entry of started.splice(0)) {
    for (const pid of [entry.serverPid, entry.npm.pid]) {
      if (pid && running(pid)) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(entry.dataDir, { recursive: true, force: true });
  }
});

/** Starts `npm start` on a fresh embedded database; resolves when /ready answers, with the server's pid. */
async function npmStart() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'is-npm-start-'));
  const port = await freePort();
  // npm and the script run on the same Node as this test (node_modules/.bin first, as npm test has it).
  const PATH = [path.dirname(process.execPath), path.join(repoRoot, 'node_modules/.bin'), process.env.PATH].join(path.delimiter);
  const npm = spawn('npm', ['start', '--silent'], {
    cwd: repoRoot,
    env: { PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: String(port), NTP_SERVER: 'off', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const entry = { npm, serverPid: null as number | null, dataDir };
  started.push(entry);
  let output = '';
  npm.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  npm.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  // The server's own log lines carry its pid.
  const serverPid = await waitFor('the server to log that it listens', () => {
    const line = output.split('\n').find((text) => text.includes('"integration-service listening"'));
    return line ? (JSON.parse(line) as { pid: number }).pid : null;
  });
  entry.serverPid = serverPid;
  expect(serverPid).not.toBe(npm.pid);
  const ready = await fetch(`http://127.0.0.1:${port}/ready`);
  expect(ready.status).toBe(200);
  return { npm, serverPid, port, output: () => output };
}

async function portClosed(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/health`).then(
    () => false,
    () => true,
  );
}

describe.runIf(process.platform === 'linux')('npm start as a process tree', () => {
  it('SIGTERM to npm stops the server gracefully (no orphan)', async () => {
    const { npm, serverPid, port, output } = await npmStart();
    const npmExited = new Promise((resolve) => npm.once('exit', resolve));
    npm.kill('SIGTERM');
    await npmExited;
    await waitFor('the server to exit after npm', () => (running(serverPid) ? null : true));
    expect(await portClosed(port)).toBe(true);
    expect(output()).toMatch(/"msg":"stopped"/);
  }, 120_000);

  it('SIGKILL to npm (which npm cannot forward) still stops the server', async () => {
    const { npm, serverPid, port, output } = await npmStart();
    const npmExited = new Promise((resolve) => npm.once('exit', resolve));
    npm.kill('SIGKILL');
    await npmExited;
    await waitFor('the orphaned server to notice and exit', () => (running(serverPid) ? null : true));
    expect(await portClosed(port)).toBe(true);
    expect(output()).toMatch(/parent process exited/);
  }, 120_000);
});
