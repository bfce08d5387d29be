/**
 * The killed-worker crash tests' common steps (test/tickets/*crash*): a scratch environment on either
 * database, a worker process (test/fixtures/crashing-ticket-worker.ts) that is killed with SIGKILL
 * right after the provider created the ticket, a second worker that must settle every job without a
 * duplicate, and the stored tickets read back afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { AppContext } from '../../src/context.ts';
import { ConnectionService } from '../../src/services/connections.ts';
import { upsertFindings } from '../../src/services/findings.ts';
import { createPostgresDatabase, type DatabaseKind } from './databases.ts';
import { testEnv } from './runtime.ts';
import { exited, waitUntil, withRuntime } from './wait.ts';

const workerScript = path.resolve(import.meta.dirname, '../fixtures/crashing-ticket-worker.ts');
const workers: ChildProcess[] = [];

/** For afterEach: kills the workers a failed test left running. */
export function killWorkers(): void {
  for (const child of workers.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export interface CrashEnvironment {
  env: Record<string, string>;
  /** Where the fixture leaves its markers (crashed, attempt.*, settled.*, gave-up.*, retry-later.*). */
  markers: string;
  marker(name: string): string;
  close(): Promise<void>;
}

/** A data folder, a marker folder and, on PostgreSQL, a fresh database; short job timeouts and retries. */
export async function crashEnvironment(kind: DatabaseKind, overrides: Record<string, string> = {}): Promise<CrashEnvironment> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'is-crash-'));
  const markers = path.join(dir, 'markers');
  fs.mkdirSync(markers);
  const env = testEnv({ DATA_DIR: path.join(dir, 'data'), JOB_TIMEOUT_SECONDS: '2', JOB_RETRY_DELAY_SECONDS: '1', LOG_LEVEL: 'warn', TEST_MARKER_DIR: markers, ...overrides });
  let dropDatabase: (() => Promise<void>) | null = null;
  if (kind === 'postgres') {
    const created = await createPostgresDatabase();
    env.DATABASE_URL = created.url;
    dropDatabase = created.drop;
  }
  return {
    env,
    markers,
    marker: (name) => path.join(markers, name),
    async close() {
      await dropDatabase?.();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Seeds the demo organization (a connection, one lodash finding) and queues its `create` job, in a short-lived runtime. */
export async function queueJiraCreate(env: Record<string, string>, jira: { url: string; credentials: { email: string; apiToken: string } }): Promise<{ orgId: string; findingId: string; fingerprint: string }> {
  return withRuntime(env, async ({ context }) => {
    const orgId = await context.tenants.orgId('demo-org');
    const connection = await new ConnectionService(context.db.orm, context.keyRing, context.outboundGuard).create(orgId, {
      provider: 'jira-cloud',
      name: 'Sim',
      site_url: jira.url,
      email: jira.credentials.email,
      api_token: jira.credentials.apiToken,
    });
    const [finding] = await upsertFindings(context.db.orm, orgId, [
      { kind: 'vulnerability', title: 'lodash prototype pollution', severity: 'high', ecosystem: 'npm', packageName: 'lodash', installedVersion: '4.17.15', fixedVersion: '4.17.21', advisoryIds: ['CVE-2021-23337'] },
    ]);
    await context.queue.enqueue('create', { org_id: orgId, connection_id: connection.id, finding_id: finding!.id, options: { projectKey: 'SEC', issueType: 'Bug' }, requested_by: null });
    return { orgId, findingId: finding!.id, fingerprint: finding!.fingerprint };
  });
}

/**
 * The crash and the restart: a first worker runs until the fixture kills it (SIGKILL) right after
 * the provider created a ticket, then a second runs until `settled` holds and is stopped (SIGTERM).
 * `afterCrash` checks the provider between the two. Returns both processes and the key of the ticket
 * created just before the kill.
 */
export async function crashThenRestart(
  crash: CrashEnvironment,
  settled: () => boolean,
  options: { crashMs?: number; settleMs?: number; what?: string; afterCrash?: (crashedKey: string) => void } = {},
): Promise<{ first: ChildProcess; second: ChildProcess; crashedKey: string }> {
  const start = () => {
    const child = spawn(process.execPath, [workerScript], { env: { ...process.env, ...crash.env }, stdio: 'ignore' });
    workers.push(child);
    return child;
  };
  const first = start();
  await waitUntil(() => fs.existsSync(crash.marker('crashed')), options.crashMs ?? 60_000, 'the first worker to create and crash');
  await exited(first);
  expect(first.signalCode).toBe('SIGKILL');
  const crashedKey = fs.readFileSync(crash.marker('crashed'), 'utf8');
  options.afterCrash?.(crashedKey);
  const second = start();
  await waitUntil(settled, options.settleMs ?? 120_000, options.what ?? 'every job to settle');
  second.kill('SIGTERM');
  await exited(second);
  return { first, second, crashedKey };
}

/** Reads stored rows afterwards, in a short-lived runtime that does not migrate. */
export async function readBack<T>(env: Record<string, string>, read: (context: AppContext) => Promise<T>): Promise<T> {
  return withRuntime({ ...env, MIGRATE_ON_START: 'false' }, ({ context }) => read(context));
}
