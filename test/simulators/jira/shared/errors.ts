/**
 * Jira's ErrorCollection (`{"errorMessages":[...],"errors":{...}}`) as a thrown value, so validation code
 * deep in a handler can stop the request with the exact body Jira would send.
 */
export interface ErrorCollection {
  errorMessages: string[];
  errors: Record<string, string>;
}

export class JiraError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`Jira simulator answered ${status}`);
    this.status = status;
    this.body = body;
  }
}

export function collection(errorMessages: string[] = [], errors: Record<string, string> = {}): ErrorCollection {
  return { errorMessages, errors };
}

/** Throw an ErrorCollection with the given status. */
export function fail(status: number, errorMessages: string[] = [], errors: Record<string, string> = {}): never {
  throw new JiraError(status, collection(errorMessages, errors));
}

export const ISSUE_NOT_FOUND = 'Issue does not exist or you do not have permission to see it.';
