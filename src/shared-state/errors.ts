/** Coded errors for shared state; codes are stable strings for the service's error catalogue. */
import { CodedError } from '../errors/coded-error.ts';
export const SHARED_STATE_LOCK_TIMEOUT = 'SHARED_STATE_LOCK_TIMEOUT';
export const SHARED_STATE_INVALID_ARGUMENT = 'SHARED_STATE_INVALID_ARGUMENT';
export const SHARED_STATE_NOT_A_COUNTER = 'SHARED_STATE_NOT_A_COUNTER';
export const SHARED_STATE_CLOSED = 'SHARED_STATE_CLOSED';
export const SHARED_STATE_UNAVAILABLE = 'SHARED_STATE_UNAVAILABLE';

export type SharedStateErrorCode =
  | typeof SHARED_STATE_LOCK_TIMEOUT
  | typeof SHARED_STATE_INVALID_ARGUMENT
  | typeof SHARED_STATE_NOT_A_COUNTER
  | typeof SHARED_STATE_CLOSED
  | typeof SHARED_STATE_UNAVAILABLE;

/** Internal catalogue codes: answered as INTERNAL, never under their own name. */
export class SharedStateError extends CodedError {
  declare readonly code: SharedStateErrorCode;

  constructor(code: SharedStateErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options?.cause === undefined ? {} : { cause: options.cause });
    this.name = 'SharedStateError';
  }
}

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '') {
    throw new SharedStateError(SHARED_STATE_INVALID_ARGUMENT, 'key must be a non-empty string');
  }
}

export function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new SharedStateError(SHARED_STATE_INVALID_ARGUMENT, 'ttlMs must be a positive integer');
  }
}

export function checkValue(value: string): void {
  if (typeof value !== 'string') {
    throw new SharedStateError(SHARED_STATE_INVALID_ARGUMENT, 'value must be a string');
  }
}
