/**
 * `integration-service import --direct` runs the same follow-ups as POST /api/v1/findings/import
 * (src/services/imports/lifecycle.ts): the organization's policy queues a `create` job for a new
 * critical finding, and the ticket of a finding the scan resolved gets a `transition` job to done.
 * Before, the direct path ran no follow-up at all and queued nothing. A dry run still queues nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { connections, findings, orgPolicies, tickets } from '../../src/db/schema.ts';
import type { CliIo } from '../../src/main/cli-io.ts';
import { main } from '../../src/main/cli.ts';
import { TenantDirectory } from '../../src/services/tenancy.ts';
import { testEnv } from '../helpers/runtime.ts';
import { and, eq } from 'drizzle-orm';

async function cli(argv: string[], env: Record<string, string>, cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env, cwd };
  const code = await main(argv, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const report = (vulns: { id: string; pkg: string }[]) =>
  JSON.stringify({
    SchemaVersion: 2,
    Results: [{ Target: 'package-lock.json', Class: 'lang-pkgs', Type: 'npm', Vulnerabilities: vulns.map((v) => ({ VulnerabilityID: v.id, PkgName: v.pkg, InstalledVersion: '1.0.0', FixedVersion: '1.0.1', Severity: 'CRITICAL' })) }],
  });

describe('import --direct follow-ups', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'import-direct-'));
    env = testEnv({ DATA_DIR: join(dir, 'data'), PORT: '9', LOG_LEVEL: 'error' });
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens the CLI's embedded database (no process holds it between commands). */
  const withDb = async <T>(work: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> => {
    const db = await openDatabase({ kind: 'embedded', dir: join(dir, 'data', 'pgdata') });
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  };

  it('queues the policy tickets for new findings and the done transitions of resolved findings’ tickets, like the API', async () => {
    const file = join(dir, 'trivy.json');
    writeFileSync(file, report([{ id: 'CVE-2026-5000', pkg: 'direct-old' }]));
    const first = await cli(['import', file, '--direct', '--target', 'acme/direct', '--json'], env, dir);
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toMatchObject({ new: 1 });

    // The organization's policy (tickets for critical findings on its Jira connection) and the old finding's ticket.
    const { ticketId } = await withDb(async (db) => {
      const orgId = await new TenantDirectory(db.orm).orgId('demo-org');
      const [connection] = await db.orm
        .insert(connections)
        .values({ orgId, provider: 'jira-cloud', name: 'Jira', authKind: 'api-token', siteUrl: 'https://acme.atlassian.net', accountEmail: 'bot@acme.test' })
        .returning({ id: connections.id });
      await db.orm.insert(orgPolicies).values({ orgId, ticketSeverities: ['critical'], ticketConnectionId: connection!.id, ticketOptions: { projectKey: 'SEC' }, slaDays: {} });
      const [old] = await db.orm.select({ id: findings.id }).from(findings).where(and(eq(findings.orgId, orgId), eq(findings.packageName, 'direct-old')));
      const [ticket] = await db.orm
        .insert(tickets)
        .values({ orgId, findingId: old!.id, connectionId: connection!.id, provider: 'jira-cloud', syncState: 'created', externalId: '10001', externalKey: 'SEC-1', externalStatus: 'To Do', state: 'todo' })
        .returning({ id: tickets.id });
      return { ticketId: ticket!.id };
    });

    // A dry run queues nothing.
    writeFileSync(file, report([{ id: 'CVE-2026-5001', pkg: 'direct-new' }]));
    const dry = await cli(['import', file, '--direct', '--target', 'acme/direct', '--dry-run', '--json'], env, dir);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, new: 1, resolved: 1 });

    const second = await cli(['import', file, '--direct', '--target', 'acme/direct', '--json'], env, dir);
    expect(second.stderr).toBe('');
    const summary = JSON.parse(second.stdout) as { scanId: string };
    expect(summary).toMatchObject({ new: 1, resolved: 1 });

    const jobs = await withDb((db) => db.query<{ name: string; data: Record<string, unknown> }>("select name, data from pgboss.job where name in ('create', 'transition') order by created_on"));
    const created = jobs.filter((job) => job.name === 'create');
    expect(created).toHaveLength(1);
    const newFinding = await withDb(async (db) => (await db.orm.select({ id: findings.id }).from(findings).where(eq(findings.packageName, 'direct-new')))[0]!.id);
    expect(created[0]!.data).toMatchObject({ finding_id: newFinding, options: { projectKey: 'SEC' } });
    const transitions = jobs.filter((job) => job.name === 'transition');
    expect(transitions).toHaveLength(1);
    expect(transitions[0]!.data).toMatchObject({ ticket_id: ticketId, to: 'done', if_finding: 'resolved', once_key: `scan-resolved:${summary.scanId}` });
    expect(JSON.stringify(transitions[0]!.data)).toContain(`no longer detected in scan ${summary.scanId} of acme/direct`);
  }, 180_000);
});
