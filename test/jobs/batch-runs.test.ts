/**
 * Batch runs of POST /internal/create-issues-and-prs (over 100 items) are never stuck `running`:
 * - on stored connections the run is child jobs: a real service process killed with SIGKILL in the
 *   middle (after Jira created a chunk's issues, before we recorded them) is restarted and the run
 *   completes, every item filed once, no duplicate issue;
 * - with request credentials (never stored) the run is worked in one process that heartbeats: when
 *   that process is killed, another process fails the run with the reason within three heartbeats,
 *   while a live owner's run is left alone; and such runs are bounded per process (429).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signHmacToken } from '../../src/auth/sign.ts';
import { startRunSweeper } from '../../src/services/internal/runs.ts';
import { createPostgresDatabase, type DatabaseKind, databaseKinds } from '../helpers/databases.ts';
import { startTestService, TEST_JWT_SECRET, testEnv } from '../helpers/runtime.ts';
import { exited, waitFor, withRuntime } from '../helpers/wait.ts';
import { startJiraCloudSimulator } from '../simulators/jira/cloud/index.ts';

const serviceScript = path.resolve(import.meta.dirname, '../fixtures/batch-service.ts');
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const vulnerability = (index: number) => ({
  id: `vuln-${index}`,
  package_name: `pkg-${index}`,
  ecosystem: 'npm',
  current_version: '1.0.0',
  fixed_version: '1.0.1',
  severity: 'high',
  cve_ids: [`CVE-2024-${10_000 + index}`],
  title: `Vulnerable pkg-${index}`,
});

async function environment(kind: DatabaseKind, extra: Record<string, string>): Promise<{ env: Record<string, string>; markers: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'is-runs-'));
  const markers = path.join(dir, 'markers');
  fs.mkdirSync(markers);
  const env = testEnv({ DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn', TEST_MARKER_DIR: markers, ...extra });
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  if (kind === 'postgres') {
    const created = await createPostgresDatabase();
    env.DATABASE_URL = created.url;
    cleanups.push(() => created.drop());
  }
  return { env, markers };
}

/** Starts the fixture service process and resolves with its base URL once it listens. */
async function startService(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [serviceScript], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += String(chunk);
      const match = /ready (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code, signal) => reject(new Error(`service exited (${code ?? signal}) before it listened: ${stderr.slice(-2000)}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

const bearer = async (roles: string[] = ['admin']) => ({
  authorization: `Bearer ${await signHmacToken(TEST_JWT_SECRET, 'HS256', { subject: 'batch-tester', roles })}`,
  'content-type': 'application/json',
});

async function call(url: string, method: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method, headers: await bearer(), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** A "Jira" that accepts connections and never answers: a batch against it stays in progress. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe.each(databaseKinds())('batch runs on %s', (kind) => {
  it('stored connections: a run survives its process being killed mid-chunk; restarted, it completes with no duplicate issue', async () => {
    const jira = await startJiraCloudSimulator({ searchLagMs: 0 });
    cleanups.push(() => jira.close());
    const { env, markers } = await environment(kind, {
      WORKER_CONCURRENCY: '1',
      JOB_TIMEOUT_SECONDS: '2',
      JOB_RETRY_DELAY_SECONDS: '1',
      JIRA_SEARCH_CONSISTENCY_SECONDS: '1',
      RUN_HEARTBEAT_SECONDS: '1',
    });

    // The first process crashes right after Jira created the second chunk's issues.
    const first = await startService({ ...env, CRASH_ON_CREATE: '2' });
    const connection = await call(`${first.url}/api/v1/connections`, 'POST', {
      provider: 'jira-cloud',
      name: 'Sim Jira',
      site_url: jira.url,
      email: jira.credentials.email,
      api_token: jira.credentials.apiToken,
    });
    expect(connection.status).toBe(201);
    const items = Array.from({ length: 120 }, (_, index) => vulnerability(index));
    const accepted = await call(`${first.url}/internal/create-issues-and-prs`, 'POST', { vulnerabilities: items, jira: { project_key: 'SEC', issue_type: 'Bug' } });
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ status: 'running', mode: 'queued', total: 120 });
    const runId = accepted.json.run_id as string;
    expect(await exited(first.child)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(fs.existsSync(path.join(markers, 'crashed'))).toBe(true);
    // Jira holds the crashed chunk's issues, which the database never learned about.
    expect(jira.admin.issues().length).toBe(100);

    const second = await startService(env);
    const run = await waitFor(async () => {
      const answer = await call(`${second.url}/api/v1/runs/${runId}`, 'GET');
      return answer.json.status === 'running' ? null : answer.json;
    }, 90_000);
    expect(run).toMatchObject({ status: 'completed', mode: 'queued', total: 120, completed: 120, failed: 0 });
    const result = run.result as { results: { item_id: string; jira: { status: string; issue_key: string } }[]; summary: { total: number; failed: number } };
    expect(result.summary).toMatchObject({ total: 120, failed: 0 });
    expect(result.results.map((item) => item.item_id)).toEqual(items.map((item) => item.id));
    expect(result.results.every((item) => item.jira.status === 'created' || item.jira.status === 'existing')).toBe(true);
    // Exactly one issue per item: the crashed chunk's issues were adopted, not created again.
    const issues = jira.admin.issues();
    expect(issues.length).toBe(120);
    expect(new Set(result.results.map((item) => item.jira.issue_key)).size).toBe(120);
    second.child.kill('SIGTERM');
    await exited(second.child);
  }, 180_000);

  it('request credentials: when the process working the run is killed, another fails it with the reason within three heartbeats', async () => {
    const silent = await silentServer();
    cleanups.push(() => silent.close());
    const { env } = await environment(kind, { RUN_HEARTBEAT_SECONDS: '1', OUTBOUND_TIMEOUT_MS: '120000' });
    const first = await startService(env);
    const items = Array.from({ length: 101 }, (_, index) => vulnerability(index));
    const accepted = await call(`${first.url}/internal/create-issues-and-prs`, 'POST', {
      vulnerabilities: items,
      jira: { jira_url: silent.url, jira_email: 'a@example.com', jira_pat: 'request-secret-token', project_key: 'SEC', issue_type: 'Bug' },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ status: 'running', mode: 'in-process', total: 101 });
    const runId = accepted.json.run_id as string;
    expect((await call(`${first.url}/api/v1/runs/${runId}`, 'GET')).json.status).toBe('running');
    first.child.kill('SIGKILL');
    await exited(first.child);

    // Any other process (here a fresh runtime on the same database) notices the silence.
    await withRuntime({ ...env, MIGRATE_ON_START: 'false' }, async ({ context }) => {
      const orgId = await context.tenants.orgId('demo-org');
      const rows = await waitFor(async () => {
        const found = await context.db.query<{ status: string; result: { error?: { code: string; message: string } } }>(
          'select status, result from runs where id = $1 and org_id = $2',
          [runId, orgId],
        );
        return found[0]?.status === 'failed' ? found : null;
      }, 30_000);
      expect(rows[0]!.result.error?.code).toBe('INTERRUPTED');
      expect(rows[0]!.result.error?.message).toMatch(/stopped: no heartbeat since .*cannot resume: post it again/);
      expect(JSON.stringify(rows)).not.toContain('request-secret-token');
    });
  }, 120_000);
});

describe.each(databaseKinds())('in-process runs of one live process on %s', (kind) => {
  it('a live owner keeps its run through sweeps; a second batch beyond RUNS_IN_PROCESS_MAX answers 429', async () => {
    const service = await startTestService(kind, { RUN_HEARTBEAT_SECONDS: '1', RUNS_IN_PROCESS_MAX: '1', OUTBOUND_TIMEOUT_MS: '120000' });
    cleanups.push(() => service.close());
    // Closed first (cleanups run in reverse), so the hanging Jira calls end before the service closes.
    const silent = await silentServer();
    cleanups.push(() => silent.close());
    const headers = { authorization: `Bearer ${await service.token({ roles: ['service'] })}` };
    const body = {
      vulnerabilities: Array.from({ length: 101 }, (_, index) => vulnerability(index)),
      jira: { jira_url: silent.url, jira_email: 'a@example.com', jira_pat: 'request-secret-token', project_key: 'SEC', issue_type: 'Bug' },
    };
    const accepted = await service.app.inject({ method: 'POST', url: '/internal/create-issues-and-prs', headers, payload: body });
    expect(accepted.statusCode).toBe(202);
    const runId = accepted.json().run_id as string;

    const busy = await service.app.inject({ method: 'POST', url: '/internal/create-issues-and-prs', headers, payload: body });
    expect(busy.statusCode).toBe(429);
    expect(busy.json().error.code).toBe('RATE_LIMITED');
    expect(busy.json().error.message).toContain('RUNS_IN_PROCESS_MAX');

    // Another process's sweeper, well past three heartbeats: the owner's beats keep the run alive.
    const other = startRunSweeper({
      orm: service.context.db.orm,
      jobState: async () => null,
      logger: service.context.logger,
      heartbeatSeconds: 1,
      ownerId: 'another-process',
    });
    await waitFor(async () => {
      const [row] = await service.context.db.query<{ alive: boolean }>(
        `select heartbeat_at > created_at + interval '4 seconds' as alive from runs where id = $1`,
        [runId],
      );
      return row?.alive;
    });
    await other.sweep();
    const run = await service.app.inject({ method: 'GET', url: `/api/v1/runs/${runId}`, headers });
    expect(run.json()).toMatchObject({ status: 'running', mode: 'in-process', result: null });

    // Another process shutting down fails only its own runs.
    await other.stop();
    const [row] = await service.context.db.query<{ status: string; result: { error?: { code: string; message: string } } }>('select status, result from runs where id = $1', [runId]);
    expect(row?.status).toBe('running');
  }, 60_000);
});

describe('in-process run bound', () => {
  it('is per service: a run still hanging in one service does not make another answer 429 (two services in one process, as tests run)', async () => {
    const silent = await silentServer();
    const first = await startTestService('embedded', { RUNS_IN_PROCESS_MAX: '1', OUTBOUND_TIMEOUT_MS: '120000' });
    const second = await startTestService('embedded', { RUNS_IN_PROCESS_MAX: '1', OUTBOUND_TIMEOUT_MS: '120000' });
    cleanups.push(() => first.close(), () => second.close(), () => silent.close());
    const body = {
      vulnerabilities: Array.from({ length: 101 }, (_, index) => vulnerability(index)),
      jira: { jira_url: silent.url, jira_email: 'a@example.com', jira_pat: 'request-secret-token', project_key: 'SEC', issue_type: 'Bug' },
    };
    const post = async (service: typeof first) =>
      service.app.inject({ method: 'POST', url: '/internal/create-issues-and-prs', headers: { authorization: `Bearer ${await service.token({ roles: ['service'] })}` }, payload: body });
    expect((await post(first)).statusCode).toBe(202);
    expect((await post(first)).statusCode).toBe(429);
    expect((await post(second)).statusCode).toBe(202);
  }, 60_000);
});
