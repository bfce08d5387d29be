/** Turns failed ticket outcomes and provider errors into the API's error (catalogue code, status, Retry-After). */
import { AppError, CodedError, retryAfterHeaders } from '../../errors/app-error.ts';
import type { ErrorCode } from '../../errors/catalogue.ts';
import type { TicketOutcome } from './exactly-once.ts';

/** Providers name the project field their way; the request names it `project_key`. */
function requestField(code: ErrorCode, field: string | undefined): string | undefined {
  return code === 'PROJECT_NOT_FOUND' ? 'project_key' : field;
}

export function outcomeError(outcome: Extract<TicketOutcome, { kind: 'failed' }>): AppError {
  const field = requestField(outcome.code, outcome.field);
  return new AppError(outcome.code, outcome.message, {
    ...(field ? { field } : {}),
    ...(outcome.provider ? { provider: outcome.provider } : {}),
    headers: retryAfterHeaders(outcome.retryAfterMs),
  });
}

/** A provider's error as the API answers it: its own code and provider, the request's field name. */
export function providerAppError(error: CodedError): AppError {
  const field = requestField(error.code, error.field);
  return new AppError(error.code, error.message, {
    ...(field ? { field } : {}),
    ...(error.provider ? { provider: error.provider } : {}),
    headers: retryAfterHeaders(error.retryAfterMs),
  });
}
