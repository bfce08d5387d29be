/**
 * Exactly once across a crash with REDIS_URL set: the killed worker's in-flight mark (Redis, "this
 * row is being created right now") outlives it until its TTL runs out. The restarted worker's retry
 * meets that mark and must wait for it to expire, not spend its attempts on the queue's short retry
 * delay and fail for good while the mark still stands (the finding would never get its ticket). After
 * the mark expires the retry finds the crashed worker's issue and adopts it: one issue, on both databases.
 *
 * The marks live 60 s at least in production; here TEST_IN_FLIGHT_TTL_MS makes them live 20 s, and
 * JOB_MAX_ATTEMPTS=4, retried every 2 s (the in-progress Retry-After) as before the fix, are used up
 * well inside that lifetime: the job failed for good here on both databases until the retry waited
 * for the mark.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintLabel } from '../../src/domain/fingerprint.ts';
import { ConnectionService } from '../../src/services/connections.ts';
import { upsertFindings } from '../../src/services/findings.ts';
import { createPostgresDatabase, type DatabaseKind, databaseKinds } from '../helpers/databases.ts';
import { testEnv } from '../helpers/runtime.ts';
import { exited, waitUntil, withRuntime } from '../helpers/wait.ts';
import { startJiraCloudSimulator } from '../simulators/jira/cloud/index.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const MARK_TTL_MS = 20_000;
const workerScript = path.resolve(import.meta.dirname, '../fixtures/crashing-ticket-worker.ts');
const children: ChildProcess[] = [];

beforeAll(async () => {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new Error(`This test needs Redis at ${REDIS_URL} and none answered (${(error as Error).message}); README.md lists the services \`npm test\` expects.`, { cause: error });
  } finally {
    probe.disconnect();
  }
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe.each(databaseKinds())('exactly-once ticket creation across a crash with Redis in-flight marks on %s', (kind: DatabaseKind) => {
  it("the retry waits out the killed worker's in-flight mark, then adopts its issue: one issue, the job completed", async () => {
    const jira = await startJiraCloudSimulator({ searchLagMs: 0 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'is-crash-mark-'));
    const markers = path.join(dir, 'markers');
    fs.mkdirSync(markers);
    const env = testEnv({
      DATA_DIR: path.join(dir, 'data'),
      REDIS_URL,
      JOB_TIMEOUT_SECONDS: '2',
      JOB_RETRY_DELAY_SECONDS: '1',
      JOB_MAX_ATTEMPTS: '4',
      JIRA_SEARCH_CONSISTENCY_SECONDS: '1',
      LOG_LEVEL: 'warn',
      TEST_MARKER_DIR: markers,
      TEST_IN_FLIGHT_TTL_MS: String(MARK_TTL_MS),
    });
    let dropDatabase: (() => Promise<void>) | null = null;
    if (kind === 'postgres') {
      const created = await createPostgresDatabase();
      env.DATABASE_URL = created.url;
      dropDatabase = created.drop;
    }
    try {
      const { orgId, findingId, fingerprint } = await withRuntime(env, async ({ context }) => {
        const orgId = await context.tenants.orgId('demo-org');
        const connections = new ConnectionService(context.db.orm, context.keyRing, context.outboundGuard);
        const connection = await connections.create(orgId, {
          provider: 'jira-cloud',
          name: 'Sim',
          site_url: jira.url,
          email: jira.credentials.email,
          api_token: jira.credentials.apiToken,
        });
        const [finding] = await upsertFindings(context.db.orm, orgId, [
          { kind: 'vulnerability', title: 'lodash prototype pollution', severity: 'high', ecosystem: 'npm', packageName: 'lodash', installedVersion: '4.17.15', fixedVersion: '4.17.21', advisoryIds: ['CVE-2021-23337'] },
        ]);
        await context.queue.enqueue('create', {
          org_id: orgId,
          connection_id: connection.id,
          finding_id: finding!.id,
          options: { projectKey: 'SEC', issueType: 'Bug' },
          requested_by: null,
        });
        return { orgId, findingId: finding!.id, fingerprint: finding!.fingerprint };
      });

      const first = spawn(process.execPath, [workerScript], { env: { ...process.env, ...env }, stdio: 'ignore' });
      children.push(first);
      await waitUntil(() => fs.existsSync(path.join(markers, 'crashed')), 30_000, 'the first worker to create and crash');
      await exited(first);
      expect(first.signalCode).toBe('SIGKILL');
      const crashedKey = fs.readFileSync(path.join(markers, 'crashed'), 'utf8');
      expect(jira.admin.issues()).toHaveLength(1);

      const second = spawn(process.execPath, [workerScript], { env: { ...process.env, ...env }, stdio: 'ignore' });
      children.push(second);
      const settled = path.join(markers, `settled.${findingId}`);
      const gaveUp = path.join(markers, `gave-up.${findingId}`);
      await waitUntil(() => fs.existsSync(settled) || fs.existsSync(gaveUp), 120_000, 'the job to complete or fail for good');
      second.kill('SIGTERM');
      await exited(second);

      // The job did not fail for good on the mark ("another request is creating this issue right now").
      expect(fs.existsSync(gaveUp) ? fs.readFileSync(gaveUp, 'utf8') : null).toBeNull();
      // The restarted worker met the killed worker's mark (the case under test) once: that attempt
      // waited until the mark was gone, so the next one did not meet it again.
      const deferrals = fs
        .readdirSync(markers)
        .filter((name) => name.startsWith(`retry-later.${findingId}.`) && name.endsWith(`.${second.pid}`))
        .map((name) => JSON.parse(fs.readFileSync(path.join(markers, name), 'utf8')) as { message: string; retry_after_ms: number });
      expect(deferrals.filter((deferral) => deferral.message.startsWith('another request is creating this issue'))).toHaveLength(1);
      expect(JSON.parse(fs.readFileSync(settled, 'utf8'))).toEqual({ issue_key: crashedKey, outcome: 'existing' });
      const label = fingerprintLabel(fingerprint);
      expect(jira.admin.issues().filter((issue) => issue.labels.includes(label))).toHaveLength(1);
      await withRuntime({ ...env, MIGRATE_ON_START: 'false' }, async ({ context }) => {
        const rows = await context.db.query<{ external_key: string; sync_state: string }>(
          'select external_key, sync_state from tickets where org_id = $1 and finding_id = $2',
          [orgId, findingId],
        );
        expect(rows).toEqual([{ external_key: crashedKey, sync_state: 'created' }]);
      });
    } finally {
      await jira.close();
      await dropDatabase?.();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
