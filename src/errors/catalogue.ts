/**
 * The one catalogue of error codes the API answers with. Every failure reaches the client as
 * `{"error":{"code","message","field"?}}`; the code is stable and machine-readable, the status
 * follows from it. docs/errors.md is checked against this table by a test.
 */
export const errorCatalogue = {
  VALIDATION_FAILED: { status: 400, description: 'The request does not match the schema; `field` names the first offending field.' },
  INVALID_JSON: { status: 400, description: 'The body is not valid JSON.' },
  UNAUTHENTICATED: { status: 401, description: 'No bearer token, or it is malformed, expired, not yet valid, wrongly signed or for another issuer/audience.' },
  WEBHOOK_SIGNATURE_INVALID: { status: 401, description: 'A webhook delivery without a valid signature (missing header, wrong prefix or length, or not an HMAC of the exact body with the endpoint’s current or, during a rotation’s overlap, previous secret). Only a rejected-delivery record is kept (docs/webhooks.md).' },
  FORBIDDEN: { status: 403, description: 'The token is valid but lacks the role this route needs.' },
  INVALID_CREDENTIALS: { status: 401, description: 'Web UI sign-in (`POST /api/v1/session`): the username or password is wrong. The same answer for an unknown username; after 10 failures for one username from one address within 15 minutes the answer is RATE_LIMITED.' },
  CSRF_FAILED: { status: 403, description: 'A state-changing request (POST, PUT, PATCH, DELETE) authenticated by the web UI’s session cookie without the session’s token in `X-CSRF-Token` (`POST`/`GET /api/v1/session` return it). Bearer-token requests need none.' },
  NOT_FOUND: { status: 404, description: 'No such route, or no such resource in the caller’s organization.' },
  METHOD_NOT_ALLOWED: { status: 405, description: 'The route exists but not for this method.' },
  CONFLICT: { status: 409, description: 'The change conflicts with the current state (for example a job that is not failed cannot be retried).' },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The body is larger than BODY_LIMIT_BYTES.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The Content-Type is not accepted by this route.' },
  IMPORT_FORMAT_UNKNOWN: { status: 400, description: 'A scanner report whose format could not be detected from its first 64 KiB (or an empty one): pass `format` (trivy, grype, osv, npm-audit, sarif, dependabot). Nothing was written.' },
  IMPORT_MALFORMED: { status: 400, description: 'The scanner report is not valid JSON or not shaped like its format (`Results` not an array, an element that is not an object); the message names the JSON path and line, `field` the JSON path. Nothing was written.' },
  UNPROCESSABLE: { status: 422, description: 'The body is well-formed but inconsistent (for example list counts that must match).' },
  CREDENTIAL_HOST_MISMATCH: { status: 422, description: 'A stored connection’s credential is only sent to that connection’s own host (GitHub: its API host and that API’s git host; Jira: its site): a repository or Jira site elsewhere needs its own credential in the request (`github_pat`, `jira_pat`). `field` names the URL.' },
  TICKET_CREATE_IN_PROGRESS: { status: 409, description: 'Another request or worker is creating this finding’s issue right now; retry after `Retry-After` and the answer is that issue (`existing`). Nothing is created twice.' },
  NOT_CONNECTED: { status: 409, description: 'No usable connection to the provider for this organization or user: connect one (or pass credentials) first.' },
  RATE_LIMITED: { status: 429, description: 'Too many requests; retry after the time in `Retry-After`.' },
  // Provider-neutral codes: the provider (jira-cloud, jira-server, github, …) is the error body's
  // `provider` field, so a new provider adds no codes here.
  PROJECT_NOT_FOUND: { status: 422, description: 'The ticketing provider has no such project (or table), or the connection’s account cannot see it; `field` names it.' },
  PROVIDER_FIELD_REJECTED: { status: 422, description: 'The provider refused a field (not on the create screen, wrong value, required and missing); `field` names it.' },
  PROVIDER_BAD_REQUEST: { status: 422, description: 'The provider refused the request as invalid; the message quotes the provider’s reason.' },
  TRANSITION_NOT_AVAILABLE: { status: 409, description: 'The ticket’s workflow offers no transition to the wanted state from its current status.' },
  REPO_URL_INVALID: { status: 400, description: 'The repository URL is not an http(s) URL of the form https://host/owner/repo (no credentials, query or extra path); `field` names it.' },
  BRANCH_NAME_INVALID: { status: 400, description: 'The branch name (or base branch) breaks git’s rules for branch names (`git check-ref-format --branch`), is a full `refs/…` name, or holds invisible or bidirectional characters; `field` names it.' },
  MANIFEST_PATH_REFUSED: { status: 400, description: 'A manifest path (seed 001 `dependency_files`) would leave the repository or reach into `.git`: `..`, an absolute path, backslashes, control or invisible characters, a `.git` segment at any depth and in any case. Nothing was written.' },
  PROVIDER_URL_REFUSED: { status: 400, description: 'The provider’s host (a repository, a site) is refused by the outbound address guard (private, loopback or metadata address, or not https) unless the operator allow-lists it.' },
  BASE_BRANCH_NOT_FOUND: { status: 422, description: 'The base branch of the fix pull request does not exist in the repository.' },
  NO_COMMITS: { status: 422, description: 'The code host refused to open the pull request: there are no commits between the base and the branch.' },
  NOTHING_TO_COMMIT: { status: 422, description: 'The edit would leave every file as it is on the base branch, so there is nothing to commit.' },
  BRANCH_EXISTS: { status: 409, description: 'The branch already exists (a concurrent run created it); retry and the existing branch is used.' },
  PULL_REQUEST_EXISTS: { status: 409, description: 'A pull request for the branch is already open; it is found and updated instead of duplicated.' },
  NOT_FAST_FORWARD: { status: 409, description: 'The branch moved and the update would not be a fast-forward.' },
  BRANCH_MOVED: { status: 409, description: 'The fix branch (or the base’s manifest) changed while the update was prepared; nothing was pushed. Retry.' },
  PROVIDER_CONFLICT: { status: 409, description: 'The provider answered 409 (the repository, ref or record is in a conflicting state, for example an empty repository).' },
  PUSH_REJECTED: { status: 409, description: 'git push was rejected by the server (branch protection, hooks); the message quotes git’s reason without credentials.' },
  PROVIDER_AUTH_FAILED: { status: 502, description: 'The provider rejected the credentials (wrong email/API token, PAT or password, or an expired/revoked OAuth token): update or reconnect the connection, or pass valid credentials.' },
  PROVIDER_FORBIDDEN: { status: 502, description: 'The connection’s account or token lacks a permission (create issues in the project, contents or pull requests write), or the resource refuses it.' },
  PROVIDER_NOT_FOUND: { status: 502, description: 'The provider answered 404 for something it should have (a repository the token cannot see — GitHub hides private repositories as 404 —, or a wrong site URL).' },
  TICKET_NOT_FOUND: { status: 502, description: 'The linked ticket no longer exists or is no longer visible to the connection’s account.' },
  PROVIDER_UNAVAILABLE: { status: 502, description: 'The provider failed (5xx, timeouts) after our retries.' },
  PROVIDER_UNREACHABLE: { status: 502, description: 'The provider could not be reached (DNS, connection refused, or refused by the outbound address guard).' },
  PROVIDER_BAD_RESPONSE: { status: 502, description: 'The provider answered with something we could not read (not its API, not JSON, an unexpected status).' },
  PROVIDER_RESPONSE_TOO_LARGE: { status: 502, description: 'The provider’s answer was larger than the outbound response limit.' },
  REPOSITORY_TOO_LARGE: { status: 502, description: 'The git transport stopped because the checkout grew past its size limit; use the default `api` transport.' },
  GIT_FAILED: { status: 502, description: 'git failed in a way not covered by a more specific code; the message quotes git without credentials.' },
  PROVIDER_NOT_SUPPORTED: { status: 422, description: 'The operation is not available for this connection’s provider (for example testing a provider that has no test yet).' },
  PROVIDER_RATE_LIMITED: { status: 503, description: 'The provider’s rate limit is exhausted, or asks for a longer wait than we hold a request for; retry after `Retry-After`.' },
  INTERNAL: { status: 500, description: 'An unexpected failure; the message is generic and the details are in the server log under the request id.' },
  UPSTREAM_FAILED: { status: 502, description: 'A provider (Jira, GitHub, …) failed in a way we could not recover from.' },
  TICKET_CREATE_UNCONFIRMED: { status: 503, description: 'An earlier attempt may have created the issue and Jira’s search has not caught up; retry after `Retry-After` (no duplicate is created).' },

  INTERRUPTED: { status: 500, description: 'A batch run (`GET /api/v1/runs/{id}`) stopped because the process working it died and the request’s credentials, never stored, cannot resume it: post the batch again (nothing already created is duplicated).' },
  NOT_READY: { status: 503, description: 'A dependency (database, migrations, job runner) is not ready.' },

  // OAuth 2.0 connections (Atlassian 3LO).
  OAUTH_NOT_CONFIGURED: { status: 409, description: 'No OAuth app is configured: set JIRA_CLIENT_ID, JIRA_CLIENT_SECRET and JIRA_REDIRECT_URI (or ATLASSIAN_CLIENT_ID / ATLASSIAN_CLIENT_SECRET / ATLASSIAN_REDIRECT_URI), or store the organization’s app with `PUT /api/v1/oauth/clients/atlassian`.' },
  OAUTH_STATE_INVALID: { status: 400, description: 'The OAuth callback’s `state` is unknown, expired (5 minutes), already used, or belongs to a flow another user started; nothing was stored. Start the connection again.' },
  OAUTH_CONSENT_DECLINED: { status: 400, description: 'The user declined the consent screen (`error=access_denied`); nothing was stored.' },
  OAUTH_EXCHANGE_FAILED: { status: 400, description: 'The authorization server refused the code exchange (wrong client id or secret, redirect URI mismatch, expired or used code), or the consent granted no site or no refresh token; the message says which and what to check. Nothing was stored.' },
  OAUTH_REAUTH_REQUIRED: { status: 409, description: 'The provider refused the connection’s refresh token (revoked, expired after 90 days unused or 365 days, or reused): the connection is `reauth_required` and its owner must connect again. Nothing retries it.' },
  OAUTH_SCOPE_MISMATCH: { status: 409, description: 'The connection’s token lacks a scope this call needs (the gateway answered “scope does not match”): add the scope to ATLASSIAN_SCOPES and connect again. `field` names the scope.' },

  // Internal codes: carried by errors inside the service (crypto, shared state, jobs). They are
  // answered as INTERNAL (500, generic message) and never reach a response under their own name.
  CRYPTO_UNKNOWN_KEY_ID: { status: 500, internal: true, description: 'A ciphertext names an encryption key id that ENCRYPTION_KEYS does not hold.' },
  CRYPTO_DECRYPT_FAILED: { status: 500, internal: true, description: 'A stored secret could not be decrypted (wrong key, or tampered with).' },
  CRYPTO_MALFORMED_CIPHERTEXT: { status: 500, internal: true, description: 'A stored ciphertext is not in our envelope format.' },
  CRYPTO_INVALID_KEYS: { status: 500, internal: true, description: 'ENCRYPTION_KEYS is malformed.' },
  CRYPTO_KEY_FILE_ERROR: { status: 500, internal: true, description: 'The encryption key file could not be read or written.' },
  SHARED_STATE_LOCK_TIMEOUT: { status: 500, internal: true, description: 'A shared lock was not acquired in time.' },
  SHARED_STATE_INVALID_ARGUMENT: { status: 500, internal: true, description: 'Shared state was called with an invalid key, value or time to live.' },
  SHARED_STATE_NOT_A_COUNTER: { status: 500, internal: true, description: 'A shared-state counter operation met a value that is not a counter.' },
  SHARED_STATE_CLOSED: { status: 500, internal: true, description: 'Shared state was used after it was closed.' },
  SHARED_STATE_UNAVAILABLE: { status: 500, internal: true, description: 'The shared-state store (Redis) did not answer.' },
  JOB_PERMANENT_FAILURE: { status: 500, internal: true, description: 'A job failed in a way retrying cannot cure; it is not retried.' },
  JOB_BAD_PAYLOAD: { status: 500, internal: true, description: 'A job’s payload does not match its kind’s schema (a programming error); it is failed at once, never retried. Shown in the job’s output.' },
  JOB_RETRY_LATER: { status: 500, internal: true, description: 'A job is retried no sooner than the provider asked (`Retry-After`).' },
} as const satisfies Record<string, { status: number; description: string; internal?: true }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** Codes that may appear in a response under their own name (everything but the internal ones). */
export type PublicErrorCode = { [C in ErrorCode]: (typeof errorCatalogue)[C] extends { internal: true } ? never : C }[ErrorCode];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
}

/** The code a response carries for this code: internal codes are answered as INTERNAL. */
export function publicCode(code: ErrorCode): PublicErrorCode {
  const entry = errorCatalogue[code] as { internal?: true };
  return entry.internal ? 'INTERNAL' : (code as PublicErrorCode);
}

/** Every code a response may carry, for response schemas (z.enum). */
export const publicErrorCodes = Object.keys(errorCatalogue).filter((code) => !(errorCatalogue[code as ErrorCode] as { internal?: true }).internal) as [PublicErrorCode, ...PublicErrorCode[]];
