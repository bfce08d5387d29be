/**
 * Database.transaction: raw statements committed together or not at all, on both databases, with
 * named (prepared) statements reused across transactions and array parameters sent as arrays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type DatabaseKind, databaseKinds, type TestDatabase } from '../helpers/databases.ts';

describe.each(databaseKinds())('Database.transaction on %s', (kind: DatabaseKind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await database.db.query('create table raw_tx_probe (id int primary key, label text not null)');
  });
  afterAll(async () => {
    await database?.drop();
  });

  const labels = async () => (await database.db.query<{ id: number; label: string }>('select id, label from raw_tx_probe order by id')).map((row) => `${row.id}:${row.label}`);
  const insert = 'insert into raw_tx_probe (id, label) select * from unnest($1::int[], $2::text[]) returning id';

  it('commits every statement when the work resolves, with array parameters and a named statement reused', async () => {
    for (const [ids, names] of [
      [[1, 2], ['one', 'two "quoted", with \\ and ,']],
      [[3], ['three']],
    ] as const) {
      const result = await database.db.transaction(async (tx) => {
        const rows = await tx.query<{ id: number }>(insert, [ids, names], { name: 'raw_tx_probe_insert' });
        await tx.query('update raw_tx_probe set label = label || $2 where id = $1', [ids[0], '!']);
        return rows.map((row) => row.id);
      });
      expect(result).toEqual(ids);
    }
    expect(await labels()).toEqual(['1:one!', '2:two "quoted", with \\ and ,', '3:three!']);
  });

  it('rolls everything back when the work throws, and the connection serves the next transaction', async () => {
    await expect(
      database.db.transaction(async (tx) => {
        await tx.query(insert, [[10], ['ten']], { name: 'raw_tx_probe_insert' });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    // A failing statement aborts the transaction; it is rolled back as a whole too.
    await expect(
      database.db.transaction(async (tx) => {
        await tx.query(insert, [[11], ['eleven']], { name: 'raw_tx_probe_insert' });
        await tx.query(insert, [[1], ['duplicate key']], { name: 'raw_tx_probe_insert' });
      }),
    ).rejects.toThrow(/duplicate key|unique/);
    expect(await labels()).toEqual(['1:one!', '2:two "quoted", with \\ and ,', '3:three!']);
    await database.db.transaction((tx) => tx.query(insert, [[12], ['twelve']], { name: 'raw_tx_probe_insert' }));
    expect(await labels()).toContain('12:twelve');
  });

  it('statements issued together (pipelined on PostgreSQL) answer in order, and one failing among them rolls back all', async () => {
    await database.db.transaction(async (tx) => {
      const answers = await Promise.all([
        tx.query<{ id: number }>(insert, [[20], ['twenty']], { name: 'raw_tx_probe_insert' }),
        tx.query<{ n: number }>('select count(*)::int as n from raw_tx_probe where id = $1', [20]),
        tx.query<{ id: number }>(insert, [[21], ['twenty-one']], { name: 'raw_tx_probe_insert' }),
      ]);
      expect(answers.map((rows) => rows[0])).toEqual([{ id: 20 }, { n: 1 }, { id: 21 }]);
    });
    await expect(
      database.db.transaction(async (tx) => {
        await Promise.all([
          tx.query(insert, [[30], ['thirty']], { name: 'raw_tx_probe_insert' }),
          tx.query(insert, [[20], ['duplicate key']], { name: 'raw_tx_probe_insert' }),
          tx.query(insert, [[31], ['thirty-one']], { name: 'raw_tx_probe_insert' }),
        ]);
      }),
    ).rejects.toThrow(/duplicate key|unique|aborted/);
    const after = await labels();
    expect(after).toEqual(expect.arrayContaining(['20:twenty', '21:twenty-one']));
    expect(after.filter((label) => /^3[01]:/.test(label))).toEqual([]);
    // The connection is usable afterwards (the failed pipeline was drained and rolled back).
    await database.db.transaction((tx) => tx.query(insert, [[32], ['thirty-two']], { name: 'raw_tx_probe_insert' }));
    expect(await labels()).toContain('32:thirty-two');
  });

  it('commitAfter: the last statements go with the COMMIT; their failure, or a failure before they are issued, commits nothing', async () => {
    const value = await database.db.transaction(async (tx) => {
      await tx.query(insert, [[40], ['forty']], { name: 'raw_tx_probe_insert' });
      return tx.commitAfter(async (issued) => {
        const last = Promise.all([tx.query<{ id: number }>(insert, [[41], ['forty-one']], { name: 'raw_tx_probe_insert' }), tx.query('update raw_tx_probe set label = $2 where id = $1', [40, 'forty!'])]);
        issued();
        const [rows] = await last;
        return rows.map((row) => row.id);
      });
    });
    expect(value).toEqual([41]);
    expect(await labels()).toEqual(expect.arrayContaining(['40:forty!', '41:forty-one']));

    // A statement issued behind the first fails: the COMMIT behind it rolls back, and its error is thrown.
    await expect(
      database.db.transaction(async (tx) => {
        await tx.query(insert, [[50], ['fifty']], { name: 'raw_tx_probe_insert' });
        return tx.commitAfter(async (issued) => {
          const last = tx.query(insert, [[40], ['duplicate key']], { name: 'raw_tx_probe_insert' });
          issued();
          return last;
        });
      }),
    ).rejects.toThrow(/duplicate key|unique/);
    // The work fails before it has issued its last statements: no COMMIT is sent.
    await expect(
      database.db.transaction(async (tx) => {
        await tx.query(insert, [[51], ['fifty-one']], { name: 'raw_tx_probe_insert' });
        return tx.commitAfter(async () => {
          await Promise.resolve();
          throw new Error('not ready to queue');
        });
      }),
    ).rejects.toThrow('not ready to queue');
    expect((await labels()).filter((label) => /^5\d:/.test(label))).toEqual([]);
    await database.db.transaction((tx) => tx.query(insert, [[52], ['fifty-two']], { name: 'raw_tx_probe_insert' }));
    expect(await labels()).toContain('52:fifty-two');
  });
});
