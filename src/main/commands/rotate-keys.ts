/**
 * `rotate-keys`: re-encrypt every stored secret under the active key (the first of ENCRYPTION_KEYS).
 * Rotation: prepend a new key (`keygen`), restart, run this, then drop the old key.
 */
import { createKeyRing, loadOrCreateKeyFile, parseEncryptionKeys } from '../../crypto/index.ts';
import { databaseTarget, openDatabase } from '../../db/database.ts';
import { reencryptAll } from '../../services/secret-columns.ts';
import type { CliIo } from '../cli-io.ts';
import { loadConfigOrReport } from '../load-config.ts';

export const summary = 're-encrypt stored secrets under the active encryption key';

export async function run(_args: string[], io: CliIo): Promise<number> {
  const config = loadConfigOrReport(io);
  if (!config) return 2;
  const entries = config.encryptionKeys
    ? parseEncryptionKeys(config.encryptionKeys)
    : (await loadOrCreateKeyFile(config.dataDir)).keys;
  const ring = createKeyRing(entries);
  const db = await openDatabase(databaseTarget(config));
  try {
    const report = await reencryptAll(db, ring);
    io.stdout(`${JSON.stringify({ active_key: ring.activeKeyId, tables: report })}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
