/**
 * The fix-PR branch lease (src/services/pull-requests/branch-lock.ts) on both databases: of many
 * holders racing for one branch exactly one gets it; a live lease is never taken over, an expired
 * one is; a holder can only release its own; other branches are independent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/db/migrate.ts';
import { acquireBranchLock, branchLockKey, releaseBranchLock, withBranchLock } from '../../src/services/pull-requests/branch-lock.ts';
import { createTestDatabase, type DatabaseKind, databaseKinds, type TestDatabase } from '../helpers/databases.ts';

describe.each(databaseKinds())('branch lease on %s', (kind: DatabaseKind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await runMigrations(database.db);
  }, 60_000);
  afterAll(async () => {
    await database?.drop();
  });

  it('one of twenty racing holders gets the lease; the others are told how long it runs', async () => {
    const orm = database.db.orm;
    const key = branchLockKey('https://github.com/Acme/Web', 'security/npm/lodash-4.17.21');
    expect(key).toBe(branchLockKey('https://github.com/acme/web', 'security/npm/lodash-4.17.21'));
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => acquireBranchLock(orm, key, `job-${index}:1`, 60)));
    const winners = results.filter((result) => result.acquired);
    expect(winners).toHaveLength(1);
    for (const result of results) {
      if (result.acquired) continue;
      expect(result.retryAfterMs).toBeGreaterThan(50_000);
      expect(result.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    const holder = `job-${results.findIndex((result) => result.acquired)}:1`;
    // Only the holder can release it; the same holder may take it again (idempotent).
    await releaseBranchLock(orm, key, 'someone-else');
    expect((await acquireBranchLock(orm, key, 'someone-else', 60)).acquired).toBe(false);
    expect((await acquireBranchLock(orm, key, holder, 60)).acquired).toBe(true);
    // Another branch of the same repository is independent.
    expect((await acquireBranchLock(orm, branchLockKey('https://github.com/acme/web', 'security/npm/minimist-1.2.6'), 'other:1', 60)).acquired).toBe(true);
    await releaseBranchLock(orm, key, holder);
    expect((await acquireBranchLock(orm, key, 'next:1', 60)).acquired).toBe(true);
  });

  it('an expired lease (a dead holder) is taken over; withBranchLock waits for a live one and runs after it', async () => {
    const orm = database.db.orm;
    const key = branchLockKey('https://github.com/acme/api', 'security/pip/requests-2.31.0');
    expect((await acquireBranchLock(orm, key, 'dead:1', 1)).acquired).toBe(true);
    expect((await acquireBranchLock(orm, key, 'alive:1', 60)).acquired).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect((await acquireBranchLock(orm, key, 'alive:1', 60)).acquired).toBe(true);

    const order: string[] = [];
    const waiter = withBranchLock(orm, { repoWebUrl: 'https://github.com/acme/api', branch: 'security/pip/requests-2.31.0', holder: 'waiter:1', ttlSeconds: 60, waitMs: 10_000, onWait: () => order.push('waiting') }, async () => {
      order.push('ran');
      return 42;
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    order.push('released');
    await releaseBranchLock(orm, key, 'alive:1');
    expect(await waiter).toEqual({ busy: false, value: 42 });
    expect(order).toEqual(['waiting', 'released', 'ran']);
    // Released after the run.
    expect((await acquireBranchLock(orm, key, 'after:1', 60)).acquired).toBe(true);
    const busy = await withBranchLock(orm, { repoWebUrl: 'https://github.com/acme/api', branch: 'security/pip/requests-2.31.0', holder: 'impatient:1', ttlSeconds: 60 }, async () => 1);
    expect(busy).toMatchObject({ busy: true, holder: 'after:1' });
  });
});
