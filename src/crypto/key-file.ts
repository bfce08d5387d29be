/**
 * The zero-setup key: with no ENCRYPTION_KEYS, a key is generated into `<dataDir>/encryption.key`
 * (mode 0600) on first start and reused afterwards. The caller logs a warning when it was created,
 * because losing that file loses every stored secret.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CRYPTO_KEY_FILE_ERROR, CryptoError } from './errors.ts';
import { KEY_LENGTH_BYTES, type KeyEntry } from './key-ring.ts';
import { formatEncryptionKeys, parseEncryptionKeys } from './parse-keys.ts';

export const KEY_FILE_NAME = 'encryption.key';
export const GENERATED_KEY_ID = 'local';

export interface KeyFileResult {
  keys: KeyEntry[];
  path: string;
  created: boolean;
  /** Set when an existing file is readable by group or others; the caller should warn. */
  permissionsTooOpen: boolean;
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

async function readKeyFile(path: string): Promise<KeyFileResult> {
  const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
  try {
    return { keys: parseEncryptionKeys(text.trim()), path, created: false, permissionsTooOpen: (info.mode & 0o077) !== 0 };
  } catch (error) {
    throw new CryptoError(CRYPTO_KEY_FILE_ERROR, `key file ${path} is not valid`, { cause: error });
  }
}

export async function loadOrCreateKeyFile(dataDir: string): Promise<KeyFileResult> {
  const path = join(dataDir, KEY_FILE_NAME);
  try {
    return await readKeyFile(path);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    // Write a complete temp file, then hard-link it into place: link fails if another process won the
    // race, and nobody ever reads a half-written key.
    const temp = join(dataDir, `.${KEY_FILE_NAME}.${process.pid}.${randomBytes(4).toString('hex')}`);
    const keys: KeyEntry[] = [{ id: GENERATED_KEY_ID, key: randomBytes(KEY_LENGTH_BYTES) }];
    await writeFile(temp, `${formatEncryptionKeys(keys)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(temp, 0o600); // the umask may have narrowed it further, never widened; make it exact
    try {
      await link(temp, path);
    } catch (error) {
      if (isErrno(error, 'EEXIST')) return await readKeyFile(path);
      throw error;
    } finally {
      await unlink(temp).catch(() => {});
    }
    return { keys, path, created: true, permissionsTooOpen: false };
  } catch (error) {
    if (error instanceof CryptoError) throw error;
    const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
    throw new CryptoError(CRYPTO_KEY_FILE_ERROR, `cannot create key file ${path}${code ? ` (${code})` : ''}`, {
      cause: error,
    });
  }
}
