/**
 * Coded errors for everything the ServiceNow client can meet: the Table API's answers (the envelope
 * `{"error":{"message","detail"},"status":"failure"}`: 400 invalid table, 401 with
 * `WWW-Authenticate: BASIC realm="Service-now"`, 403 ACL, 404 no record, 429 rate-limit rule), the
 * HTML 503 page of a hibernating developer instance, and failures to reach the instance at all.
 * Codes are the catalogue's provider-neutral ones with `provider: "servicenow"`; messages tell a user
 * what to fix and quote ServiceNow's message (scrubbed, shortened), never a credential or whole body.
 */
import { CodedError } from '../../errors/coded-error.ts';
import type { ErrorCode } from '../../errors/catalogue.ts';
import { CONNECT_ERROR_CODES, OutboundError } from '../../http-client/index.ts';
import { redactText } from '../../logging/redact.ts';

export const PROVIDER = 'servicenow';

export type ServiceNowErrorCode = Extract<
  ErrorCode,
  | 'PROVIDER_AUTH_FAILED'
  | 'PROVIDER_FORBIDDEN'
  | 'PROJECT_NOT_FOUND'
  | 'TICKET_NOT_FOUND'
  | 'PROVIDER_NOT_FOUND'
  | 'PROVIDER_FIELD_REJECTED'
  | 'PROVIDER_BAD_REQUEST'
  | 'PROVIDER_RATE_LIMITED'
  | 'PROVIDER_UNAVAILABLE'
  | 'PROVIDER_UNREACHABLE'
  | 'PROVIDER_BAD_RESPONSE'
>;

export interface ServiceNowErrorDetails {
  status?: number;
  retryable?: boolean;
  retryAfterMs?: number;
  field?: string;
  outcomeUnknown?: boolean;
  /** A 503 from a sleeping developer instance (its HTML page), not a failing one. */
  hibernating?: boolean;
  /** ServiceNow's own `error.message` (scrubbed), when it sent one. */
  upstreamMessage?: string | null;
}

export class ServiceNowError extends CodedError {
  declare readonly code: ServiceNowErrorCode;
  readonly hibernating: boolean;
  readonly upstreamMessage: string | null;

  constructor(code: ServiceNowErrorCode, message: string, details: ServiceNowErrorDetails = {}) {
    super(code, message, {
      provider: PROVIDER,
      upstreamStatus: details.status ?? 0,
      retryable: details.retryable ?? false,
      ...(details.retryAfterMs === undefined ? {} : { retryAfterMs: details.retryAfterMs }),
      ...(details.field === undefined ? {} : { field: details.field }),
      outcomeUnknown: details.outcomeUnknown ?? false,
    });
    this.name = 'ServiceNowError';
    this.hibernating = details.hibernating ?? false;
    this.upstreamMessage = details.upstreamMessage ?? null;
  }
}

/** What the failing call was about, so a 400/403/404 can name the right thing. */
export interface CallSubject {
  /** e.g. "create a record in incident". */
  action: string;
  table?: string;
  sysId?: string;
  /** What a 404 means: the record (TICKET_NOT_FOUND) or something else (PROVIDER_NOT_FOUND). */
  notFound?: 'record' | 'other';
  /** A non-idempotent write: a lost answer leaves its outcome unknown. */
  write?: boolean;
}

const MAX_QUOTED = 300;

/** ServiceNow's own words, shortened and scrubbed. */
export function quote(text: string): string {
  const clean = redactText(text.replace(/\s+/g, ' ').trim());
  return clean.length > MAX_QUOTED ? `${clean.slice(0, MAX_QUOTED)}…` : clean;
}

export interface ServiceNowErrorBody {
  message: string | null;
  detail: string | null;
}

/** Reads `{"error":{"message","detail"},"status":"failure"}`; anything else (HTML, text) gives nulls. */
export function parseErrorBody(body: string): ServiceNowErrorBody {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown; detail?: unknown } };
    const error = parsed && typeof parsed === 'object' ? parsed.error : undefined;
    if (!error || typeof error !== 'object') return { message: null, detail: null };
    return {
      message: typeof error.message === 'string' && error.message !== '' ? error.message : null,
      detail: typeof error.detail === 'string' && error.detail !== '' ? error.detail : null,
    };
  } catch {
    return { message: null, detail: null };
  }
}

