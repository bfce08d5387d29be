/**
 * Coded errors for everything the Jira client can meet: Jira's answers (401, 403, 404, field errors,
 * 429, 5xx) and failures to reach it at all. Codes are stable for the error catalogue and the jobs'
 * retry rules; messages tell a user what to fix and never carry credentials or Jira's full body.
 */
import { CONNECT_ERROR_CODES, OutboundError } from '../../http-client/index.ts';
import { CodedError } from '../../errors/coded-error.ts';
import { redactText } from '../../logging/redact.ts';

/**
 * The catalogue codes Jira's failures map to. The codes are provider-neutral (the error carries
 * `provider: "jira-cloud" | "jira-server"`); these names say which Jira situation each one covers.
 */
export const JIRA_AUTH_FAILED = 'PROVIDER_AUTH_FAILED';
export const JIRA_FORBIDDEN = 'PROVIDER_FORBIDDEN';
export const JIRA_PROJECT_NOT_FOUND = 'PROJECT_NOT_FOUND';
export const JIRA_ISSUE_NOT_FOUND = 'TICKET_NOT_FOUND';
export const JIRA_NOT_FOUND = 'PROVIDER_NOT_FOUND';
export const JIRA_FIELD_REJECTED = 'PROVIDER_FIELD_REJECTED';
export const JIRA_TRANSITION_NOT_AVAILABLE = 'TRANSITION_NOT_AVAILABLE';
export const JIRA_BAD_REQUEST = 'PROVIDER_BAD_REQUEST';
export const JIRA_RATE_LIMITED = 'PROVIDER_RATE_LIMITED';
export const JIRA_UNAVAILABLE = 'PROVIDER_UNAVAILABLE';
export const JIRA_SITE_UNREACHABLE = 'PROVIDER_UNREACHABLE';
export const JIRA_BAD_RESPONSE = 'PROVIDER_BAD_RESPONSE';

export type JiraErrorCode =
  | typeof JIRA_AUTH_FAILED
  | typeof JIRA_FORBIDDEN
  | typeof JIRA_PROJECT_NOT_FOUND
  | typeof JIRA_ISSUE_NOT_FOUND
  | typeof JIRA_NOT_FOUND
  | typeof JIRA_FIELD_REJECTED
  | typeof JIRA_TRANSITION_NOT_AVAILABLE
  | typeof JIRA_BAD_REQUEST
  | typeof JIRA_RATE_LIMITED
  | typeof JIRA_UNAVAILABLE
  | typeof JIRA_SITE_UNREACHABLE
  | typeof JIRA_BAD_RESPONSE;

export interface JiraErrorDetails {
  /** Jira's HTTP status; 0 (or absent) when no answer arrived. Kept as `upstreamStatus`. */
  status?: number;
  retryable?: boolean;
  retryAfterMs?: number;
  field?: string;
  /** Every field error Jira listed (field id → Jira's message), when there were several. */
  fieldErrors?: Record<string, string>;
  /** A write was sent but no answer came back: it may have been applied. Reconcile before resending. */
  outcomeUnknown?: boolean;
  /** "jira-cloud" or "jira-server"; the client stamps it on errors raised without it. */
  provider?: string;
}

export class JiraError extends CodedError {
  declare readonly code: JiraErrorCode;
  readonly fieldErrors: Record<string, string> | undefined;

  constructor(code: JiraErrorCode, message: string, details: JiraErrorDetails = {}) {
    super(code, message, {
      upstreamStatus: details.status ?? 0,
      retryable: details.retryable ?? false,
      ...(details.retryAfterMs === undefined ? {} : { retryAfterMs: details.retryAfterMs }),
      ...(details.field === undefined ? {} : { field: details.field }),
      outcomeUnknown: details.outcomeUnknown ?? false,
      ...(details.provider === undefined ? {} : { provider: details.provider }),
    });
    this.name = 'JiraError';
    this.fieldErrors = details.fieldErrors;
  }
}

/** What the failing call was about, so a 404 or 400 can name the right thing. */
export interface CallSubject {
  /** e.g. "create an issue in project SEC". */
  action: string;
  projectKey?: string;
  issueKey?: string;
  /** What a 404 means for this call. */
  notFound?: typeof JIRA_PROJECT_NOT_FOUND | typeof JIRA_ISSUE_NOT_FOUND | typeof JIRA_NOT_FOUND;
  /** A non-idempotent write: a lost answer leaves its outcome unknown. */
  write?: boolean;
}

export interface AuthKind {
  flavor: 'cloud' | 'server';
  auth: 'basic' | 'bearer';
}

const MAX_QUOTED = 300;

