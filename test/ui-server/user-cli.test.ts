/**
 * `integration-service user add|list|passwd` on the embedded database of a DATA_DIR: the password
 * comes from standard input and never reaches the output; the account signs in afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseTarget, openDatabase } from '../../src/db/database.ts';
import { loadConfig } from '../../src/config/index.ts';
import { main } from '../../src/main/cli.ts';
import { TenantDirectory } from '../../src/services/tenancy.ts';
import { UserService } from '../../src/services/users.ts';
import { testEnv } from '../helpers/runtime.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'user-cli-'));
// A port nothing listens on: the command checks that no service holds the embedded database.
const env = testEnv({ DATA_DIR: dataDir, PORT: '9', LOG_LEVEL: 'silent' });

async function cli(args: string[], stdin = '') {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env,
    cwd: process.cwd(),
    stdin: Readable.from([Buffer.from(stdin)]),
  });
  return { code, stdout, stderr };
}

async function withUsers<T>(fn: (users: UserService) => Promise<T>): Promise<T> {
  const db = await openDatabase(databaseTarget(loadConfig(env)));
  try {
    return await fn(new UserService(db.orm, new TenantDirectory(db.orm)));
  } finally {
    await db.close();
  }
}

describe('user CLI', () => {
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds an admin with the password read from stdin, lists it, changes the password', { timeout: 180_000 }, async () => {
    const added = await cli(['user', 'add', 'erin', '--admin', '--org', 'acme'], 'first password 123\n');
    expect(added, added.stderr).toMatchObject({ code: 0 });
    expect(added.stdout).toBe('created admin erin in acme\n');
    expect(added.stdout + added.stderr).not.toContain('first password 123');

    const member = await cli(['user', 'add', 'frank'], 'member password 123\n');
    expect(member.stdout).toBe('created member frank in demo-org\n');

    const listed = await cli(['user', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      { username: 'erin', org: 'acme', roles: ['admin'], created_at: expect.any(String) },
      { username: 'frank', org: 'demo-org', roles: ['member'], created_at: expect.any(String) },
    ]);

    expect(await withUsers(async (users) => (await users.authenticate('erin', 'first password 123'))?.roles)).toEqual(['admin']);

    const changed = await cli(['user', 'passwd', 'erin'], 'second password 456\n');
    expect(changed.code).toBe(0);
    expect(changed.stdout).toMatch(/^password of erin changed; 0 session\(s\) signed out\n$/);
    await withUsers(async (users) => {
      expect(await users.authenticate('erin', 'first password 123')).toBeNull();
      expect((await users.authenticate('erin', 'second password 456'))?.orgSlug).toBe('acme');
    });
  });

  it('refuses a taken name, a short password, an unknown user and a missing argument', { timeout: 180_000 }, async () => {
    const taken = await cli(['user', 'add', 'erin'], 'another password 1\n');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('a user named erin already exists');
    const short = await cli(['user', 'add', 'gina'], 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('password: 12 to 1024 characters');
    const unknown = await cli(['user', 'passwd', 'nobody'], 'some password 123\n');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no user named nobody');
    const missing = await cli(['user', 'add']);
    expect(missing.code).toBe(2);
  });
});