/** True for the instance's own 401 (`WWW-Authenticate: BASIC realm="Service-now"`, any case). */
export function isServiceNowChallenge(headers: Record<string, string>): boolean {
  const value = headers['www-authenticate'];
  return value !== undefined && /^\s*(basic|bearer)\b.*realm\s*=\s*"?service-now"?/i.test(value);
}

/** The HTML page a sleeping developer instance answers with (503, or a 200 page on some front ends). */
export function isHibernationPage(response: { status: number; headers: Record<string, string>; body: string }): boolean {
  const html = /text\/html/i.test(response.headers['content-type'] ?? '') || /^\s*<(!doctype|html)/i.test(response.body);
  return html && /hibernat/i.test(response.body);
}

function said(body: ServiceNowErrorBody): string {
  return [body.message, body.detail].filter((part): part is string => part !== null).join(': ');
}

export interface AuthContext {
  auth: 'basic' | 'bearer';
  host: string;
}

function authMessage(context: AuthContext, challenged: boolean): string {
  const from = challenged ? 'ServiceNow' : `The server at ${context.host} (not answering as a ServiceNow instance: check the instance URL)`;
  return context.auth === 'basic'
    ? `${from} rejected the credentials: check the user name and password of the integration user (the user must be active, not locked out, and allowed web-service access)`
    : `${from} rejected the OAuth token: it has expired or was revoked; reconnect the ServiceNow account`;
}

/** Maps a non-2xx answer to a ServiceNowError. 429 is handled by the limiter before this is reached. */
export function errorFromResponse(
  response: { status: number; headers: Record<string, string>; body: string },
  subject: CallSubject,
  context: AuthContext,
  retryAfterMs?: number,
): ServiceNowError {
  const { status } = response;
  const body = parseErrorBody(response.body);
  const text = said(body);
  const upstreamMessage = body.message ? quote(body.message) : null;
  const table = subject.table ? `table '${subject.table}'` : 'the table';

  if (isHibernationPage(response)) {
    return new ServiceNowError(
      'PROVIDER_UNAVAILABLE',
      `The ServiceNow instance ${context.host} is hibernating (a developer instance asleep after inactivity): wake it from the developer portal (developer.servicenow.com), then try again`,
      { status, retryable: true, hibernating: true },
    );
  }
  if (status === 401) return new ServiceNowError('PROVIDER_AUTH_FAILED', authMessage(context, isServiceNowChallenge(response.headers)), { status, upstreamMessage });
  if ((status === 403 || status === 400) && /Data Policy Exception/i.test(text)) {
    return new ServiceNowError('PROVIDER_FIELD_REJECTED', `ServiceNow's data policy refused the request to ${subject.action}: ${quote(text)} (set the fields it names, e.g. close_code and close_notes through the connection's mapping)`, {
      status,
      field: /close|resolution/i.test(text) ? 'close_code' : 'fields',
      upstreamMessage,
    });
  }
  if (status === 403) {
    const scope = /API level ACL|User Not Authorized/i.test(text) && context.auth === 'bearer';
    const hint = scope
      ? 'the OAuth token lacks the scope this call needs (ticket.read to read, ticket.write to write): reconnect and grant it'
      : `ask a ServiceNow admin for a role that may ${subject.write === false ? 'read' : 'write'} ${table} (itil for incident)`;
    return new ServiceNowError('PROVIDER_FORBIDDEN', `ServiceNow refused to ${subject.action} (access control): ${hint}${text ? ` (ServiceNow: ${quote(text)})` : ''}`, {
      status,
      upstreamMessage,
    });
  }
  if (status === 404) {
    if (subject.notFound === 'record') {
      return new ServiceNowError('TICKET_NOT_FOUND', `ServiceNow record ${subject.sysId ?? ''} in ${table} does not exist, or this account cannot see it`.replace('  ', ' '), {
        status,
        upstreamMessage,
      });
    }
    return new ServiceNowError('PROVIDER_NOT_FOUND', `ServiceNow could not find what was needed to ${subject.action}${text ? `: ${quote(text)}` : ''}; check the instance URL`, {
      status,
      upstreamMessage,
    });
  }
  if (status === 429) {
    return new ServiceNowError('PROVIDER_RATE_LIMITED', `ServiceNow's rate-limit rule refuses more calls from this connection; try again${retryAfterMs ? ` in ${Math.ceil(retryAfterMs / 1000)} s` : ' later'}`, {
      status,
      retryable: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      upstreamMessage,
    });
  }
  if (status >= 500) {
    return new ServiceNowError('PROVIDER_UNAVAILABLE', `ServiceNow is unavailable (HTTP ${status}) while trying to ${subject.action}; it will be retried`, {
      status,
      retryable: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      // A 5xx on a write may come after the write was applied.
      outcomeUnknown: subject.write === true && status !== 503,
      upstreamMessage,
    });
  }
  if (status === 400 && body.message && /^Invalid table/i.test(body.message)) {
    return new ServiceNowError(
      'PROJECT_NOT_FOUND',
      `ServiceNow has no ${table} (${quote(body.message)}): check the table name of the connection (incident, sn_vul_vulnerable_item, or a custom u_… table) and that its plugin is active`,
      { status, field: 'table', upstreamMessage },
    );
  }
  if (status >= 400 && status < 500) {
    const field = /mandatory/i.test(text) ? 'fields' : undefined;
    return new ServiceNowError(field ? 'PROVIDER_FIELD_REJECTED' : 'PROVIDER_BAD_REQUEST', `ServiceNow refused the request to ${subject.action}${text ? `: ${quote(text)}` : ` (HTTP ${status})`}`, {
      status,
      ...(field ? { field } : {}),
      upstreamMessage,
    });
  }
  return new ServiceNowError('PROVIDER_BAD_RESPONSE', `ServiceNow gave an unexpected answer (HTTP ${status}) to the request to ${subject.action}`, { status });
}