/** Jira's own words, shortened and scrubbed: users see why, never a token or a whole body. */
export function quote(text: string): string {
  const clean = redactText(text.replace(/\s+/g, ' ').trim());
  return clean.length > MAX_QUOTED ? `${clean.slice(0, MAX_QUOTED)}…` : clean;
}

export interface ErrorCollection {
  errorMessages: string[];
  errors: Record<string, string>;
}

/** Reads Jira's ErrorCollection (`errorMessages` + `errors`); anything else (HTML, text) gives empty lists. */
export function parseErrorCollection(body: string): ErrorCollection {
  try {
    const parsed = JSON.parse(body) as { errorMessages?: unknown; errors?: unknown; message?: unknown };
    const errorMessages = Array.isArray(parsed.errorMessages) ? parsed.errorMessages.filter((m): m is string => typeof m === 'string') : [];
    const errors: Record<string, string> = {};
    if (parsed.errors && typeof parsed.errors === 'object' && !Array.isArray(parsed.errors)) {
      for (const [field, message] of Object.entries(parsed.errors)) if (typeof message === 'string') errors[field] = message;
    }
    // The API gateway answers {"code":401,"message":"..."} instead.
    if (errorMessages.length === 0 && typeof parsed.message === 'string') errorMessages.push(parsed.message);
    return { errorMessages, errors };
  } catch {
    return { errorMessages: [], errors: {} };
  }
}

function authMessage(kind: AuthKind, said: string): string {
  if (/scope does not match/i.test(said)) {
    return 'Jira rejected the OAuth token: the app was not granted the scopes this call needs (read:jira-work, write:jira-work, read:jira-user); reconnect and approve them';
  }
  if (kind.auth === 'basic') {
    return kind.flavor === 'cloud'
      ? 'Jira rejected the credentials: check the email and API token (a scoped API token only works through the api.atlassian.com gateway; passwords are not accepted)'
      : 'Jira rejected the credentials: check the username and password, or use a personal access token';
  }
  return kind.flavor === 'cloud'
    ? 'Jira rejected the OAuth token: it has expired or was revoked; reconnect the Jira account'
    : 'Jira rejected the credentials: check the personal access token (PAT); it may have expired or been revoked';
}

const PROJECT_MISSING = /specify a valid project|project is required|does not exist for the field 'project'|no project could be found/i;

function fromBadRequest(status: number, collection: ErrorCollection, subject: CallSubject): JiraError {
  const { errors, errorMessages } = collection;
  const said = [...errorMessages, ...Object.values(errors)].join('; ');
  if ((errors.project && PROJECT_MISSING.test(errors.project)) || errorMessages.some((m) => PROJECT_MISSING.test(m))) {
    const project = subject.projectKey ? `'${subject.projectKey}'` : 'given';
    return new JiraError(
      JIRA_PROJECT_NOT_FOUND,
      `Jira project ${project} was not found, or this account cannot see it: check the project key and that the account can browse the project`,
      { status, field: 'project' },
    );
  }
  if (/Transition id .* is not valid|'transition' identifier/i.test(said)) {
    return new JiraError(JIRA_TRANSITION_NOT_AVAILABLE, `Jira refused the transition on ${subject.issueKey ?? 'the issue'}: ${quote(said)}`, {
      status,
      field: 'transition',
    });
  }
  const fieldIds = Object.keys(errors);
  if (fieldIds.length > 0) {
    const first = fieldIds[0] as string;
    const list = fieldIds.map((id) => `${id}: ${quote(errors[id] as string)}`).join('; ');
    return new JiraError(JIRA_FIELD_REJECTED, `Jira refused field ${list} (while trying to ${subject.action})`, {
      status,
      field: first,
      fieldErrors: { ...errors },
    });
  }
  const required = errorMessages.map((m) => /^Field '([^']+)' is required/i.exec(m)?.[1]).find((f) => f !== undefined);
  if (required) {
    return new JiraError(JIRA_FIELD_REJECTED, `Jira requires field '${required}' (while trying to ${subject.action})`, { status, field: required });
  }
  if (errorMessages.includes('INVALID_INPUT')) {
    return new JiraError(
      JIRA_FIELD_REJECTED,
      `Jira refused a rich-text value as malformed Atlassian Document Format (while trying to ${subject.action})`,
      { status, field: 'description' },
    );
  }
  return new JiraError(JIRA_BAD_REQUEST, `Jira refused the request to ${subject.action}${said ? `: ${quote(said)}` : ` (HTTP ${status})`}`, { status });
}

