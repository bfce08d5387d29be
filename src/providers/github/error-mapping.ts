/**
 * GitHub's answers and transport failures → GitHubError. GitHub's 422 bodies name the real problem
 * in `message` or `errors[].message` (PROVIDER-FACTS §4.2); those we act on get their own codes so
 * the PR engine can recover (find the existing PR, rebuild the branch) instead of parsing text.
 */
import {
  OUTBOUND_DNS_FAILED,
  OUTBOUND_NETWORK_ERROR,
  OUTBOUND_RESPONSE_TOO_LARGE,
  OUTBOUND_TIMEOUT,
  OUTBOUND_URL_REFUSED,
  OutboundError,
  serverDelayMs,
  isConnectFailure,
} from '../../http-client/index.ts';
import {
  GITHUB_AUTH_FAILED,
  GITHUB_BAD_RESPONSE,
  GITHUB_CONFLICT,
  GITHUB_FORBIDDEN,
  GITHUB_NO_COMMITS,
  GITHUB_NOT_FAST_FORWARD,
  GITHUB_NOT_FOUND,
  GITHUB_PULL_EXISTS,
  GITHUB_RATE_LIMITED,
  GITHUB_REF_EXISTS,
  GITHUB_RESPONSE_TOO_LARGE,
  GITHUB_UNAVAILABLE,
  GITHUB_UNREACHABLE,
  GITHUB_URL_REFUSED,
  GITHUB_VALIDATION,
  GitHubError,
  quote,
} from './errors.ts';

/** What a call was about, so messages can name it. */
export interface CallSubject {
  /** e.g. "push to acme/web", "read acme/web": completes "the token cannot …". */
  action: string;
  /** What a 404 means here, e.g. "repository acme/web was not found, or the token cannot see it". */
  notFound: string;
  /** A write: a lost answer leaves its outcome unknown. */
  write?: boolean;
}

interface GitHubBody {
  message?: unknown;
  errors?: { resource?: unknown; field?: unknown; code?: unknown; message?: unknown }[];
}

/** The shape of @octokit/request-error's RequestError that we read (duck-typed: no class identity across copies). */
export interface RequestErrorLike {
  status: number;
  message: string;
  response?: { headers: Record<string, string | number | undefined>; data?: unknown };
  cause?: unknown;
}

export function isRequestErrorLike(error: unknown): error is RequestErrorLike {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number' && (error as { name?: string }).name === 'HttpError';
}

function stringHeaders(headers: Record<string, string | number | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) out[name.toLowerCase()] = String(value);
  return out;
}

function bodyOf(data: unknown): GitHubBody {
  if (data && typeof data === 'object') return data as GitHubBody;
  if (typeof data === 'string') {
    try {
      return JSON.parse(data) as GitHubBody;
    } catch {
      return {};
    }
  }
  return {};
}

/** Primary (remaining 0) and secondary (message, retry-after) limits; GitHub uses 403 or 429 for both. */
export function isRateLimitAnswer(status: number, headers: Record<string, string>, message: string): boolean {
  if (status === 429) return true;
  if (status !== 403) return false;
  return headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined || /rate limit/i.test(message);
}

export function rateLimitWaitMs(headers: Record<string, string>, now: number = Date.now()): number {
  // Secondary limits without retry-after: GitHub says wait at least a minute.
  return serverDelayMs(headers, now) ?? 60_000;
}

export function errorFromTransport(cause: OutboundError, subject: CallSubject, host: string): GitHubError {
  switch (cause.code) {
    case OUTBOUND_URL_REFUSED:
      return new GitHubError(GITHUB_URL_REFUSED, `GitHub API URL refused by the outbound guard (${cause.reason ?? 'not allowed'}): check the API URL or OUTBOUND_ALLOWED_HOSTS`);
    case OUTBOUND_RESPONSE_TOO_LARGE:
      return new GitHubError(GITHUB_RESPONSE_TOO_LARGE, `GitHub's answer to ${subject.action} is larger than the outbound response limit`);
    case OUTBOUND_TIMEOUT:
    case OUTBOUND_NETWORK_ERROR:
    case OUTBOUND_DNS_FAILED:
      return new GitHubError(GITHUB_UNREACHABLE, `GitHub at ${host} could not be reached to ${subject.action}: ${cause.message}`, {
        retryable: true,
        // A write whose connection broke after it was sent may have been applied.
        outcomeUnknown: subject.write === true && cause.code !== OUTBOUND_DNS_FAILED && !isConnectFailure(cause),
      });
    default:
      return new GitHubError(GITHUB_UNREACHABLE, `GitHub at ${host} could not be reached to ${subject.action}: ${cause.message}`);
  }
}


