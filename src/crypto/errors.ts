/**
 * Coded errors for secrets at rest. Codes are stable strings so the service's error catalogue can
 * list them; messages never contain plaintext or key material.
 */
import { CodedError } from '../errors/coded-error.ts';
export const CRYPTO_UNKNOWN_KEY_ID = 'CRYPTO_UNKNOWN_KEY_ID';
export const CRYPTO_DECRYPT_FAILED = 'CRYPTO_DECRYPT_FAILED';
export const CRYPTO_MALFORMED_CIPHERTEXT = 'CRYPTO_MALFORMED_CIPHERTEXT';
export const CRYPTO_INVALID_KEYS = 'CRYPTO_INVALID_KEYS';
export const CRYPTO_KEY_FILE_ERROR = 'CRYPTO_KEY_FILE_ERROR';

export type CryptoErrorCode =
  | typeof CRYPTO_UNKNOWN_KEY_ID
  | typeof CRYPTO_DECRYPT_FAILED
  | typeof CRYPTO_MALFORMED_CIPHERTEXT
  | typeof CRYPTO_INVALID_KEYS
  | typeof CRYPTO_KEY_FILE_ERROR;

/** Internal catalogue codes: answered as INTERNAL, never under their own name. */
export class CryptoError extends CodedError {
  declare readonly code: CryptoErrorCode;
  /** One line per problem, for configuration errors that list everything wrong at once. */
  readonly problems: readonly string[];

  constructor(code: CryptoErrorCode, message: string, options?: { problems?: string[]; cause?: unknown }) {
    super(code, message, options?.cause === undefined ? {} : { cause: options.cause });
    this.name = 'CryptoError';
    this.problems = options?.problems ?? [];
  }
}
