/**
 * Coded errors for git over HTTPS. Messages may quote git's own output, but only after redaction:
 * the token, the Authorization header and anything token-shaped are removed first.
 */
import { CodedError } from '../errors/coded-error.ts';
/**
 * The catalogue codes git's failures map to (provider-neutral: the code host that refused is named
 * by the caller, which knows it). These names say which git situation each covers.
 */
export const GIT_URL_REFUSED = 'PROVIDER_URL_REFUSED';
export const GIT_BAD_BRANCH = 'BRANCH_NAME_INVALID';
export const GIT_PATH_REFUSED = 'MANIFEST_PATH_REFUSED';
export const GIT_AUTH_FAILED = 'PROVIDER_AUTH_FAILED';
export const GIT_FORBIDDEN = 'PROVIDER_FORBIDDEN';
export const GIT_NOT_FOUND = 'PROVIDER_NOT_FOUND';
export const GIT_LEASE_REJECTED = 'BRANCH_MOVED';
export const GIT_PUSH_REJECTED = 'PUSH_REJECTED';
export const GIT_NOTHING_TO_COMMIT = 'NOTHING_TO_COMMIT';
export const GIT_TIMEOUT = 'PROVIDER_UNAVAILABLE';
export const GIT_TOO_LARGE = 'REPOSITORY_TOO_LARGE';
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

export class GitError extends CodedError {
  declare readonly code: GitErrorCode;

  /** `retryable`: worth trying again later (timeouts, network trouble); never for refusals. */
  constructor(code: GitErrorCode, message: string, details: { retryable?: boolean; provider?: string } = {}) {
    super(code, message, { retryable: details.retryable ?? false, ...(details.provider === undefined ? {} : { provider: details.provider }) });
    this.name = 'GitError';
  }
}
