/**
 * Outbound HTTP for every external API call: the guarded, logged, retried client and its pieces.
 * Settings (allowed hosts, timeouts, retries) come in as arguments; nothing here reads the environment.
 */
export {
  createOutboundClient,
  type OutboundCallEvent,
  type OutboundClient,
  type OutboundClientOptions,
  type OutboundRequest,
  type OutboundResponse,
} from './client.ts';
export {
  OUTBOUND_ABORTED,
  OUTBOUND_DNS_FAILED,
  OUTBOUND_INVALID_JSON,
  OUTBOUND_INVALID_REQUEST,
  OUTBOUND_NETWORK_ERROR,
  OUTBOUND_RESPONSE_TOO_LARGE,
  OUTBOUND_TIMEOUT,
  OUTBOUND_TOO_MANY_REDIRECTS,
  OUTBOUND_URL_REFUSED,
  OutboundError,
  type OutboundErrorCode,
} from './errors.ts';
export { bindCredential, boundHosts, checkCredentialHost, credentialsInAuthorization, hostOf } from './credential-binding.ts';
export { CONNECT_ERROR_CODES, isConnectFailure } from './connect-failure.ts';
export { refusedAddressReason } from './ip-ranges.ts';
export {
  type CheckedTarget,
  createOutboundGuard,
  type HostLookup,
  type OutboundGuard,
  type OutboundGuardOptions,
  type ResolvedAddress,
} from './outbound-guard.ts';
export {
  type BackoffOptions,
  DEFAULT_BACKOFF,
  DEFAULT_RETRY_ON,
  decideRetry,
  isRateLimited,
  parseDelayHeader,
  serverDelayMs,
} from './retry-policy.ts';
export {
  createLimiterRegistry,
  createPauseGate,
  type LimiterRegistry,
  type PauseGate,
  RateLimitWaitTooLong,
  type Semaphore,
  sendThrough429,
} from './rate-limit.ts';
