/**
 * The ciphertext format: `v1:<keyId>:<iv b64url>:<tag b64url>:<ciphertext b64url>`, AES-256-GCM with a
 * random 12-byte IV. The version and key id are bound into the GCM additional data, so a ciphertext
 * cannot be relabelled to another key or format unnoticed.
 */
import { createCipheriv, createDecipheriv, type KeyObject, randomBytes } from 'node:crypto';
import { CRYPTO_DECRYPT_FAILED, CRYPTO_MALFORMED_CIPHERTEXT, CryptoError } from './errors.ts';

export const ENVELOPE_VERSION = 'v1';
/** Ids appear inside every ciphertext, so they are restricted to characters that cannot break its format. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

export interface Envelope {
  version: string;
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

function additionalData(version: string, keyId: string, aad: string | undefined): Buffer {
  // The NUL separator keeps ("a", "b:c") and ("a:b", "c") from producing the same bytes.
  return Buffer.from(`${version}:${keyId}\0${aad ?? ''}`, 'utf8');
}

export function seal(keyId: string, key: KeyObject, plaintext: string, aad?: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(ENVELOPE_VERSION, keyId, aad));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [ENVELOPE_VERSION, keyId, iv, tag, ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join(':');
}

/** Splits a ciphertext string into its parts; checks shape only, not authenticity. */
export function parseEnvelope(value: string): Envelope {
  const parts = typeof value === 'string' ? value.split(':') : [];
  const [version, keyId, iv, tag, ciphertext] = parts;
  const malformed = () => new CryptoError(CRYPTO_MALFORMED_CIPHERTEXT, `not a ${ENVELOPE_VERSION} ciphertext`);
  if (
    parts.length !== 5 ||
    version !== ENVELOPE_VERSION ||
    keyId === undefined ||
    !KEY_ID_PATTERN.test(keyId) ||
    iv === undefined ||
    tag === undefined ||
    ciphertext === undefined ||
    !B64URL.test(iv) ||
    !B64URL.test(tag) ||
    !B64URL.test(ciphertext)
  ) {
    throw malformed();
  }
  const envelope: Envelope = {
    version,
    keyId,
    iv: Buffer.from(iv, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
  };
  if (envelope.iv.length !== IV_BYTES || envelope.tag.length !== TAG_BYTES) throw malformed();
  return envelope;
}

export function open(envelope: Envelope, key: KeyObject, aad?: string): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, envelope.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(envelope.version, envelope.keyId, aad));
    decipher.setAuthTag(envelope.tag);
    return Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    // Say only what a caller can act on; nothing from the input is echoed.
    throw new CryptoError(
      CRYPTO_DECRYPT_FAILED,
      `ciphertext under key '${envelope.keyId}' failed authentication (tampered, or wrong associated data)`,
    );
  }
}
