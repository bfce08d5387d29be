/**
 * Coded errors for outbound HTTP. Codes are stable strings for the service's error catalogue;
 * messages name the host at most, never a URL's credentials, query string, headers or body.
 */
export const OUTBOUND_URL_REFUSED = 'OUTBOUND_URL_REFUSED';
export const OUTBOUND_DNS_FAILED = 'OUTBOUND_DNS_FAILED';
export const OUTBOUND_NETWORK_ERROR = 'OUTBOUND_NETWORK_ERROR';
export const OUTBOUND_TIMEOUT = 'OUTBOUND_TIMEOUT';
export const OUTBOUND_ABORTED = 'OUTBOUND_ABORTED';
export const OUTBOUND_TOO_MANY_REDIRECTS = 'OUTBOUND_TOO_MANY_REDIRECTS';
export const OUTBOUND_RESPONSE_TOO_LARGE = 'OUTBOUND_RESPONSE_TOO_LARGE';
export const OUTBOUND_INVALID_JSON = 'OUTBOUND_INVALID_JSON';
export const OUTBOUND_INVALID_REQUEST = 'OUTBOUND_INVALID_REQUEST';

export type OutboundErrorCode =
  | typeof OUTBOUND_URL_REFUSED
  | typeof OUTBOUND_DNS_FAILED
  | typeof OUTBOUND_NETWORK_ERROR
  | typeof OUTBOUND_TIMEOUT
  | typeof OUTBOUND_ABORTED
  | typeof OUTBOUND_TOO_MANY_REDIRECTS
  | typeof OUTBOUND_RESPONSE_TOO_LARGE
  | typeof OUTBOUND_INVALID_JSON
  | typeof OUTBOUND_INVALID_REQUEST;

export class OutboundError extends Error {
  readonly code: OutboundErrorCode;
  /** For OUTBOUND_URL_REFUSED: why, e.g. "https is required" or "address 10.0.0.5 is private". */
  readonly reason: string | undefined;
  /** The low-level error code behind a network failure (ECONNREFUSED, UND_ERR_SOCKET, …). */
  readonly causeCode: string | undefined;
  /** How many attempts were made before giving up, when a request was sent at all. */
  readonly attempts: number | undefined;

  constructor(
    code: OutboundErrorCode,
    message: string,
    details: { reason?: string; causeCode?: string; attempts?: number } = {},
  ) {
    super(message);
    this.name = 'OutboundError';
    this.code = code;
    this.reason = details.reason;
    this.causeCode = details.causeCode;
    this.attempts = details.attempts;
  }
}

export function refused(reason: string): OutboundError {
  return new OutboundError(OUTBOUND_URL_REFUSED, `outbound URL refused: ${reason}`, { reason });
}
