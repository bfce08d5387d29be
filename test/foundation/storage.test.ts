/**
 * The schema's guarantees, on both databases: demo-org exists, default mappings are created and
 * cannot be removed, duplicates are impossible, the audit log is append-only, and no secret is
 * stored in clear (every table dumped and searched) while key rotation keeps them readable.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyRing, parseEncryptionKeys } from '../../src/crypto/index.ts';
import { auditEvents, connections, findings, mappings, organizations, pullRequests, tickets } from '../../src/db/schema.ts';
import { openSecret, reencryptAll, sealSecret } from '../../src/services/secret-columns.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService, TEST_ENCRYPTION_KEYS, type TestService } from '../helpers/runtime.ts';

const PLAINTEXT_TOKEN = 'ATATT3xFfGF0-plaintext-api-token-that-must-never-be-stored';

async function dumpAllTables(service: TestService): Promise<string> {
  const tables = await service.context.db.query<{ schemaname: string; tablename: string }>(
    "select schemaname, tablename from pg_tables where schemaname not in ('pg_catalog', 'information_schema')",
  );
  const chunks: string[] = [];
  for (const { schemaname, tablename } of tables) {
    const rows = await service.context.db.query(`select * from "${schemaname}"."${tablename}"`);
    chunks.push(JSON.stringify(rows));
  }
  return chunks.join('\n');
}

describe.each(databaseKinds())('storage invariants on %s', (kind) => {
  let service: TestService;
  let orgId: string;
  let connectionId: string;

  beforeAll(async () => {
    service = await startTestService(kind);
    const orm = service.context.db.orm;
    const [org] = await orm.select().from(organizations).where(eq(organizations.slug, 'demo-org'));
    orgId = org!.id;
    const [connection] = await orm
      .insert(connections)
      .values({ orgId, provider: 'jira-cloud', name: 'Acme Jira', authKind: 'api-token', siteUrl: 'https://acme.atlassian.net' })
      .returning();
    connectionId = connection!.id;
    const sealed = sealSecret(service.context.keyRing, 'connections', connectionId, JSON.stringify({ api_token: PLAINTEXT_TOKEN }));
    await orm.update(connections).set({ secretsEncrypted: sealed }).where(eq(connections.id, connectionId));
  });
  afterAll(async () => {
    await service?.close();
  });

  it('creates demo-org on first start', async () => {
    expect(orgId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives every connection default status and priority mappings that cannot be removed', async () => {
    const rows = await service.context.db.orm.select().from(mappings).where(eq(mappings.connectionId, connectionId));
    expect(rows.map((row) => [row.kind, row.source, row.target]).sort()).toEqual([
      ['priority', 'default', 'medium'],
      ['status', 'default', 'backlog'],
    ]);
    await expect(service.context.db.query("delete from mappings where connection_id = $1 and source = 'default'", [connectionId])).rejects.toThrow(
      /cannot be removed/,
    );
    await service.context.db.query("update mappings set target = 'todo' where connection_id = $1 and kind = 'status' and source = 'default'", [
      connectionId,
    ]);
    const after = await service.context.db.query<{ target: string }>(
      "select target from mappings where connection_id = $1 and kind = 'status' and source = 'default'",
      [connectionId],
    );
    expect(after[0]?.target).toBe('todo');
  });

  it('makes duplicate findings, tickets and open PRs impossible', async () => {
    const orm = service.context.db.orm;
    const finding = { orgId, kind: 'vulnerability', fingerprint: 'fp-1', title: 'lodash prototype pollution', severity: 'high' };
    const [created] = await orm.insert(findings).values(finding).returning();
    await expect(orm.insert(findings).values(finding)).rejects.toThrow();
    const ticket = { orgId, findingId: created!.id, connectionId, provider: 'jira-cloud' };
    await orm.insert(tickets).values(ticket);
    await expect(orm.insert(tickets).values(ticket)).rejects.toThrow();
    const pr = { orgId, repoUrl: 'https://github.com/acme/web', branch: 'security/npm/lodash-4.17.21', baseBranch: 'main' };
    const [opened] = await orm.insert(pullRequests).values(pr).returning();
    await expect(orm.insert(pullRequests).values(pr)).rejects.toThrow();
    // Once closed, the same branch may carry a new PR.
    await orm.update(pullRequests).set({ state: 'closed' }).where(eq(pullRequests.id, opened!.id));
    await orm.insert(pullRequests).values(pr);
  });

  it('keeps the audit log append-only', async () => {
    const [event] = await service.context.db.orm
      .insert(auditEvents)
      .values({ orgId, actor: 'tester', action: 'test', status: 'ok' })
      .returning();
    await expect(service.context.db.query('update audit_events set status = $1 where id = $2', ['tampered', event!.id])).rejects.toThrow(/append-only/);
    await expect(service.context.db.query('delete from audit_events where id = $1', [event!.id])).rejects.toThrow(/append-only/);
  });

  it('stores no secret in clear: a dump of every table does not contain the token', async () => {
    const dump = await dumpAllTables(service);
    expect(dump).toContain(connectionId);
    expect(dump).not.toContain(PLAINTEXT_TOKEN);
    expect(dump).not.toContain(Buffer.from(PLAINTEXT_TOKEN).toString('base64'));
  });

  it('binds a ciphertext to its row: copied to another row it does not decrypt', async () => {
    const [row] = await service.context.db.orm.select().from(connections).where(eq(connections.id, connectionId));
    expect(() => openSecret(service.context.keyRing, 'connections', '00000000-0000-4000-8000-000000000000', row!.secretsEncrypted!)).toThrow();
  });

  it('rotates keys: a new active key re-encrypts every secret, old ciphertexts stay readable until then', async () => {
    const newKey = `t2:${Buffer.alloc(32, 9).toString('base64')}`;
    const ring = createKeyRing(parseEncryptionKeys(`${newKey},${TEST_ENCRYPTION_KEYS}`));
    const report = await reencryptAll(service.context.db, ring);
    expect(report.find((entry) => entry.table === 'connections')?.rewritten).toBe(1);
    const [row] = await service.context.db.orm.select().from(connections).where(eq(connections.id, connectionId));
    expect(row!.secretsEncrypted!.split(':')[1]).toBe('t2');
    expect(JSON.parse(openSecret(ring, 'connections', connectionId, row!.secretsEncrypted!))).toEqual({ api_token: PLAINTEXT_TOKEN });
    expect((await reencryptAll(service.context.db, ring)).every((entry) => entry.rewritten === 0)).toBe(true);
    expect(await dumpAllTables(service)).not.toContain(PLAINTEXT_TOKEN);
  });
});
