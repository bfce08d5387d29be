import { describe, expect, it } from 'vitest';
import {
  GITHUB_AUTH_FAILED,
  GITHUB_CONFLICT,
  GITHUB_FORBIDDEN,
  GITHUB_NO_COMMITS,
  GITHUB_NOT_FAST_FORWARD,
  GITHUB_NOT_FOUND,
  GITHUB_PULL_EXISTS,
  GITHUB_RATE_LIMITED,
  GITHUB_REF_EXISTS,
  GITHUB_UNAVAILABLE,
  GITHUB_VALIDATION,
} from '../../../src/providers/github/index.ts';
import { errorFromResponse, type RequestErrorLike } from '../../../src/providers/github/error-mapping.ts';

const token = `ghp_${'s'.repeat(36)}`;
const subject = { action: 'push to acme/web', notFound: 'repository acme/web was not found, or the token cannot see it', write: true };
const answer = (status: number, data: unknown, headers: Record<string, string> = {}): RequestErrorLike => ({ status, message: 'x', response: { headers, data } });

describe('GitHub error mapping (PROVIDER-FACTS §4.2 bodies)', () => {
  it.each([
    [answer(401, { message: 'Bad credentials', status: '401' }), GITHUB_AUTH_FAILED],
    [answer(403, { message: 'Resource not accessible by personal access token' }), GITHUB_FORBIDDEN],
    [answer(403, { message: 'API rate limit exceeded for user ID 1.' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 600) }), GITHUB_RATE_LIMITED],
    [answer(403, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }, { 'retry-after': '30', 'x-ratelimit-remaining': '4000' }), GITHUB_RATE_LIMITED],
    [answer(429, { message: 'slow down' }), GITHUB_RATE_LIMITED],
    [answer(404, { message: 'Not Found' }), GITHUB_NOT_FOUND],
    [answer(409, { message: 'Git Repository is empty.' }), GITHUB_CONFLICT],
    [answer(422, { message: 'Reference already exists' }), GITHUB_REF_EXISTS],
    [answer(422, { message: 'Update is not a fast forward' }), GITHUB_NOT_FAST_FORWARD],
    [answer(422, { message: 'Reference does not exist' }), GITHUB_NOT_FOUND],
    [answer(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for acme:x.' }] }), GITHUB_PULL_EXISTS],
    [answer(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'No commits between main and x' }] }), GITHUB_NO_COMMITS],
    [answer(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] }), GITHUB_VALIDATION],
    [answer(502, '<html>bad gateway</html>'), GITHUB_UNAVAILABLE],
  ])('%# → %s', (error, code) => {
    expect(errorFromResponse(error, subject, [token]).code).toBe(code);
  });

  it('secondary limit: retry-after; without it, a minute', () => {
    expect(errorFromResponse(answer(403, { message: 'secondary rate limit' }, { 'retry-after': '30' }), subject, []).retryAfterMs).toBe(30_000);
    expect(errorFromResponse(answer(429, { message: 'secondary rate limit' }), subject, []).retryAfterMs).toBe(60_000);
  });

  it('keeps the field of a validation error and marks 5xx on writes as outcome unknown', () => {
    const invalid = errorFromResponse(answer(422, { message: 'Validation Failed', errors: [{ resource: 'Issue', field: 'body', code: 'custom', message: 'body is too long (maximum is 65536 characters)' }] }), subject, []);
    expect(invalid).toMatchObject({ code: GITHUB_VALIDATION, field: 'body' });
    expect(invalid.message).toContain('body is too long');
    expect(errorFromResponse(answer(503, {}), subject, [])).toMatchObject({ retryable: true, outcomeUnknown: true });
  });

  it('never repeats the token, even when GitHub echoes it', () => {
    for (const status of [401, 403, 409, 422]) {
      const error = errorFromResponse(answer(status, { message: `bad value ${token} and Bearer ${token}` }), subject, [token]);
      expect(error.message).not.toContain(token);
    }
  });
});
