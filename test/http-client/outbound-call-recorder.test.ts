/**
 * The audit log's outbound-call recorder (src/services/outbound-calls.ts): calls are filed under
 * the current operation, written in one batch, with paths stripped of query strings and redacted;
 * a failing database is logged and never reaches the caller; a full queue drops its oldest; rows
 * past the retention are deleted. Runs on PostgreSQL too when TEST_DATABASE_URL is set.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/db/migrate.ts';
import { organizations } from '../../src/db/schema.ts';
import type { OutboundCallEvent } from '../../src/http-client/index.ts';
import { runInOperation } from '../../src/lib/operation-context.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { OutboundCallRecorder, storedPath } from '../../src/services/outbound-calls.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../helpers/databases.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', timezone: 'UTC', destination }) };
}

const call = (overrides: Partial<OutboundCallEvent> = {}): OutboundCallEvent => ({
  method: 'GET',
  host: 'jira.example.com',
  path: '/rest/api/3/myself',
  status: 200,
  durationMs: 12.4,
  attempt: 1,
  provider: 'jira-cloud',
  ...overrides,
});

describe.each(databaseKinds())('outbound call recorder (%s)', (kind) => {
  let database: TestDatabase;
  let orgId: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await runMigrations(database.db);
    const [org] = await database.db.orm.insert(organizations).values({ slug: `org-${randomUUID().slice(0, 8)}`, name: 'Org' }).returning();
    orgId = org!.id;
  });
  afterAll(async () => {
    await database?.drop();
  });

  const rows = async (operationId: string) =>
    (await database.db.orm.execute(sql`select method, host, path, status, error, duration_ms, attempt from outbound_calls where operation_id = ${operationId} order by path`)) as unknown as {
      rows: Record<string, unknown>[];
    };

  it('files calls under the current operation in one batch, paths without queries or secrets', async () => {
    const { logger } = capture();
    const recorder = new OutboundCallRecorder(database.db.orm, logger, { flushIntervalMs: 60_000 });
    const operationId = randomUUID();
    runInOperation({ id: operationId, kind: 'request', name: 'POST /api/v1/tickets', orgId, actor: 'alice', requestId: 'req-1', startedAt: new Date() }, () => {
      recorder.record(call({ method: 'POST', path: '/rest/api/3/issue', status: 201 }));
      recorder.record(call({ path: '/rest/api/3/search/jql?jql=project%3DSEC&token=abc' }));
      recorder.record(call({ path: '/hooks/ghp_abcdefghijklmnopqrstuvwxyz0123456789', status: null, error: 'OUTBOUND_TIMEOUT' }));
    });
    // Nothing is written until the batch goes (the caller never waits for the database).
    expect((await rows(operationId)).rows).toEqual([]);
    await recorder.close();
    const written = (await rows(operationId)).rows;
    expect(written).toHaveLength(3);
    expect(written.map((row) => row.path)).toEqual(['/hooks/[REDACTED]', '/rest/api/3/issue', '/rest/api/3/search/jql']);
    expect(written[0]).toMatchObject({ status: null, error: 'OUTBOUND_TIMEOUT', duration_ms: 12 });
    const operation = (await database.db.orm.execute(sql`select kind, name, actor, request_id, org_id from operations where id = ${operationId}`)) as unknown as { rows: Record<string, unknown>[] };
    expect(operation.rows).toEqual([{ kind: 'request', name: 'POST /api/v1/tickets', actor: 'alice', request_id: 'req-1', org_id: orgId }]);
  });

  it('gives a call outside any operation one of its own, and skips calls of no organization', async () => {
    const { logger } = capture();
    const recorder = new OutboundCallRecorder(database.db.orm, logger, { flushIntervalMs: 60_000 });
    const marker = `/background/${randomUUID()}`;
    recorder.record(call({ orgId, path: marker, provider: 'github' }));
    recorder.record(call({ path: `${marker}/no-org` }));
    await recorder.close();
    const found = (await database.db.orm.execute(sql`select o.kind, o.name, c.path from outbound_calls c join operations o on o.id = c.operation_id where c.path like ${`${marker}%`}`)) as unknown as {
      rows: Record<string, unknown>[];
    };
    expect(found.rows).toEqual([{ kind: 'background', name: 'github call', path: marker }]);
  });

  it('keeps a public request without a caller as such (no actor), not as the service', async () => {
    const { logger } = capture();
    const recorder = new OutboundCallRecorder(database.db.orm, logger, { flushIntervalMs: 60_000 });
    const operationId = randomUUID();
    runInOperation({ id: operationId, kind: 'request', name: 'GET /oauth/servicenow', orgId, actor: null, requestId: 'req-2', startedAt: new Date() }, () => recorder.record(call()));
    await recorder.close();
    const operation = (await database.db.orm.execute(sql`select actor from operations where id = ${operationId}`)) as unknown as { rows: Record<string, unknown>[] };
    expect(operation.rows).toEqual([{ actor: null }]);
  });

  it('logs a failed write and never throws to the caller; a full queue drops its oldest', async () => {
    const { lines, logger } = capture();
    const broken = new Proxy(database.db.orm, {
      get: (target, property, receiver) => (property === 'insert' ? () => { throw new Error('database is down'); } : Reflect.get(target, property, receiver)),
    });
    const recorder = new OutboundCallRecorder(broken, logger, { flushIntervalMs: 60_000, maxPending: 2 });
    const operationId = randomUUID();
    runInOperation({ id: operationId, kind: 'job', name: 'sync', orgId, actor: 'service', requestId: null, startedAt: new Date() }, () => {
      for (let index = 0; index < 5; index++) expect(() => recorder.record(call({ path: `/n/${index}` }))).not.toThrow();
    });
    await expect(recorder.flush()).resolves.toBeUndefined();
    const text = lines.join('');
    expect(text).toContain('outbound calls not recorded (database write failed)');
    expect(text).toContain('outbound calls not recorded (queue full)');
    expect(text).toContain('"dropped":3');
    await recorder.close();
  });

  it('deletes calls past the retention and operations left with nothing', async () => {
    const { logger } = capture();
    let now = Date.now() - 40 * 86_400_000;
    const recorder = new OutboundCallRecorder(database.db.orm, logger, { flushIntervalMs: 60_000, retentionDays: 30, now: () => now });
    const old = randomUUID();
    runInOperation({ id: old, kind: 'job', name: 'sync', orgId, actor: 'service', requestId: null, startedAt: new Date(now) }, () => recorder.record(call()));
    await recorder.flush();
    expect((await rows(old)).rows).toHaveLength(1);
    now = Date.now();
    const fresh = randomUUID();
    runInOperation({ id: fresh, kind: 'job', name: 'sync', orgId, actor: 'service', requestId: null, startedAt: new Date(now) }, () => recorder.record(call()));
    await recorder.flush();
    await recorder.prune();
    expect((await rows(old)).rows).toEqual([]);
    expect((await rows(fresh)).rows).toHaveLength(1);
    const left = (await database.db.orm.execute(sql`select id from operations where id in (${old}, ${fresh})`)) as unknown as { rows: { id: string }[] };
    expect(left.rows.map((row) => row.id)).toEqual([fresh]);
    await recorder.close();
  });
});

describe('storedPath', () => {
  it('drops query and fragment, redacts credentials and bounds the length', () => {
    expect(storedPath('/a/b?c=d#e')).toBe('/a/b');
    expect(storedPath('/x/ATATT3xFfGF0abcdefghijklmnopqrstuvwxyz')).not.toContain('ATATT3x');
    expect(storedPath(`/${'a'.repeat(900)}`)).toHaveLength(500);
  });
});
