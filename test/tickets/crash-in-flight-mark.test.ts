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
import fs from 'node:fs';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintLabel } from '../../src/domain/fingerprint.ts';
import { crashEnvironment, crashThenRestart, killWorkers, queueJiraCreate, readBack } from '../helpers/crash-harness.ts';
import { type DatabaseKind, databaseKinds } from '../helpers/databases.ts';
import { startJiraCloudSimulator } from '../simulators/jira/cloud/index.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const MARK_TTL_MS = 20_000;

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

afterEach(killWorkers);

describe.each(databaseKinds())('exactly-once ticket creation across a crash with Redis in-flight marks on %s', (kind: DatabaseKind) => {
  it("the retry waits out the killed worker's in-flight mark, then adopts its issue: one issue, the job completed", async () => {
    const jira = await startJiraCloudSimulator({ searchLagMs: 0 });
    const crash = await crashEnvironment(kind, {
      REDIS_URL,
      JOB_MAX_ATTEMPTS: '4',
      JIRA_SEARCH_CONSISTENCY_SECONDS: '1',
      TEST_IN_FLIGHT_TTL_MS: String(MARK_TTL_MS),
    });
    try {
      const { orgId, findingId, fingerprint } = await queueJiraCreate(crash.env, jira);
      const settled = crash.marker(`settled.${findingId}`);
      const gaveUp = crash.marker(`gave-up.${findingId}`);
      const { second, crashedKey } = await crashThenRestart(crash, () => fs.existsSync(settled) || fs.existsSync(gaveUp), {
        crashMs: 30_000,
        what: 'the job to complete or fail for good',
        afterCrash: () => expect(jira.admin.issues()).toHaveLength(1),
      });

      // The job did not fail for good on the mark ("another request is creating this issue right now").
      expect(fs.existsSync(gaveUp) ? fs.readFileSync(gaveUp, 'utf8') : null).toBeNull();
      // The restarted worker met the killed worker's mark (the case under test) once: that attempt
      // waited until the mark was gone, so the next one did not meet it again.
      const deferrals = fs
        .readdirSync(crash.markers)
        .filter((name) => name.startsWith(`retry-later.${findingId}.`) && name.endsWith(`.${second.pid}`))
        .map((name) => JSON.parse(fs.readFileSync(crash.marker(name), 'utf8')) as { message: string; retry_after_ms: number });
      expect(deferrals.filter((deferral) => deferral.message.startsWith('another request is creating this issue'))).toHaveLength(1);
      expect(JSON.parse(fs.readFileSync(settled, 'utf8'))).toEqual({ issue_key: crashedKey, outcome: 'existing' });
      const label = fingerprintLabel(fingerprint);
      expect(jira.admin.issues().filter((issue) => issue.labels.includes(label))).toHaveLength(1);
      const rows = await readBack(crash.env, (context) =>
        context.db.query<{ external_key: string; sync_state: string }>('select external_key, sync_state from tickets where org_id = $1 and finding_id = $2', [orgId, findingId]),
      );
      expect(rows).toEqual([{ external_key: crashedKey, sync_state: 'created' }]);
    } finally {
      await jira.close();
      await crash.close();
    }
  }, 180_000);
});
