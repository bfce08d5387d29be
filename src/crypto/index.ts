/**
 * Secrets at rest: AES-256-GCM under a ring of identified keys, so keys can rotate. Configuration
 * comes in as arguments (ENCRYPTION_KEYS text or a data directory); nothing here reads the environment.
 */
export { ENVELOPE_VERSION, type Envelope, parseEnvelope } from './envelope.ts';
export {
  CRYPTO_DECRYPT_FAILED,
  CRYPTO_INVALID_KEYS,
  CRYPTO_KEY_FILE_ERROR,
  CRYPTO_MALFORMED_CIPHERTEXT,
  CRYPTO_UNKNOWN_KEY_ID,
  CryptoError,
  type CryptoErrorCode,
} from './errors.ts';
export { GENERATED_KEY_ID, KEY_FILE_NAME, type KeyFileResult, loadOrCreateKeyFile } from './key-file.ts';
export { createKeyRing, KEY_LENGTH_BYTES, type KeyEntry, type KeyRing, needsReencryption } from './key-ring.ts';
export { formatEncryptionKeys, parseEncryptionKeys } from './parse-keys.ts';
