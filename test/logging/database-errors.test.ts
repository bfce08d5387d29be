/**
 * Issue 9, item 9: a failed statement is logged with its shape (the SQL with `$n` placeholders) and
 * the number of values, never with the values: not from drizzle's `params: …` line, not from
 * PGlite's `params` property, not from PostgreSQL's message quoting the offending value.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/db/migrate.ts';
import { users } from '../../src/db/schema.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { redactDeep } from '../../src/logging/redact.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../helpers/databases.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { logger: createLogger({ level: 'info', timezone: 'Asia/Kolkata', destination }), lines };
}

const tenantValue = 'tenant-acme-Qz7SECRETxYZ0123';
const ciphertext = 'v1:t1:Qz7CIPHERTEXTabcdefghij0123456789';

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('the statement was expected to fail');
}

describe.each(databaseKinds())('database errors in logs on %s', (kind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await runMigrations(database.db);
  }, 60_000);
  afterAll(async () => {
    await database?.drop();
  });

  it('a failing drizzle insert logs the statement shape, never the parameter values', async () => {
    // org_id is a uuid column: PostgreSQL's message quotes the value it refused.
    const error = await failure(() => database.db.orm.insert(users).values({ orgId: tenantValue, subject: ciphertext, email: 'alice@example.com' }));
    const { logger, lines } = capture();
    logger.error({ err: error }, 'storing the user failed');
    const text = lines.join('');
    expect(text).not.toContain(tenantValue);
    expect(text).not.toContain(ciphertext);
    expect(text).not.toContain('alice@example.com');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.err.message).toMatch(/^Failed query: insert into "users" .*\$1.*\nparams: \[\d+ values withheld\]$/s);
    expect(line.err.stack).toContain('Failed query: insert into "users"');
    expect(line.err.cause.message).toContain('invalid input syntax for type uuid');
  });

  it('a failing raw query logs its statement, never its values', async () => {
    const error = await failure(() => database.db.query('select * from users where org_id = $1 and subject = $2', [tenantValue, ciphertext]));
    const serialized = JSON.stringify(redactDeep({ err: error }));
    expect(serialized).not.toContain(tenantValue);
    expect(serialized).not.toContain(ciphertext);
    expect(serialized).toContain('invalid input syntax for type uuid');
    const { logger, lines } = capture();
    logger.error(error as Error);
    expect(lines.join('')).not.toContain(tenantValue);
  });

  it('a NUL byte in a value (refused by PostgreSQL) is logged without the value', async () => {
    const withNul = `${tenantValue}\u0000 see http://[::1`;
    const error = await failure(() => database.db.query('select $1::text as t', [withNul]));
    const { logger, lines } = capture();
    logger.error({ err: error }, 'query failed');
    expect(lines.join('')).not.toContain(tenantValue);
  });
});