export function errorFromResponse(error: RequestErrorLike, subject: CallSubject, secrets: readonly string[]): GitHubError {
  const status = error.status;
  const headers = stringHeaders(error.response?.headers);
  const body = bodyOf(error.response?.data);
  const said = typeof body.message === 'string' ? body.message : '';
  // GitHub lists item errors in an array; anything else (a proxy's or another API's body) has none.
  const items = Array.isArray(body.errors) ? body.errors : [];
  const itemMessages = items.map((e) => (typeof e.message === 'string' ? e.message : '')).filter((m) => m !== '');
  const all = [said, ...itemMessages].join('; ');

  if (status === 401) {
    return new GitHubError(GITHUB_AUTH_FAILED, `GitHub rejected the token (401 ${quote(said || 'Bad credentials', secrets)}): it is wrong, expired or revoked`, { status });
  }
  if (isRateLimitAnswer(status, headers, all)) {
    const waitMs = rateLimitWaitMs(headers);
    const kind = headers['x-ratelimit-remaining'] === '0' ? 'rate limit' : 'secondary rate limit';
    return new GitHubError(GITHUB_RATE_LIMITED, `GitHub's ${kind} stopped the request to ${subject.action}; try again in ${Math.max(1, Math.ceil(waitMs / 1000))} s`, {
      status,
      retryable: true,
      retryAfterMs: waitMs,
    });
  }
  if (status === 403) {
    return new GitHubError(GITHUB_FORBIDDEN, `the token cannot ${subject.action}: GitHub said "${quote(said || 'Forbidden', secrets)}"`, { status });
  }
  if (status === 404) return new GitHubError(GITHUB_NOT_FOUND, subject.notFound, { status });
  if (status === 409) {
    return new GitHubError(GITHUB_CONFLICT, `GitHub refused to ${subject.action}: ${quote(said || 'Conflict', secrets)}`, { status });
  }
  if (status === 422 || status === 400) {
    if (/Reference already exists/i.test(said)) return new GitHubError(GITHUB_REF_EXISTS, `cannot ${subject.action}: the branch already exists`, { status });
    if (/not a fast forward/i.test(said)) {
      return new GitHubError(GITHUB_NOT_FAST_FORWARD, `cannot ${subject.action}: the branch has commits that the new commit does not contain (not a fast forward)`, { status });
    }
    if (/Reference does not exist/i.test(said)) return new GitHubError(GITHUB_NOT_FOUND, `cannot ${subject.action}: the branch does not exist`, { status });
    const exists = itemMessages.find((m) => /A pull request already exists/i.test(m));
    if (exists) return new GitHubError(GITHUB_PULL_EXISTS, `cannot ${subject.action}: ${quote(exists, secrets)}`, { status, field: 'head' });
    const noCommits = itemMessages.find((m) => /^No commits between/i.test(m));
    if (noCommits) return new GitHubError(GITHUB_NO_COMMITS, `cannot ${subject.action}: ${quote(noCommits, secrets)}`, { status, field: 'head' });
    const first = items[0];
    const field = typeof first?.field === 'string' ? first.field : undefined;
    const detail = itemMessages.length > 0 ? itemMessages.join('; ') : items.map((e) => [e.resource, e.field, e.code].filter(Boolean).join(' ')).join('; ');
    const text = [said, detail].filter((t) => t !== '').join(': ') || `HTTP ${status}`;
    return new GitHubError(GITHUB_VALIDATION, `GitHub refused to ${subject.action}: ${quote(text, secrets)}`, { status, ...(field ? { field } : {}) });
  }
  if (status >= 500) {
    return new GitHubError(GITHUB_UNAVAILABLE, `GitHub failed (${status}) to ${subject.action}; try again later`, {
      status,
      retryable: true,
      outcomeUnknown: subject.write === true,
    });
  }
  return new GitHubError(GITHUB_BAD_RESPONSE, `GitHub answered ${status} to the request to ${subject.action}: ${quote(said, secrets)}`, { status });
}

/** Any failure from a call → GitHubError; GitHubErrors pass through. */
export function toGitHubError(error: unknown, subject: CallSubject, host: string, secrets: readonly string[]): GitHubError {
  if (error instanceof GitHubError) return error;
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof OutboundError) return errorFromTransport(cause, subject, host);
  if (error instanceof OutboundError) return errorFromTransport(error, subject, host);
  if (isRequestErrorLike(error) && error.response) return errorFromResponse(error, subject, secrets);
  const message = error instanceof Error ? error.message : String(error);
  return new GitHubError(GITHUB_BAD_RESPONSE, `the request to ${subject.action} failed: ${quote(message, secrets)}`);
}
