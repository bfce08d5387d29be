/** `keygen`: print a new ENCRYPTION_KEYS entry (`id:base64`), to prepend to the list when rotating. */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { formatEncryptionKeys } from '../../crypto/index.ts';
import type { CliIo } from '../cli-io.ts';

export const summary = 'print a new encryption key entry for ENCRYPTION_KEYS';

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { id: { type: 'string' } } });
  const id = values.id ?? `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
  io.stdout(`${formatEncryptionKeys([{ id, key: randomBytes(32) }])}\n`);
  return 0;
}
