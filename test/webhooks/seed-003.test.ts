/**
 * Seed 003's webhook test, run as written (with the jq typo `\"JIRA\"` mended to `"JIRA"`):
 * `integration-service tls-cert` makes a localhost pair, `integration-service serve` runs as its own
 * process on the embedded database with TLS_CERT/TLS_KEY (HTTPS), `integration-service summary`
 * (another process: the embedded database is held by the server) writes tmp/integration-summary.json
 * through the API, then bash runs the seed's jq / openssl dgst -hmac / curl lines against
 * https://localhost:<port>. curl trusts the generated certificate (--cacert); the answer must be 2xx
 * and the delivery must show in the next summary's last_delivery_at.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ENCRYPTION_KEYS, TEST_JWT_SECRET } from '../helpers/runtime.ts';
import { exited } from '../helpers/wait.ts';

const cli = fileURLToPath(new URL('../../src/main/cli.ts', import.meta.url));
const missingTools = ['jq', 'openssl', 'curl', 'bash'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function runCli(args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface SummaryEntry {
  provider: string;
  webhook: { url: string; secret?: string; last_delivery_at: string | null };
  connection: unknown;
  mappings: Record<string, Record<string, string>>;
}

describe.skipIf(missingTools.length > 0)(`seed 003 webhook command${missingTools.length > 0 ? ` (skipped: ${missingTools.join(', ')} not installed)` : ''}`, () => {
  let dir: string;
  let server: ChildProcess | null = null;
  let port: number;
  let env: Record<string, string>;
  let serverLog = '';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seed003-'));
    const cert = await runCli(['tls-cert', '--out-dir', 'tls'], { NODE_ENV: 'test' }, dir);
    expect(cert.code, cert.stderr).toBe(0);
    port = await freePort();
    env = {
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: path.join(dir, 'data'),
      DATABASE_URL: '',
      JWT_SECRET_KEY: TEST_JWT_SECRET,
      ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      NTP_SERVER: 'off',
      LOG_LEVEL: 'warn',
      TLS_CERT: 'tls/localhost.crt',
      TLS_KEY: 'tls/localhost.key',
    };
    server = spawn(process.execPath, [cli, 'serve'], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
    // Ready when /health answers over HTTPS (the generated certificate trusted).
    const deadline = Date.now() + 90_000;
    for (;;) {
      const probe = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', path.join(dir, 'tls/localhost.crt'), `https://localhost:${port}/health`], { encoding: 'utf8' });
      if (probe.stdout === '200') break;
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not come up over HTTPS: ${serverLog.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }, 120_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await exited(server);
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('tls-cert wrote a localhost certificate and a private key only the owner can read', () => {
    const text = spawnSync('openssl', ['x509', '-in', path.join(dir, 'tls/localhost.crt'), '-noout', '-text'], { encoding: 'utf8' }).stdout;
    expect(text).toContain('DNS:localhost');
    expect(text).toContain('IP Address:127.0.0.1');
    expect(fs.statSync(path.join(dir, 'tls/localhost.key')).mode & 0o777).toBe(0o600);
  });

  it('summary (while serve holds the embedded database) writes the file; the seed command gets a 2xx', async () => {
    const written = await runCli(['summary'], env, dir);
    expect(written.code, written.stderr).toBe(0);
    const file = path.join(dir, 'tmp/integration-summary.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const summary = JSON.parse(fs.readFileSync(file, 'utf8')) as SummaryEntry[];
    expect(summary.map((entry) => entry.provider).sort()).toEqual(['GITHUB', 'JIRA', 'SERVICENOW']);
    const jira = summary.find((entry) => entry.provider === 'JIRA')!;
    expect(jira.webhook.url).toBe(`https://localhost:${port}/api/integrations/jira/webhook`);
    expect(jira.webhook.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(jira.webhook.last_delivery_at).toBeNull();
    expect(jira.connection).toBeNull();
    expect(jira.mappings).toEqual({ status: { default: 'backlog' }, priority: { default: 'medium' } });

    // Seed 003, "Testing", line for line (jq filter mended; the port is this test's; curl trusts our CA).
    const script = [
      'set -euo pipefail',
      `payload='{"issue":{"id":"10001","fields":{"summary":"FedRAMP AC-2","status":{"name":"In Progress"},"priority":{"name":"High"},"project":{"key":"FEDRAMP"}}}}'`,
      `secret="$(jq -r '.[] | select(.provider=="JIRA").webhook.secret' tmp/integration-summary.json)"`,
      `signature=$(echo -n "$payload" | openssl dgst -sha256 -hmac "$secret" | cut -d' ' -f2)`,
      `curl -XPOST https://localhost:${port}/api/integrations/jira/webhook \\`,
      '  -H "Content-Type: application/json" \\',
      '  -H "X-Jira-Signature: $signature" \\',
      '  -d "$payload" \\',
      '  --cacert tls/localhost.crt -sS -o response.json -w "%{http_code}"',
    ].join('\n');
    const result = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^2\d\d$/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'response.json'), 'utf8'))).toMatchObject({ status: 'accepted' });

    // The same command again is acknowledged as a repeat (same body: same body-hash delivery id).
    const again = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8' });
    expect(again.stdout).toBe('200');

    // A wrong secret is refused.
    const forged = spawnSync('bash', ['-c', script.replace('"$secret"', '"not-the-secret"')], { cwd: dir, encoding: 'utf8' });
    expect(forged.stdout).toBe('401');

    const rewritten = await runCli(['summary', '--out', 'tmp/after.json', '--url', `https://localhost:${port}`], env, dir);
    expect(rewritten.code, rewritten.stderr).toBe(0);
    const after = JSON.parse(fs.readFileSync(path.join(dir, 'tmp/after.json'), 'utf8')) as SummaryEntry[];
    expect(after.find((entry) => entry.provider === 'JIRA')!.webhook.last_delivery_at).not.toBeNull();
  }, 60_000);

  it('summary says plainly when no service answers', async () => {
    const result = await runCli(['summary', '--url', `http://127.0.0.1:${await freePort()}`], env, dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/could not reach the service/);
  });
});
