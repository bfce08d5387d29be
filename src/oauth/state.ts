/**
 * One-use OAuth `state` values in the shared state store (Redis when REDIS_URL is set), so any process
 * can finish a flow another one started. A state is random (oauth4webapi's generator, 256 bits),
 * bound to the organization and user who started the flow, carries the PKCE verifier, and expires
 * five minutes after it was issued by the injectable clock. Taking it is atomic: of two callbacks
 * with the same state exactly one gets it; the other is told it was already used.
 */
import type { SharedState } from '../shared-state/index.ts';
import { generateCodeVerifier, generateState } from './protocol.ts';

export const STATE_TTL_MS = 5 * 60_000;
/** How long a used or expired state is still recognised as such (so a replay reads "already used", not "unknown"). */
const MEMORY_MS = 60 * 60_000;

export interface OAuthStateRecord {
  provider: string;
  orgId: string;
  /** The subject (user) who started the flow. */
  subject: string;
  /** Whose connections the flow makes: that user's, or the organization's (`null`). */
  ownerSubject: string | null;
  redirectUri: string;
  codeVerifier: string | null;
  issuedAt: number;
  expiresAt: number;
}

export type StateFailure = 'unknown' | 'expired' | 'replayed' | 'other_user';

export class OAuthStateError extends Error {
  readonly reason: StateFailure;
  constructor(reason: StateFailure, message: string) {
    super(message);
    this.name = 'OAuthStateError';
    this.reason = reason;
  }
}

const stateKey = (state: string) => `oauth:state:${state}`;
const usedKey = (state: string) => `oauth:state-used:${state}`;

/** A state value must look like one we issued before it is used as a key. */
function plausible(state: string): boolean {
  return /^[A-Za-z0-9_-]{16,128}$/.test(state);
}

export interface BeginInput {
  provider: string;
  orgId: string;
  subject: string;
  ownerSubject: string | null;
  redirectUri: string;
  pkce: boolean;
}

export function createStateStore(shared: SharedState, now: () => number) {
  return {
    async begin(input: BeginInput): Promise<{ state: string; codeVerifier: string | null; expiresAt: number }> {
      const state = generateState();
      const issuedAt = now();
      const record: OAuthStateRecord = {
        provider: input.provider,
        orgId: input.orgId,
        subject: input.subject,
        ownerSubject: input.ownerSubject,
        redirectUri: input.redirectUri,
        codeVerifier: input.pkce ? generateCodeVerifier() : null,
        issuedAt,
        expiresAt: issuedAt + STATE_TTL_MS,
      };
      // Kept past its expiry (which is checked against the clock on use) so "expired" can be told apart from "unknown".
      await shared.set(stateKey(state), JSON.stringify(record), STATE_TTL_MS + MEMORY_MS);
      return { state, codeVerifier: record.codeVerifier, expiresAt: record.expiresAt };
    },

    /**
     * Takes the state (one use, whatever the outcome) and checks it: issued by us, not used before, not
     * expired, and, when the callback comes with a signed-in caller, started by that same caller.
     */
    async consume(state: string, provider: string, caller: { orgId: string; subject: string } | null): Promise<OAuthStateRecord> {
      if (!plausible(state)) throw new OAuthStateError('unknown', 'the state parameter was not issued by this service');
      const raw = await shared.take(stateKey(state));
      if (raw === null) {
        if ((await shared.get(usedKey(state))) !== null) {
          throw new OAuthStateError('replayed', 'this authorization was already completed (a state is good for one use); start again');
        }
        throw new OAuthStateError('unknown', 'the state parameter was not issued by this service, or is long expired; start again');
      }
      await shared.set(usedKey(state), '1', MEMORY_MS);
      const record = JSON.parse(raw) as OAuthStateRecord;
      if (record.provider !== provider) throw new OAuthStateError('unknown', 'the state parameter belongs to another provider');
      if (now() >= record.expiresAt) {
        throw new OAuthStateError('expired', `the authorization took longer than ${STATE_TTL_MS / 60_000} minutes and expired; start again`);
      }
      if (caller && (caller.orgId !== record.orgId || caller.subject !== record.subject)) {
        throw new OAuthStateError('other_user', 'this authorization was started by another user; the user who started it must finish it');
      }
      return record;
    },
  };
}

export type OAuthStateStore = ReturnType<typeof createStateStore>;
