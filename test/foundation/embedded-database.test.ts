/**
 * The embedded database's memory settings (src/db/database.ts): PostgreSQL inside PGlite runs with
 * small buffers (its WASM heap never shrinks), and a new data folder is created by a child process
 * (initdb's memory leaves with it). `npm run bench -- memory` measures the effect on a real `serve`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('embedded database', () => {
  it('creates a new data folder, opens it with small buffers, and reopens it with its data', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'is-embedded-'));
    dirs.push(root);
    const dir = path.join(root, 'pgdata');
    const db = await openDatabase({ kind: 'embedded', dir });
    try {
      expect(fs.existsSync(path.join(dir, 'PG_VERSION'))).toBe(true);
      const settings = await db.query<{ name: string; setting: string; unit: string | null }>(
        "select name, setting, unit from pg_settings where name in ('shared_buffers', 'maintenance_work_mem', 'temp_buffers') order by name",
      );
      // shared_buffers and temp_buffers are counted in 8 kB pages, maintenance_work_mem in kB.
      expect(settings).toEqual([
        { name: 'maintenance_work_mem', setting: String(16 * 1024), unit: 'kB' },
        { name: 'shared_buffers', setting: String((16 * 1024) / 8), unit: '8kB' },
        { name: 'temp_buffers', setting: String((2 * 1024) / 8), unit: '8kB' },
      ]);
      await db.query('create table kept (id int primary key)');
      await db.query('insert into kept values (1)');
    } finally {
      await db.close();
    }
    const again = await openDatabase({ kind: 'embedded', dir });
    try {
      expect(await again.query('select id from kept')).toEqual([{ id: 1 }]);
    } finally {
      await again.close();
    }
  }, 120_000);

  it('an in-memory database gets the same settings', async () => {
    const db = await openDatabase({ kind: 'embedded', dir: null });
    try {
      expect(await db.query("select setting from pg_settings where name = 'shared_buffers'")).toEqual([{ setting: String((16 * 1024) / 8) }]);
    } finally {
      await db.close();
    }
  });

  it('fails instead of hanging when the data folder cannot be created', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'is-embedded-'));
    dirs.push(root);
    // A file where the data folder's parent should be: neither initdb nor mkdir can succeed.
    fs.writeFileSync(path.join(root, 'file'), '');
    await expect(openDatabase({ kind: 'embedded', dir: path.join(root, 'file', 'pgdata') })).rejects.toThrow();
  });
});
