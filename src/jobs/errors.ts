/**
 * How a job handler tells the runner what a failure means: a permanent failure is never retried
 * (a 4xx from a provider other than 429); retry-later carries the provider's Retry-After so the
 * next attempt waits at least that long. Any other error is retried with exponential backoff.
 */
export class PermanentJobError extends Error {
  readonly code = 'JOB_PERMANENT_FAILURE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

export class RetryLaterError extends Error {
  readonly code = 'JOB_RETRY_LATER';
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryLaterError';
    this.retryAfterMs = retryAfterMs;
  }
}
