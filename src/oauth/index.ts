/**
 * OAuth 2.0 machinery shared by every provider that connects over OAuth: providers as data, the
 * protocol steps over oauth4webapi and the outbound client, and one-use `state` in shared state.
 */
export { type AtlassianHosts, atlassianProvider, type OAuthProvider } from './provider.ts';
export {
  authorizationUrl,
  exchangeCode,
  needsReauthorization,
  type OAuthClientCredentials,
  type OAuthFailureKind,
  OAuthProtocolError,
  type ProtocolDeps,
  refreshGrant,
  type TokenSet,
} from './protocol.ts';
export { createStateStore, type OAuthStateRecord, OAuthStateError, type OAuthStateStore, STATE_TTL_MS, type StateFailure } from './state.ts';
