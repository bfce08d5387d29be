/** Turns failed ticket outcomes and Jira errors into the API's error (catalogue code, status, Retry-After). */
import { AppError } from '../../errors/app-error.ts';
import { type ErrorCode, errorCatalogue } from '../../errors/catalogue.ts';
import type { JiraError } from '../../providers/jira/index.ts';
import type { TicketOutcome } from './exactly-once.ts';

function catalogueCode(code: string): ErrorCode {
  return code in errorCatalogue ? (code as ErrorCode) : 'UPSTREAM_FAILED';
}

function retryHeaders(retryAfterMs: number | undefined): Record<string, string> {
  return retryAfterMs ? { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } : {};
}

export function outcomeError(outcome: Extract<TicketOutcome, { kind: 'failed' }>): AppError {
  // Jira names fields by id; the request names the project `project_key`.
  const field = outcome.code === 'JIRA_PROJECT_NOT_FOUND' ? 'project_key' : outcome.field;
  return new AppError(catalogueCode(outcome.code), outcome.message, { ...(field ? { field } : {}), headers: retryHeaders(outcome.retryAfterMs) });
}

export function jiraAppError(error: JiraError): AppError {
  const field = error.code === 'JIRA_PROJECT_NOT_FOUND' ? 'project_key' : error.field;
  return new AppError(catalogueCode(error.code), error.message, { ...(field ? { field } : {}), headers: retryHeaders(error.retryAfterMs) });
}
