/**
 * Parses the ENCRYPTION_KEYS format: `id:base64key,id:base64key,…`, the first one active. Every
 * problem is reported at once with the item's position; key material never appears in a message.
 */
import { KEY_ID_PATTERN } from './envelope.ts';
import { CRYPTO_INVALID_KEYS, CryptoError } from './errors.ts';
import { KEY_LENGTH_BYTES, type KeyEntry } from './key-ring.ts';

// Standard or URL-safe alphabet, optional padding; anything else is a typo we should not guess at.
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2})$/;

export function parseEncryptionKeys(value: string): KeyEntry[] {
  const problems: string[] = [];
  const entries: KeyEntry[] = [];
  const seen = new Set<string>();
  const items = value.split(',');
  if (value.trim() === '') {
    throw new CryptoError(CRYPTO_INVALID_KEYS, 'ENCRYPTION_KEYS is empty', {
      problems: ['ENCRYPTION_KEYS is empty'],
    });
  }
  items.forEach((raw, index) => {
    const where = `item ${index + 1}`;
    const item = raw.trim();
    if (item === '') {
      problems.push(`${where} is empty`);
      return;
    }
    const colon = item.indexOf(':');
    if (colon < 0) {
      problems.push(`${where} must look like id:base64key`);
      return;
    }
    const id = item.slice(0, colon).trim();
    const encoded = item.slice(colon + 1).trim();
    if (!KEY_ID_PATTERN.test(id)) {
      problems.push(`${where}: key id must be 1-64 characters of A-Z a-z 0-9 _ . -`);
      return;
    }
    if (seen.has(id)) {
      problems.push(`${where}: key id '${id}' is used more than once`);
      return;
    }
    seen.add(id);
    if (!BASE64.test(encoded)) {
      problems.push(`${where} ('${id}'): key is not valid base64`);
      return;
    }
    const key = Buffer.from(encoded, encoded.includes('-') || encoded.includes('_') ? 'base64url' : 'base64');
    if (key.length !== KEY_LENGTH_BYTES) {
      problems.push(`${where} ('${id}'): key must decode to ${KEY_LENGTH_BYTES} bytes, got ${key.length}`);
      return;
    }
    entries.push({ id, key });
  });
  if (problems.length > 0) {
    throw new CryptoError(CRYPTO_INVALID_KEYS, `ENCRYPTION_KEYS: ${problems.join('; ')}`, { problems });
  }
  return entries;
}

/** The inverse of parseEncryptionKeys, for writing a key file an operator can paste into ENCRYPTION_KEYS. */
export function formatEncryptionKeys(entries: readonly KeyEntry[]): string {
  return entries.map((entry) => `${entry.id}:${Buffer.from(entry.key).toString('base64')}`).join(',');
}
