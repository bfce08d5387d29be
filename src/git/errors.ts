/**
 * Coded errors for git over HTTPS. Messages may quote git's own output, but only after redaction:
 * the token, the Authorization header and anything token-shaped are removed first.
 */
export const GIT_URL_REFUSED = 'GIT_URL_REFUSED';
export const GIT_BAD_BRANCH = 'GIT_BAD_BRANCH';
export const GIT_PATH_REFUSED = 'GIT_PATH_REFUSED';
export const GIT_AUTH_FAILED = 'GIT_AUTH_FAILED';
export const GIT_FORBIDDEN = 'GIT_FORBIDDEN';
export const GIT_NOT_FOUND = 'GIT_NOT_FOUND';
export const GIT_LEASE_REJECTED = 'GIT_LEASE_REJECTED';
export const GIT_PUSH_REJECTED = 'GIT_PUSH_REJECTED';
export const GIT_NOTHING_TO_COMMIT = 'GIT_NOTHING_TO_COMMIT';
export const GIT_TIMEOUT = 'GIT_TIMEOUT';
export const GIT_TOO_LARGE = 'GIT_TOO_LARGE';
export const GIT_FAILED = 'GIT_FAILED';

export type GitErrorCode =
  | typeof GIT_URL_REFUSED
  | typeof GIT_BAD_BRANCH
  | typeof GIT_PATH_REFUSED
  | typeof GIT_AUTH_FAILED
  | typeof GIT_FORBIDDEN
  | typeof GIT_NOT_FOUND
  | typeof GIT_LEASE_REJECTED
  | typeof GIT_PUSH_REJECTED
  | typeof GIT_NOTHING_TO_COMMIT
  | typeof GIT_TIMEOUT
  | typeof GIT_TOO_LARGE
  | typeof GIT_FAILED;

export class GitError extends Error {
  readonly code: GitErrorCode;
  /** Worth trying again later (timeouts, network trouble); never for refusals. */
  readonly retryable: boolean;

  constructor(code: GitErrorCode, message: string, details: { retryable?: boolean } = {}) {
    super(message);
    this.name = 'GitError';
    this.code = code;
    this.retryable = details.retryable ?? false;
  }
}
