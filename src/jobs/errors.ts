/**
 * How a job handler tells the runner what a failure means: a permanent failure is never retried
 * (a 4xx from a provider other than 429); retry-later carries the provider's Retry-After so the
 * next attempt waits at least that long. Any other error is retried with exponential backoff.
 * Both are coded errors with internal catalogue codes.
 */
import { CodedError } from '../errors/coded-error.ts';

export class PermanentJobError extends CodedError {
  declare readonly code: 'JOB_PERMANENT_FAILURE';
  constructor(message: string, options?: { cause?: unknown }) {
    super('JOB_PERMANENT_FAILURE', message, { retryable: false, ...(options?.cause === undefined ? {} : { cause: options.cause }) });
    this.name = 'PermanentJobError';
  }
}

export class RetryLaterError extends CodedError {
  declare readonly code: 'JOB_RETRY_LATER';
  declare readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: { cause?: unknown }) {
    super('JOB_RETRY_LATER', message, { retryable: true, retryAfterMs, ...(options?.cause === undefined ? {} : { cause: options.cause }) });
    this.name = 'RetryLaterError';
  }
}

/**
 * The connection needs a new consent (OAuth refresh token refused, issue 11): the job cannot succeed
 * until a person reconnects, so it fails for good at once with that error's message instead of
 * retrying in a loop. Found anywhere in the cause chain.
 */
export function reauthRequiredIn(error: unknown): { message: string } | null {
  for (let current = error, depth = 0; current && depth < 8; current = (current as { cause?: unknown }).cause, depth += 1) {
    if ((current as { code?: unknown }).code === 'OAUTH_REAUTH_REQUIRED') return { message: (current as Error).message };
  }
  return null;
}
