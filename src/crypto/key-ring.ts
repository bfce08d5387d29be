/**
 * A set of AES-256-GCM keys, each with an id, one of them active. New secrets are encrypted under
 * the active key; any key in the ring can still decrypt, which is what lets keys rotate without a
 * flag day: add the new key as active, re-encrypt (`needsReencryption`), then drop the old one.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { KEY_ID_PATTERN, open, parseEnvelope, seal } from './envelope.ts';
import { CRYPTO_INVALID_KEYS, CRYPTO_UNKNOWN_KEY_ID, CryptoError } from './errors.ts';

export const KEY_LENGTH_BYTES = 32;

export interface KeyEntry {
  id: string;
  key: Uint8Array;
}

export interface KeyRing {
  readonly activeKeyId: string;
  readonly keyIds: readonly string[];
  hasKey(id: string): boolean;
  /** `aad` binds the ciphertext to its context (e.g. a connection id): decrypting needs the same value. */
  encrypt(plaintext: string, aad?: string): string;
  decrypt(ciphertext: string, aad?: string): string;
}

/** Builds a ring; the active key is `activeKeyId`, else the first entry. Key bytes are copied. */
export function createKeyRing(entries: readonly KeyEntry[], activeKeyId?: string): KeyRing {
  const problems: string[] = [];
  // KeyObjects, so that logging or inspecting the ring never prints key bytes.
  const keys = new Map<string, KeyObject>();
  entries.forEach((entry, index) => {
    const where = `key ${index + 1}`;
    if (typeof entry.id !== 'string' || !KEY_ID_PATTERN.test(entry.id)) {
      problems.push(`${where}: id must be 1-64 characters of A-Z a-z 0-9 _ . -`);
    } else if (keys.has(entry.id)) {
      problems.push(`${where}: id '${entry.id}' is used more than once`);
    } else if (!(entry.key instanceof Uint8Array) || entry.key.length !== KEY_LENGTH_BYTES) {
      problems.push(`${where} ('${entry.id}'): key must be ${KEY_LENGTH_BYTES} bytes`);
    } else {
      keys.set(entry.id, createSecretKey(Buffer.from(entry.key)));
    }
  });
  if (entries.length === 0) problems.push('at least one key is required');
  const active = activeKeyId ?? entries[0]?.id;
  if (problems.length === 0 && (active === undefined || !keys.has(active))) {
    problems.push(`active key '${active}' is not in the ring`);
  }
  if (problems.length > 0 || active === undefined) {
    throw new CryptoError(CRYPTO_INVALID_KEYS, `invalid key ring: ${problems.join('; ')}`, { problems });
  }
  const activeKey = keys.get(active)!;
  return Object.freeze({
    activeKeyId: active,
    keyIds: Object.freeze([...keys.keys()]),
    hasKey: (id: string) => keys.has(id),
    encrypt: (plaintext: string, aad?: string) => seal(active, activeKey, plaintext, aad),
    decrypt(ciphertext: string, aad?: string): string {
      const envelope = parseEnvelope(ciphertext);
      const key = keys.get(envelope.keyId);
      if (!key) {
        throw new CryptoError(
          CRYPTO_UNKNOWN_KEY_ID,
          `ciphertext was encrypted with key '${envelope.keyId}', which is not configured`,
        );
      }
      return open(envelope, key, aad);
    },
  });
}

/** True when the value is not under the ring's active key, so a `rotate-keys` pass should rewrite it. */
export function needsReencryption(ciphertext: string, ring: KeyRing): boolean {
  return parseEnvelope(ciphertext).keyId !== ring.activeKeyId;
}