/** Maps a non-2xx answer to a JiraError. 429 is handled by the limiter before this is reached. */
export function errorFromResponse(
  response: { status: number; body: string },
  subject: CallSubject,
  kind: AuthKind,
  retryAfterMs?: number,
): JiraError {
  const { status } = response;
  const collection = parseErrorCollection(response.body);
  const said = [...collection.errorMessages, ...Object.values(collection.errors)].join('; ');
  if (status === 401) return new JiraError(JIRA_AUTH_FAILED, authMessage(kind, said), { status });
  if (status === 403) {
    const where = subject.projectKey && !subject.action.includes(subject.projectKey) ? ` in project ${subject.projectKey}` : '';
    return new JiraError(
      JIRA_FORBIDDEN,
      `The Jira account has no permission to ${subject.action}${where}: ask a Jira admin for the needed project permission${said ? ` (Jira: ${quote(said)})` : ''}`,
      { status },
    );
  }
  if (status === 404) {
    if (subject.notFound === JIRA_PROJECT_NOT_FOUND) {
      return new JiraError(
        JIRA_PROJECT_NOT_FOUND,
        `Jira project '${subject.projectKey ?? '?'}' was not found, or this account cannot see it: check the project key`,
        { status, field: 'project' },
      );
    }
    if (subject.notFound === JIRA_ISSUE_NOT_FOUND) {
      const issue = subject.issueKey ? `Jira issue ${subject.issueKey}` : 'The Jira issue';
      return new JiraError(JIRA_ISSUE_NOT_FOUND, `${issue} does not exist, or this account cannot see it`, { status });
    }
    return new JiraError(JIRA_NOT_FOUND, `Jira could not find what was needed to ${subject.action}${said ? `: ${quote(said)}` : ''}; check the site URL`, {
      status,
    });
  }
  if (status === 429) {
    return new JiraError(JIRA_RATE_LIMITED, `Jira is rate-limiting this connection; try again${retryAfterMs ? ` in ${Math.ceil(retryAfterMs / 1000)} s` : ' later'}`, {
      status,
      retryable: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status >= 500) {
    return new JiraError(JIRA_UNAVAILABLE, `Jira is unavailable (HTTP ${status}) while trying to ${subject.action}; it will be retried`, {
      status,
      retryable: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      // A 5xx on a write may come after the write was applied (e.g. a proxy timing out).
      outcomeUnknown: subject.write === true && status !== 503,
    });
  }
  if (status >= 400) return fromBadRequest(status, collection, subject);
  return new JiraError(JIRA_BAD_RESPONSE, `Jira gave an unexpected answer (HTTP ${status}) to the request to ${subject.action}`, { status });
}


/** Failures before or instead of an answer: DNS, refused connections, the outbound guard, timeouts. */
export function errorFromOutbound(error: unknown, subject: CallSubject, host: string): JiraError {
  if (error instanceof JiraError) return error;
  if (!(error instanceof OutboundError)) {
    return new JiraError(JIRA_UNAVAILABLE, `Calling Jira at ${host} failed unexpectedly while trying to ${subject.action}`, { retryable: true });
  }
  switch (error.code) {
    case 'OUTBOUND_URL_REFUSED':
      return new JiraError(
        JIRA_SITE_UNREACHABLE,
        `The Jira URL was refused by the outbound guard (${error.reason ?? 'not allowed'}): use the public https site URL, or ask the operator to allow-list ${host} in OUTBOUND_ALLOWED_HOSTS`,
      );
    case 'OUTBOUND_DNS_FAILED':
      return new JiraError(JIRA_SITE_UNREACHABLE, `The Jira site ${host} could not be found (DNS lookup failed): check the site URL`, { retryable: true });
    case 'OUTBOUND_NETWORK_ERROR':
      if (error.causeCode && CONNECT_ERROR_CODES.has(error.causeCode)) {
        const what = error.causeCode === 'ECONNREFUSED' ? 'refused the connection' : `could not be connected to (${error.causeCode})`;
        return new JiraError(JIRA_SITE_UNREACHABLE, `The Jira site ${host} ${what}: check the site URL and that Jira is running`, { retryable: true });
      }
      return new JiraError(JIRA_UNAVAILABLE, `The connection to Jira at ${host} broke while trying to ${subject.action}`, {
        retryable: true,
        outcomeUnknown: subject.write === true,
      });
    case 'OUTBOUND_TIMEOUT':
      return new JiraError(JIRA_UNAVAILABLE, `Jira at ${host} did not answer in time while trying to ${subject.action}`, {
        retryable: true,
        outcomeUnknown: subject.write === true,
      });
    case 'OUTBOUND_INVALID_JSON':
    case 'OUTBOUND_RESPONSE_TOO_LARGE':
    case 'OUTBOUND_TOO_MANY_REDIRECTS':
      return new JiraError(JIRA_BAD_RESPONSE, `Jira at ${host} gave an answer that is not Jira's API (${error.code}): check the site URL`);
    default:
      return new JiraError(JIRA_UNAVAILABLE, `Calling Jira at ${host} failed (${error.code}) while trying to ${subject.action}`, { retryable: true });
  }
}
