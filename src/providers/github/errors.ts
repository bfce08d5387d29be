/**
 * Coded errors for everything the GitHub client can meet. Codes are stable for the error catalogue
 * and the jobs' retry rules; messages say what to fix and never carry the token or a whole body
 * (GitHub's own words are quoted shortened and scrubbed).
 */
import { CodedError } from '../../errors/coded-error.ts';
import { redactText } from '../../logging/redact.ts';

/**
 * The catalogue codes GitHub's failures map to. The codes are provider-neutral (the error carries
 * `provider: "github"`), so GitLab later maps to the same ones; these names say which GitHub
 * situation each covers.
 */
export const GITHUB_AUTH_FAILED = 'PROVIDER_AUTH_FAILED';
export const GITHUB_FORBIDDEN = 'PROVIDER_FORBIDDEN';
export const GITHUB_NOT_FOUND = 'PROVIDER_NOT_FOUND';
export const GITHUB_REF_EXISTS = 'BRANCH_EXISTS';
export const GITHUB_NOT_FAST_FORWARD = 'NOT_FAST_FORWARD';
export const GITHUB_PULL_EXISTS = 'PULL_REQUEST_EXISTS';
export const GITHUB_NO_COMMITS = 'NO_COMMITS';
export const GITHUB_VALIDATION = 'PROVIDER_BAD_REQUEST';
export const GITHUB_CONFLICT = 'PROVIDER_CONFLICT';
export const GITHUB_RATE_LIMITED = 'PROVIDER_RATE_LIMITED';
export const GITHUB_UNAVAILABLE = 'PROVIDER_UNAVAILABLE';
export const GITHUB_UNREACHABLE = 'PROVIDER_UNREACHABLE';
export const GITHUB_URL_REFUSED = 'PROVIDER_URL_REFUSED';
export const GITHUB_BAD_RESPONSE = 'PROVIDER_BAD_RESPONSE';
export const GITHUB_RESPONSE_TOO_LARGE = 'PROVIDER_RESPONSE_TOO_LARGE';
export const GITHUB_BAD_REPO_URL = 'REPO_URL_INVALID';

export type GitHubErrorCode =
  | typeof GITHUB_AUTH_FAILED
  | typeof GITHUB_FORBIDDEN
  | typeof GITHUB_NOT_FOUND
  | typeof GITHUB_REF_EXISTS
  | typeof GITHUB_NOT_FAST_FORWARD
  | typeof GITHUB_PULL_EXISTS
  | typeof GITHUB_NO_COMMITS
  | typeof GITHUB_VALIDATION
  | typeof GITHUB_CONFLICT
  | typeof GITHUB_RATE_LIMITED
  | typeof GITHUB_UNAVAILABLE
  | typeof GITHUB_UNREACHABLE
  | typeof GITHUB_URL_REFUSED
  | typeof GITHUB_BAD_RESPONSE
  | typeof GITHUB_RESPONSE_TOO_LARGE
  | typeof GITHUB_BAD_REPO_URL;

export interface GitHubErrorDetails {
  /** GitHub's HTTP status; 0 when no answer arrived. Kept as `upstreamStatus`. */
  status?: number;
  retryable?: boolean;
  retryAfterMs?: number;
  field?: string;
  /** A write was sent but no answer came back (or a 5xx): it may have been applied. Check before resending. */
  outcomeUnknown?: boolean;
}

export class GitHubError extends CodedError {
  declare readonly code: GitHubErrorCode;

  constructor(code: GitHubErrorCode, message: string, details: GitHubErrorDetails = {}) {
    super(code, message, {
      provider: 'github',
      upstreamStatus: details.status ?? 0,
      retryable: details.retryable ?? false,
      ...(details.retryAfterMs === undefined ? {} : { retryAfterMs: details.retryAfterMs }),
      ...(details.field === undefined ? {} : { field: details.field }),
      outcomeUnknown: details.outcomeUnknown ?? false,
    });
    this.name = 'GitHubError';
  }
}

export function isGitHubError(error: unknown, code?: GitHubErrorCode): error is GitHubError {
  return error instanceof GitHubError && (code === undefined || error.code === code);
}

const MAX_QUOTED = 300;

/** GitHub's own words, shortened and scrubbed of anything token-shaped. */
export function quote(text: string, secrets: readonly string[] = []): string {
  let clean = text.replace(/\s+/g, ' ').trim();
  for (const secret of secrets) if (secret.length >= 4) clean = clean.split(secret).join('[REDACTED]');
  clean = redactText(clean);
  return clean.length > MAX_QUOTED ? `${clean.slice(0, MAX_QUOTED)}…` : clean;
}
