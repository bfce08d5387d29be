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
  RATE_LIMITED: { status: 429, description: 'Too many requests; retry after the time in `Retry-After`.' },
  INTERNAL: { status: 500, description: 'An unexpected failure; the message is generic and the details are in the server log under the request id.' },
  UPSTREAM_FAILED: { status: 502, description: 'A provider (Jira, GitHub, …) failed in a way we could not recover from.' },
  NOT_READY: { status: 503, description: 'A dependency (database, migrations, job runner) is not ready.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof errorCatalogue;
