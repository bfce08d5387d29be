/**
 * Coded errors for everything the GitHub client can meet. Codes are stable for the error catalogue
 * and the jobs' retry rules; messages say what to fix and never carry the token or a whole body
 * (GitHub's own words are quoted shortened and scrubbed).
 */
import { redactText } from '../../logging/redact.ts';

export const GITHUB_AUTH_FAILED = 'GITHUB_AUTH_FAILED';
export const GITHUB_FORBIDDEN = 'GITHUB_FORBIDDEN';
export const GITHUB_NOT_FOUND = 'GITHUB_NOT_FOUND';
export const GITHUB_REF_EXISTS = 'GITHUB_REF_EXISTS';
export const GITHUB_NOT_FAST_FORWARD = 'GITHUB_NOT_FAST_FORWARD';
export const GITHUB_PULL_EXISTS = 'GITHUB_PULL_EXISTS';
export const GITHUB_NO_COMMITS = 'GITHUB_NO_COMMITS';
export const GITHUB_VALIDATION = 'GITHUB_VALIDATION';
export const GITHUB_CONFLICT = 'GITHUB_CONFLICT';
export const GITHUB_RATE_LIMITED = 'GITHUB_RATE_LIMITED';
export const GITHUB_UNAVAILABLE = 'GITHUB_UNAVAILABLE';
export const GITHUB_UNREACHABLE = 'GITHUB_UNREACHABLE';
export const GITHUB_URL_REFUSED = 'GITHUB_URL_REFUSED';
export const GITHUB_BAD_RESPONSE = 'GITHUB_BAD_RESPONSE';
export const GITHUB_RESPONSE_TOO_LARGE = 'GITHUB_RESPONSE_TOO_LARGE';
export const GITHUB_BAD_REPO_URL = 'GITHUB_BAD_REPO_URL';

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
  /** GitHub's HTTP status; 0 when no answer arrived. */
  status?: number;
  retryable?: boolean;
  retryAfterMs?: number;
  field?: string;
  /** A write was sent but no answer came back (or a 5xx): it may have been applied. Check before resending. */
  outcomeUnknown?: boolean;
}

export class GitHubError extends Error {
  readonly code: GitHubErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly field: string | undefined;
  readonly outcomeUnknown: boolean;

  constructor(code: GitHubErrorCode, message: string, details: GitHubErrorDetails = {}) {
    super(message);
    this.name = 'GitHubError';
    this.code = code;
    this.status = details.status ?? 0;
    this.retryable = details.retryable ?? false;
    this.retryAfterMs = details.retryAfterMs;
    this.field = details.field;
    this.outcomeUnknown = details.outcomeUnknown ?? false;
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