/** Failures before or instead of an answer: DNS, refused connections, the outbound guard, timeouts. */
export function errorFromOutbound(error: unknown, subject: CallSubject, host: string): ServiceNowError {
  if (error instanceof ServiceNowError) return error;
  if (!(error instanceof OutboundError)) {
    return new ServiceNowError('PROVIDER_UNAVAILABLE', `Calling ServiceNow at ${host} failed unexpectedly while trying to ${subject.action}`, {
      retryable: true,
      outcomeUnknown: subject.write === true,
    });
  }
  switch (error.code) {
    case 'OUTBOUND_URL_REFUSED':
      return new ServiceNowError(
        'PROVIDER_UNREACHABLE',
        `The ServiceNow instance URL was refused by the outbound guard (${error.reason ?? 'not allowed'}): use https://{instance}.service-now.com, or ask the operator to allow-list ${host} in OUTBOUND_ALLOWED_HOSTS`,
      );
    case 'OUTBOUND_DNS_FAILED':
      return new ServiceNowError('PROVIDER_UNREACHABLE', `The ServiceNow instance ${host} could not be found (DNS lookup failed): check the instance URL`, { retryable: true });
    case 'OUTBOUND_NETWORK_ERROR':
      if (error.causeCode && CONNECT_ERROR_CODES.has(error.causeCode)) {
        const what = error.causeCode === 'ECONNREFUSED' ? 'refused the connection' : `could not be connected to (${error.causeCode})`;
        return new ServiceNowError('PROVIDER_UNREACHABLE', `The ServiceNow instance ${host} ${what}: check the instance URL`, { retryable: true });
      }
      return new ServiceNowError('PROVIDER_UNAVAILABLE', `The connection to ServiceNow at ${host} broke while trying to ${subject.action}`, {
        retryable: true,
        outcomeUnknown: subject.write === true,
      });
    case 'OUTBOUND_TIMEOUT':
      return new ServiceNowError('PROVIDER_UNAVAILABLE', `ServiceNow at ${host} did not answer in time while trying to ${subject.action}`, {
        retryable: true,
        outcomeUnknown: subject.write === true,
      });
    case 'OUTBOUND_INVALID_JSON':
    case 'OUTBOUND_RESPONSE_TOO_LARGE':
    case 'OUTBOUND_TOO_MANY_REDIRECTS':
      return new ServiceNowError('PROVIDER_BAD_RESPONSE', `ServiceNow at ${host} gave an answer that is not the Table API (${error.code}): check the instance URL`);
    default:
      return new ServiceNowError('PROVIDER_UNAVAILABLE', `Calling ServiceNow at ${host} failed (${error.code}) while trying to ${subject.action}`, {
        retryable: true,
        outcomeUnknown: subject.write === true,
      });
  }
}
