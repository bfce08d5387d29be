/**
 * Exactly once across a crash, on ServiceNow: a worker is killed (SIGKILL) right after ServiceNow
 * created an incident and before our database learned its sys_id. The restarted worker looks the
 * finding's correlation_id up before resending and adopts that incident: one incident per finding,
 * on the embedded database and, with TEST_DATABASE_URL, on PostgreSQL. The same test as Jira's
 * (crash-exactly-once.test.ts), with three findings queued so jobs in flight at the kill are covered.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprintLabel } from '../../src/domain/fingerprint.ts';
import { ConnectionService } from '../../src/services/connections.ts';
import { upsertFindings } from '../../src/services/findings.ts';
import { crashEnvironment, crashThenRestart, killWorkers, readBack } from '../helpers/crash-harness.ts';
import { type DatabaseKind, databaseKinds } from '../helpers/databases.ts';
import { withRuntime } from '../helpers/wait.ts';
import { startServiceNowSimulator } from '../simulators/servicenow/index.ts';

afterEach(killWorkers);

describe.each(databaseKinds())('ServiceNow exactly-once ticket creation across a crash on %s', (kind: DatabaseKind) => {
  // The findings whose rows the killed worker had claimed but not yet sent are found nowhere at
  // ServiceNow, so the restarted worker must take their claim over (TicketStore.claim); on PostgreSQL
  // that compare-and-set never matched (microseconds against a Date's milliseconds) until it was fixed.
  it('a worker killed after ServiceNow created the incident leaves one incident per finding, adopted by the retry', async () => {
    const sn = await startServiceNowSimulator({ outbound: null });
    const crash = await crashEnvironment(kind);
    try {
      const { orgId, connectionId, findings } = await withRuntime(crash.env, async ({ context }) => {
        const orgId = await context.tenants.orgId('demo-org');
        const connections = new ConnectionService(context.db.orm, context.keyRing, context.outboundGuard);
        const connection = await connections.create(orgId, {
          provider: 'servicenow',
          auth_kind: 'basic',
          name: 'Sim SN',
          instance_url: sn.url,
          username: sn.credentials.username,
          password: sn.credentials.password,
        });
        const stored = await upsertFindings(
          context.db.orm,
          orgId,
          ['lodash', 'minimist', 'axios'].map((name) => ({ kind: 'vulnerability' as const, title: `${name} advisory`, severity: 'high' as const, ecosystem: 'npm', packageName: name, installedVersion: '1.0.0', fixedVersion: '1.0.9' })),
        );
        for (const finding of stored) {
          const queued = await context.queue.enqueue('create', { org_id: orgId, connection_id: connection.id, finding_id: finding.id, options: {}, requested_by: null }, { singletonKey: `create:${connection.id}:${finding.id}` });
          expect(queued).not.toBeNull();
        }
        return { orgId, connectionId: connection.id, findings: stored.map((finding) => ({ id: finding.id, fingerprint: finding.fingerprint })) };
      });

      const { crashedKey } = await crashThenRestart(crash, () => findings.every((finding) => fs.existsSync(crash.marker(`settled.${finding.id}`))), {
        afterCrash: (key) => expect(sn.admin.records('incident').some((record) => record.number === key)).toBe(true),
      });

      // One incident per finding in ServiceNow (by correlation_id), and the crashed one was adopted, not re-sent.
      for (const finding of findings) {
        expect(sn.admin.records('incident').filter((record) => record.correlation_id === fingerprintLabel(finding.fingerprint))).toHaveLength(1);
      }
      const outcomes = findings.map((finding) => JSON.parse(fs.readFileSync(crash.marker(`settled.${finding.id}`), 'utf8')) as { issue_key: string; outcome: string });
      expect(outcomes).toContainEqual({ issue_key: crashedKey, outcome: 'existing' });
      const creates = sn.admin.received({ method: 'POST', path: '/api/now/table/incident' }).filter((entry) => entry.status === 201);
      expect(creates).toHaveLength(findings.length);
      const rows = await readBack(crash.env, (context) =>
        context.db.query<{ finding_id: string; external_key: string; sync_state: string }>(
          'select finding_id, external_key, sync_state from tickets where org_id = $1 and connection_id = $2 order by finding_id',
          [orgId, connectionId],
        ),
      );
      expect(rows).toHaveLength(findings.length);
      for (const row of rows) expect(row.sync_state).toBe('created');
      expect(rows.map((row) => row.external_key)).toContain(crashedKey);
      expect(new Set(rows.map((row) => row.external_key)).size).toBe(findings.length);
    } finally {
      await sn.close();
      await crash.close();
    }
  }, 210_000);
});
