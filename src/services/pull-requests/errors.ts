/**
 * Failures of the PR engine as catalogue codes (src/errors/catalogue.ts): GitHub client errors keep
 * their code; git transport errors are translated to the GitHub code that means the same to a caller;
 * anything else is a generic upstream failure. Tokens never reach a message: both clients scrub
 * their own text, and the engine scrubs once more with the token it holds.
 */
import { GitError } from '../../git/index.ts';
import { OUTBOUND_URL_REFUSED, OutboundError } from '../../http-client/index.ts';
import { GitHubError } from '../../providers/github/index.ts';
import { ManifestPathError } from './paths.ts';

export const GITHUB_BASE_NOT_FOUND = 'GITHUB_BASE_NOT_FOUND';
export const GITHUB_BRANCH_MOVED = 'GITHUB_BRANCH_MOVED';
export const GITHUB_MANIFEST_PATH_REFUSED = 'GITHUB_MANIFEST_PATH_REFUSED';

const fromGit: Record<string, string> = {
  GIT_URL_REFUSED: 'GITHUB_URL_REFUSED',
  GIT_BAD_BRANCH: 'GITHUB_BAD_BRANCH',
  GIT_PATH_REFUSED: GITHUB_MANIFEST_PATH_REFUSED,
  GIT_AUTH_FAILED: 'GITHUB_AUTH_FAILED',
  GIT_FORBIDDEN: 'GITHUB_FORBIDDEN',
  GIT_NOT_FOUND: 'GITHUB_NOT_FOUND',
  GIT_LEASE_REJECTED: GITHUB_BRANCH_MOVED,
  GIT_PUSH_REJECTED: 'GITHUB_PUSH_REJECTED',
  GIT_TIMEOUT: 'GITHUB_UNAVAILABLE',
  GIT_TOO_LARGE: 'GITHUB_REPO_TOO_LARGE',
};

/** Raised by the engine itself (base branch missing, branch moved under us). */
export class PullRequestError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  constructor(code: string, message: string, retryable = false) {
    super(message);
    this.name = 'PullRequestError';
    this.code = code;
    this.retryable = retryable;
  }
}

export function describeFailure(error: unknown, token: string): { code: string; message: string; retryable: boolean } {
  const scrub = (text: string) => (token.length >= 4 ? text.split(token).join('[REDACTED]') : text);
  if (error instanceof GitHubError) return { code: error.code, message: scrub(error.message), retryable: error.retryable };
  if (error instanceof GitError) return { code: fromGit[error.code] ?? 'GITHUB_GIT_FAILED', message: scrub(error.message), retryable: error.retryable };
  if (error instanceof PullRequestError) return { code: error.code, message: scrub(error.message), retryable: error.retryable };
  if (error instanceof OutboundError) {
    const refused = error.code === OUTBOUND_URL_REFUSED;
    return { code: refused ? 'GITHUB_URL_REFUSED' : 'GITHUB_UNREACHABLE', message: scrub(`GitHub ${refused ? 'host is refused' : 'could not be reached'}: ${error.reason ?? error.message}`), retryable: !refused };
  }
  if (error instanceof ManifestPathError) return { code: GITHUB_MANIFEST_PATH_REFUSED, message: error.message, retryable: false };
  return { code: 'UPSTREAM_FAILED', message: 'the pull request could not be prepared; see the server log', retryable: true };
}
