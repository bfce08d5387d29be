/**
 * A killed worker mid-job: a real worker process running an `open_pr` job is killed (SIGKILL, no
 * cleanup: its branch lease stays behind) right after GitHub created the PR and before our database
 * recorded it. A restarted worker takes the job up once the lease and the job expire, finds the PR
 * the dead one opened, and records it: one PR on GitHub, one row, never a second create.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionService } from '../../src/services/connections.ts';
import { openPrPayload } from '../../src/services/pull-requests/pr-jobs.ts';
import { createPostgresDatabase, type DatabaseKind, databaseKinds } from '../helpers/databases.ts';
import { testEnv } from '../helpers/runtime.ts';
import { exited, withRuntime } from '../helpers/wait.ts';
import { startGitHubSimulator } from '../simulators/github/index.ts';

const workerScript = path.resolve(import.meta.dirname, '../fixtures/crashing-pr-worker.ts');
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(databaseKinds())('an open_pr job across a killed worker on %s', (kind: DatabaseKind) => {
  it('the worker killed after GitHub opened the PR leaves one PR, recorded by the restarted worker', async () => {
    const github = await startGitHubSimulator();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'is-pr-crash-'));
    const markers = path.join(dir, 'markers');
    fs.mkdirSync(markers);
    const env = testEnv({ DATA_DIR: path.join(dir, 'data'), JOB_TIMEOUT_SECONDS: '3', JOB_RETRY_DELAY_SECONDS: '1', LOG_LEVEL: 'warn', TEST_MARKER_DIR: markers });
    let dropDatabase: (() => Promise<void>) | null = null;
    if (kind === 'postgres') {
      const created = await createPostgresDatabase();
      env.DATABASE_URL = created.url;
      dropDatabase = created.drop;
    }
    const branch = 'security/npm/lodash-4.17.21';
    try {
      const orgId = await withRuntime(env, async ({ context }) => {
        const orgId = await context.tenants.orgId('demo-org');
        const connections = new ConnectionService(context.db.orm, context.keyRing, context.outboundGuard);
        const connection = await connections.create(orgId, { provider: 'github', name: 'Sim GitHub', api_url: github.apiUrl, token: github.token });
        const payload = openPrPayload(
          { repoUrl: `${github.url}/acme/web`, baseBranch: 'main', items: [{ packageName: 'lodash', ecosystem: 'npm', fixedVersion: '4.17.21', currentVersion: '4.17.15', advisories: [{ id: 'CVE-2021-23337' }] }], connectionId: connection.id },
          { orgId, commentOnTicket: false, source: 'request', requestedBy: null },
        );
        await context.queue.enqueue('open_pr', payload);
        return orgId;
      });

      const first = spawn(process.execPath, [workerScript], { env: { ...process.env, ...env }, stdio: 'ignore' });
      children.push(first);
      await waitFor(() => fs.existsSync(path.join(markers, 'crashed')), 30_000, 'the first worker to open the PR and die');
      await exited(first);
      expect(first.signalCode).toBe('SIGKILL');
      const number = Number(fs.readFileSync(path.join(markers, 'crashed'), 'utf8'));
      expect(github.admin.pulls('acme/web').filter((pull) => pull.headRef === branch)).toHaveLength(1);

      const second = spawn(process.execPath, [workerScript], { env: { ...process.env, ...env }, stdio: 'ignore' });
      children.push(second);
      await waitFor(() => fs.existsSync(path.join(markers, 'settled')), 60_000, 'the restarted worker to settle the job');
      second.kill('SIGTERM');
      await exited(second);

      expect(JSON.parse(fs.readFileSync(path.join(markers, 'settled'), 'utf8'))).toMatchObject({ status: 'existing', pr_number: number, branch });
      const pulls = github.admin.pulls('acme/web').filter((pull) => pull.headRef === branch);
      expect(pulls.map((pull) => [pull.number, pull.state])).toEqual([[number, 'open']]);
      const creates = github.admin.requests().filter((request) => request.method === 'POST' && /\/repos\/acme\/web\/pulls$/.test(request.path));
      expect(creates).toHaveLength(1);
      await withRuntime({ ...env, MIGRATE_ON_START: 'false' }, async ({ context }) => {
        const rows = await context.db.query<{ number: number; state: string }>('select number, state from pull_requests where org_id = $1 and branch = $2', [orgId, branch]);
        expect(rows).toEqual([{ number, state: 'open' }]);
      });
    } finally {
      await github.close();
      await dropDatabase?.();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
