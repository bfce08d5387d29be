/**
 * The one catalogue of error codes the API answers with. Every failure reaches the client as
 * `{"error":{"code","message","field"?}}`; the code is stable and machine-readable, the status
 * follows from it. docs/errors.md is checked against this table by a test.
 */
export const errorCatalogue = {
  VALIDATION_FAILED: { status: 400, description: 'The request does not match the schema; `field` names the first offending field.' },
  INVALID_JSON: { status: 400, description: 'The body is not valid JSON.' },
  UNAUTHENTICATED: { status: 401, description: 'No bearer token, or it is malformed, expired, not yet valid, wrongly signed or for another issuer/audience.' },
  FORBIDDEN: { status: 403, description: 'The token is valid but lacks the role this route needs.' },
  NOT_FOUND: { status: 404, description: 'No such route, or no such resource in the caller’s organization.' },
  METHOD_NOT_ALLOWED: { status: 405, description: 'The route exists but not for this method.' },
  CONFLICT: { status: 409, description: 'The change conflicts with the current state (for example a job that is not failed cannot be retried).' },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The body is larger than BODY_LIMIT_BYTES.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The Content-Type is not accepted by this route.' },
  UNPROCESSABLE: { status: 422, description: 'The body is well-formed but inconsistent (for example list counts that must match).' },
  NOT_CONNECTED: { status: 409, description: 'No usable connection to the provider for this organization or user: connect one (or pass credentials) first.' },
  RATE_LIMITED: { status: 429, description: 'Too many requests; retry after the time in `Retry-After`.' },
  JIRA_PROJECT_NOT_FOUND: { status: 422, description: 'Jira has no such project, or the connection’s account cannot see it.' },
  JIRA_FIELD_REJECTED: { status: 422, description: 'Jira refused a field (not on the create screen, wrong value, required and missing); `field` names it.' },
  JIRA_BAD_REQUEST: { status: 422, description: 'Jira refused the request as invalid; the message quotes Jira’s reason.' },
  JIRA_TRANSITION_NOT_AVAILABLE: { status: 409, description: 'The issue’s workflow offers no such transition from its current status.' },
  INTERNAL: { status: 500, description: 'An unexpected failure; the message is generic and the details are in the server log under the request id.' },
  JIRA_AUTH_FAILED: { status: 502, description: 'Jira rejected the connection’s credentials (wrong email/API token or PAT, or an expired/revoked OAuth token): update or reconnect it.' },
  JIRA_FORBIDDEN: { status: 502, description: 'The connection’s Jira account lacks a permission (for example to create issues in the project).' },
  JIRA_ISSUE_NOT_FOUND: { status: 502, description: 'The linked Jira issue no longer exists or is no longer visible to the connection’s account.' },
  JIRA_NOT_FOUND: { status: 502, description: 'Jira answered 404 for a resource it should have.' },
  JIRA_UNAVAILABLE: { status: 502, description: 'Jira failed (5xx, timeouts) after our retries.' },
  JIRA_SITE_UNREACHABLE: { status: 502, description: 'The Jira site could not be reached (DNS, connection refused, or refused by the outbound address guard).' },
  JIRA_BAD_RESPONSE: { status: 502, description: 'Jira answered with something we could not read.' },
  UPSTREAM_FAILED: { status: 502, description: 'A provider (Jira, GitHub, …) failed in a way we could not recover from.' },
  JIRA_RATE_LIMITED: { status: 503, description: 'Jira’s rate limit is exhausted; retry after the time in `Retry-After`.' },
  TICKET_CREATE_UNCONFIRMED: { status: 503, description: 'An earlier attempt may have created the issue and Jira’s search has not caught up; retry after `Retry-After` (no duplicate is created).' },
  TICKET_CREATE_IN_PROGRESS: { status: 503, description: 'Another worker is creating this issue right now; retry shortly.' },
  NOT_READY: { status: 503, description: 'A dependency (database, migrations, job runner) is not ready.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof errorCatalogue;
