/**
 * Failures of the PR engine as catalogue codes (src/errors/catalogue.ts). GitHub client errors and
 * git transport errors already carry catalogue codes (provider-neutral: BRANCH_EXISTS, PUSH_REJECTED,
 * PROVIDER_AUTH_FAILED, …); the engine's own are PullRequestErrors. Only an error that carries no code
 * at all (a bug, an unexpected exception) is reported as UPSTREAM_FAILED, and logged. Tokens never
 * reach a message: both clients scrub their own text, and the engine scrubs once more with the token
 * it holds.
 */
import { CodedError } from '../../errors/coded-error.ts';
import type { ErrorCode } from '../../errors/catalogue.ts';
import { OUTBOUND_URL_REFUSED, OutboundError } from '../../http-client/index.ts';
import { ManifestPathError } from './paths.ts';

export const GITHUB_BASE_NOT_FOUND = 'BASE_BRANCH_NOT_FOUND';
export const GITHUB_BRANCH_MOVED = 'BRANCH_MOVED';
export const GITHUB_MANIFEST_PATH_REFUSED = 'MANIFEST_PATH_REFUSED';

/** The code host the engine talks to; every failure it reports names it. */
const PROVIDER = 'github';

/** Raised by the engine itself (base branch missing, branch moved under us). */
export class PullRequestError extends CodedError {
  constructor(code: ErrorCode, message: string, retryable = false) {
    super(code, message, { retryable, provider: PROVIDER });
    this.name = 'PullRequestError';
  }
}

export interface FailureDescription {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  provider: string;
  /** The host's Retry-After (rate limits), when it gave one. */
  retryAfterMs?: number;
}

/** `secrets`: every secret the engine used (from its credential source), scrubbed once more. */
export function describeFailure(error: unknown, secrets: string | readonly string[]): FailureDescription {
  const list = (typeof secrets === 'string' ? [secrets] : secrets).filter((secret) => secret.length >= 4);
  const scrub = (text: string) => list.reduce((out, secret) => out.split(secret).join('[REDACTED]'), text);
  if (error instanceof CodedError) {
    return { code: error.code, message: scrub(error.message), retryable: error.retryable, provider: error.provider ?? PROVIDER, ...(error.retryAfterMs ? { retryAfterMs: error.retryAfterMs } : {}) };
  }
  if (error instanceof OutboundError) {
    const refused = error.code === OUTBOUND_URL_REFUSED;
    return {
      code: refused ? 'PROVIDER_URL_REFUSED' : 'PROVIDER_UNREACHABLE',
      message: scrub(`GitHub ${refused ? 'host is refused' : 'could not be reached'}: ${error.reason ?? error.message}`),
      retryable: !refused,
      provider: PROVIDER,
    };
  }
  if (error instanceof ManifestPathError) return { code: GITHUB_MANIFEST_PATH_REFUSED, message: error.message, retryable: false, provider: PROVIDER };
  return { code: 'UPSTREAM_FAILED', message: 'the pull request could not be prepared; see the server log', retryable: true, provider: PROVIDER };
}
