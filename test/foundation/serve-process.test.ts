/**
 * `integration-service serve` as `npm start` runs it, with zero configuration: a real process on the
 * embedded database in a fresh DATA_DIR, answering /health and /ready, generating its key files, and
 * stopping cleanly on SIGTERM. Also `migrate`, `keygen` and `token` as a user runs them.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = path.resolve(import.meta.dirname, '../../src/main/cli.ts');

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

/** The environment a new user has: none of ours. */
function bareEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return { ...env, NTP_SERVER: 'off', ...extra };
}

describe('the serve command', () => {
  it('starts with zero configuration, answers the probes, and exits 0 on SIGTERM', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'is-serve-'));
    const port = await freePort();
    const child = spawn(process.execPath, [cli, 'serve'], { env: bareEnv({ DATA_DIR: dataDir, PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    child.stdout?.on('data', (chunk) => output.push(String(chunk)));
    child.stderr?.on('data', (chunk) => output.push(String(chunk)));
    try {
      let health: Response | null = null;
      for (let attempt = 0; attempt < 200 && !health; attempt += 1) {
        health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
        if (!health) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(health?.status).toBe(200);
      expect(((await health!.json()) as { time: string }).time).toMatch(/\+05:30$/);
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      expect(ready.status).toBe(200);
      expect(fs.existsSync(path.join(dataDir, 'encryption.key'))).toBe(true);
      expect(fs.statSync(path.join(dataDir, 'encryption.key')).mode & 0o077).toBe(0);
      expect(output.join('')).toContain('ENCRYPTION_KEYS is not set');

      const token = execFileSync(process.execPath, [cli, 'token', '--sub', 'alice'], { env: bareEnv({ DATA_DIR: dataDir }), encoding: 'utf8' }).trim();
      const jobs = await fetch(`http://127.0.0.1:${port}/api/v1/jobs`, { headers: { authorization: `Bearer ${token}` } });
      expect(jobs.status).toBe(200);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('reports every configuration problem at once and exits 2', () => {
    let failure: { status: number; stderr: string } | null = null;
    try {
      execFileSync(process.execPath, [cli, 'migrate'], { env: bareEnv({ PORT: 'x', DATABASE_URL: 'mysql://a', NODE_ENV: 'production' }), encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      failure = error as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(2);
    expect(failure?.stderr).toMatch(/PORT: /);
    expect(failure?.stderr).toMatch(/DATABASE_URL: /);
    expect(failure?.stderr).toMatch(/ENCRYPTION_KEYS: /);
  });

  it('keygen prints a usable ENCRYPTION_KEYS entry', () => {
    const line = execFileSync(process.execPath, [cli, 'keygen', '--id', 'k2026'], { env: bareEnv({}), encoding: 'utf8' }).trim();
    expect(line).toMatch(/^k2026:[A-Za-z0-9+/=_-]+$/);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'is-migrate-'));
    const out = execFileSync(process.execPath, [cli, 'migrate'], { env: bareEnv({ DATA_DIR: dataDir, ENCRYPTION_KEYS: line }), encoding: 'utf8' });
    expect(JSON.parse(out)).toMatchObject({ database: 'embedded' });
    const status = execFileSync(process.execPath, [cli, 'migrate', '--status'], { env: bareEnv({ DATA_DIR: dataDir }), encoding: 'utf8' });
    expect(JSON.parse(status)).toEqual({ database: 'embedded', pending: 0 });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);
});
