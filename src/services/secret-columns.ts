/**
 * The columns that hold secrets, and how each is sealed: AES-256-GCM through the key ring, with the
 * table and row id as associated data so a ciphertext copied to another row does not decrypt.
 * `rotate-keys` walks this list; adding a secret column means adding it here.
 */
import type { KeyRing } from '../crypto/index.ts';
import { needsReencryption } from '../crypto/index.ts';
import type { Database } from '../db/database.ts';

export const secretColumns = [
  { table: 'connections', column: 'secrets_encrypted' },
  { table: 'webhook_endpoints', column: 'secret_encrypted' },
  { table: 'oauth_clients', column: 'client_secret_encrypted' },
  { table: 'webhook_endpoints', column: 'previous_secret_encrypted' },
] as const;

export type SecretTable = (typeof secretColumns)[number]['table'];

const aad = (table: SecretTable, rowId: string) => `${table}:${rowId}`;

export function sealSecret(ring: KeyRing, table: SecretTable, rowId: string, plaintext: string): string {
  return ring.encrypt(plaintext, aad(table, rowId));
}

export function openSecret(ring: KeyRing, table: SecretTable, rowId: string, ciphertext: string): string {
  return ring.decrypt(ciphertext, aad(table, rowId));
}

/** Re-encrypts every secret not under the active key. Returns how many values were rewritten. */
export async function reencryptAll(db: Database, ring: KeyRing): Promise<{ table: string; rewritten: number }[]> {
  const report: { table: string; rewritten: number }[] = [];
  for (const { table, column } of secretColumns) {
    const rows = await db.query<{ id: string; value: string }>(
      `select id::text as id, ${column} as value from ${table} where ${column} is not null`,
    );
    let rewritten = 0;
    for (const row of rows) {
      if (!needsReencryption(row.value, ring)) continue;
      const plaintext = openSecret(ring, table, row.id, row.value);
      const sealed = sealSecret(ring, table, row.id, plaintext);
      // Compare-and-set: a concurrent writer's newer value is never overwritten with an old one.
      await db.query(`update ${table} set ${column} = $1 where id = $2::uuid and ${column} = $3`, [sealed, row.id, row.value]);
      rewritten += 1;
    }
    report.push({ table, rewritten });
  }
  return report;
}
