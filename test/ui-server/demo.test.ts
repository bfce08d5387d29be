/**
 * `npm run demo` smoke test: the script starts the simulators and the service, sets everything up
 * through the API, prints the URL and a sign-in that works, and stops cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('npm run demo', () => {
  let child: ChildProcess | null = null;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
    }
  });

  it('prints the URL and a sign-in that works, with the sample data in place', { timeout: 300_000 }, async () => {
    const port = await freePort();
    const env: Record<string, string | undefined> = { ...process.env, PORT: String(port), LOG_LEVEL: 'info' };
    delete env.DATABASE_URL;
    child = spawn(process.execPath, [path.join(root, 'scripts/demo.ts')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => void (err += chunk.toString()));
    const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no sign-in line within 240 s:\n${out}\n${err}`)), 240_000);
      child!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /Sign in as (\S+) with password (\S+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match);
        }
      });
      child!.once('exit', (code) => reject(new Error(`demo exited ${code}:\n${out}\n${err}`)));
    });
    const base = `http://localhost:${port}`;
    expect(out).toContain(`Integration Service demo is running: ${base}`);
    expect(out).toContain('4 sample findings loaded');
    expect(out).toMatch(/PR #\d+ merged in the GitHub simulator/);

    const signIn = await fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: ready[1], password: ready[2] }),
    });
    expect(signIn.status).toBe(200);
    expect(await signIn.json()).toMatchObject({ user: { username: 'admin', roles: ['admin'], org: 'demo-org' } });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const findings = (await (await fetch(`${base}/api/v1/findings`, { headers: { cookie } })).json()) as { findings: unknown[] };
    expect(findings.findings).toHaveLength(4);
    const connections = (await (await fetch(`${base}/api/v1/connections`, { headers: { cookie } })).json()) as { connections: { provider: string }[] };
    expect(connections.connections.map((connection) => connection.provider)).toEqual(expect.arrayContaining(['github', 'jira-cloud']));

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The service went with it.
    await expect(fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });
});
