/**
 * Exactly once across a crash: a worker is killed between Jira's answer to the create and our write
 * of the key, while Jira's search lags behind. The next worker must not create a second issue: it
 * waits out the consistency window, finds the first issue by its fingerprint label and adopts it.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprintLabel } from '../../src/domain/fingerprint.ts';
import { crashEnvironment, crashThenRestart, killWorkers, queueJiraCreate, readBack } from '../helpers/crash-harness.ts';
import { type DatabaseKind, databaseKinds } from '../helpers/databases.ts';
import { startJiraCloudSimulator } from '../simulators/jira/cloud/index.ts';

afterEach(killWorkers);

describe.each(databaseKinds())('exactly-once ticket creation across a crash on %s', (kind: DatabaseKind) => {
  it('a worker killed after Jira created the issue leaves one issue, adopted by the retry', async () => {
    const jira = await startJiraCloudSimulator({ searchLagMs: 8_000 });
    const crash = await crashEnvironment(kind, { JIRA_SEARCH_CONSISTENCY_SECONDS: '12' });
    try {
      const { orgId, findingId, fingerprint } = await queueJiraCreate(crash.env, jira);
      const { first, second, crashedKey } = await crashThenRestart(crash, () => fs.existsSync(crash.marker('settled')), {
        crashMs: 30_000,
        settleMs: 60_000,
        what: 'the retry to settle',
        afterCrash: () => expect(jira.admin.issues()).toHaveLength(1),
      });

      // One issue in Jira, and our ticket points at it.
      const label = fingerprintLabel(fingerprint);
      expect(jira.admin.issues().filter((issue) => issue.labels.includes(label))).toHaveLength(1);
      expect(JSON.parse(fs.readFileSync(crash.marker('settled'), 'utf8'))).toEqual({ issue_key: crashedKey, outcome: 'existing' });
      // The crashed attempt and at least one retry by the second worker ran. How many retries waited
      // for the lagging search depends on timing (how soon the second worker started within the 8 s
      // lag), so it is not asserted: the invariant is the one issue above, adopted, never a second one.
      const attempts = fs.readdirSync(crash.markers).filter((name) => name.startsWith('attempt.'));
      expect(attempts.filter((name) => name.endsWith(`.${first.pid}`))).toHaveLength(1);
      expect(attempts.filter((name) => name.endsWith(`.${second.pid}`)).length).toBeGreaterThanOrEqual(1);
      const rows = await readBack(crash.env, (context) =>
        context.db.query<{ external_key: string; sync_state: string }>('select external_key, sync_state from tickets where org_id = $1 and finding_id = $2', [orgId, findingId]),
      );
      expect(rows).toEqual([{ external_key: crashedKey, sync_state: 'created' }]);
    } finally {
      await jira.close();
      await crash.close();
    }
  }, 150_000);
});
