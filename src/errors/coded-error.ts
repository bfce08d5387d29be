/**
 * The one base of every coded error in the service: the code comes from the catalogue (typed as
 * ErrorCode, so a code outside it does not compile), the HTTP status follows from the code. Provider
 * errors add which provider answered (`provider`, e.g. "jira-cloud", "github") and what it answered
 * (`upstreamStatus`); retry hints (`retryable`, `retryAfterMs`) and `outcomeUnknown` (a write was sent
 * and no answer came: reconcile before resending) are read by services and jobs alike. The HTTP
 * error handler answers any CodedError in the catalogue's shape.
 */
import { type ErrorCode, errorCatalogue } from './catalogue.ts';

export interface CodedErrorOptions {
  /** The offending input, when there is one (a request field, or the provider's field id). */
  field?: string;
  /** Response headers the answer should carry (e.g. Retry-After). */
  headers?: Record<string, string>;
  retryable?: boolean;
  retryAfterMs?: number;
  outcomeUnknown?: boolean;
  /** The provider whose answer (or silence) this is: "jira-cloud", "jira-server", "github", … */
  provider?: string;
  /** The provider's HTTP status; 0 when no answer arrived. */
  upstreamStatus?: number;
  cause?: unknown;
}

export class CodedError extends Error {
  readonly code: ErrorCode;
  /** The HTTP status this code answers with (from the catalogue). */
  readonly status: number;
  readonly field: string | undefined;
  readonly headers: Record<string, string>;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly outcomeUnknown: boolean;
  /** Set once: by the constructor, or by attributeTo when the code that raised it did not know. */
  provider: string | undefined;
  readonly upstreamStatus: number;

  constructor(code: ErrorCode, message: string, options: CodedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CodedError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.field = options.field;
    this.headers = options.headers ?? {};
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.outcomeUnknown = options.outcomeUnknown ?? false;
    this.provider = options.provider;
    this.upstreamStatus = options.upstreamStatus ?? 0;
  }
}

export function isCodedError(error: unknown, code?: ErrorCode): error is CodedError {
  return error instanceof CodedError && (code === undefined || error.code === code);
}

/** The Retry-After header (whole seconds, at least 1) for a wait, or none. */
export function retryAfterHeaders(retryAfterMs: number | undefined): Record<string, string> {
  return retryAfterMs ? { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } : {};
}

/** Names the provider on a coded error raised without one (a client knows its provider; shared mappers may not). */
export function attributeTo<E>(error: E, provider: string): E {
  if (error instanceof CodedError && error.provider === undefined) error.provider = provider;
  return error;
}
