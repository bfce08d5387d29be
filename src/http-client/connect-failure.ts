/**
 * Which low-level network failures happen before anything reaches the server (DNS, refused or
 * unreachable connections, connect timeouts): such a request is safe to resend even when it writes.
 * One list, used by the outbound client's retry policy and by the providers' error mapping.
 */
import { OUTBOUND_DNS_FAILED, OUTBOUND_NETWORK_ERROR, type OutboundError } from './errors.ts';

export const CONNECT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Nothing reached the server. */
export function isConnectFailure(error: OutboundError): boolean {
  return error.code === OUTBOUND_DNS_FAILED || (error.code === OUTBOUND_NETWORK_ERROR && CONNECT_ERROR_CODES.has(error.causeCode ?? ''));
}
