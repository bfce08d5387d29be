/**
 * Migration 0019 turns stored jsonb payloads into bytes: a delivery stored (and not yet processed)
 * before the upgrade keeps its content, and the processing job still reads it afterwards.
 */
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { migrationsFolder, runMigrations } from '../../src/db/migrate.ts';
import { claimDelivery } from '../../src/services/webhooks/process.ts';
import type { AppContext } from '../../src/context.ts';
import { createTestDatabase, type DatabaseKind, databaseKinds, type TestDatabase } from '../helpers/databases.ts';

/** A copy of the migrations folder that ends just before `tag`. */
async function migrationsBefore(tag: string): Promise<{ folder: string; remove(): Promise<void> }> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
  await cp(migrationsFolder, folder, { recursive: true });
  const journalFile = path.join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: { tag: string }[] };
  const end = journal.entries.findIndex((entry) => entry.tag === tag);
  if (end < 0) throw new Error(`no migration ${tag}`);
  await writeFile(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, end) }));
  return { folder, remove: () => rm(folder, { recursive: true, force: true }) };
}

async function migrateWith(db: Database, folder: string): Promise<void> {
  if (db.pglite) {
    await migratePglite(drizzlePglite(db.pglite), { migrationsFolder: folder });
    return;
  }
  const client = new pg.Client({ connectionString: db.url ?? '' });
  await client.connect();
  try {
    await migratePg(drizzlePg(client), { migrationsFolder: folder });
  } finally {
    await client.end();
  }
}

describe.each(databaseKinds())('delivery payloads across the upgrade to bytes, on %s', (kind: DatabaseKind) => {
  let database: TestDatabase | null = null;
  afterEach(async () => {
    await database?.drop();
    database = null;
  });

  it('keeps a stored jsonb payload, and the processing reads it after the upgrade', async () => {
    database = await createTestDatabase(kind);
    const { db } = database;
    const before = await migrationsBefore('0019_deliveries_payload_bytes');
    try {
      await migrateWith(db, before.folder);
    } finally {
      await before.remove();
    }
    const [org] = await db.query<{ id: string }>("insert into organizations (slug, name) values ('upgrade-org', 'Upgrade') returning id::text as id");
    const [endpoint] = await db.query<{ id: string }>(
      "insert into webhook_endpoints (org_id, provider, secret_encrypted, signature_header) values ($1::uuid, 'jira', 'x', 'X-Hub-Signature') returning id::text as id",
      [org!.id],
    );
    const payload = { webhookEvent: 'jira:issue_updated', issue: { id: '10001', key: 'SEC-1', fields: { summary: 'ü "quoted" 🦊', n: 1.5 } } };
    const deliveryId = randomUUID();
    await db.query(
      `insert into deliveries (id, org_id, endpoint_id, provider, delivery_id, signature_valid, outcome, payload)
       values ($1::uuid, $2::uuid, $3::uuid, 'jira', 'before-upgrade', true, 'queued', $4::jsonb)`,
      [deliveryId, org!.id, endpoint!.id, JSON.stringify(payload)],
    );

    expect((await runMigrations(db)).applied).toBeGreaterThanOrEqual(1);
    const claimed = await claimDelivery({ db } as unknown as AppContext, org!.id, deliveryId);
    expect(claimed?.payload).toEqual(payload);
  });
});
