/**
 * Atlassian 3LO grant state: one-use authorization codes (bound to client, redirect_uri and PKCE
 * challenge, short-lived), access tokens with an expiry, and rotating refresh-token families. Each
 * refresh returns a new refresh token; an already-rotated one still works inside the reuse grace window
 * (Atlassian: 10 minutes), and outside it revokes the whole family, so even the newest refresh token and
 * the family's access tokens stop working. Families also lapse after inactivity (90 days) and at an
 * absolute age (365 days). Time comes from an adjustable clock so tests can jump ahead.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface Clock {
  now(): number;
  advance(ms: number): void;
}

export function createClock(): Clock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms) {
      offset += ms;
    },
  };
}

export interface Lifetimes {
  codeTtlMs: number;
  accessTokenTtlMs: number;
  refreshGraceMs: number;
  refreshInactivityMs: number;
  refreshAbsoluteMs: number;
}

export interface AuthorizationCode {
  code: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  accountId: string;
  cloudIds: string[];
  codeChallenge: string | null;
  expiresAt: number;
  used: boolean;
}

export interface Family {
  id: string;
  clientId: string;
  accountId: string;
  scopes: string[];
  cloudIds: string[];
  createdAt: number;
  lastUsedAt: number;
  revoked: boolean;
  /** Why the family died, for tests and the admin view. */
  revokedReason: string | null;
}

export interface RefreshToken {
  token: string;
  familyId: string;
  issuedAt: number;
  rotatedAt: number | null;
}

export interface AccessToken {
  token: string;
  familyId: string;
  accountId: string;
  scopes: string[];
  cloudIds: string[];
  expiresAt: number;
}

export interface TokenPair {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
  scope: string;
  refresh_token?: string;
}

export type RefreshOutcome = { ok: true; pair: TokenPair } | { ok: false; why: 'unknown' | 'revoked' | 'expired' | 'reused' | 'wrong-client' };

const token = (prefix: string): string => `${prefix}${randomBytes(24).toString('base64url')}`;

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export function createGrantStore(clock: Clock, lifetimes: Lifetimes) {
  const codes = new Map<string, AuthorizationCode>();
  const families = new Map<string, Family>();
  const refreshTokens = new Map<string, RefreshToken>();
  const accessTokens = new Map<string, AccessToken>();

  const issue = (family: Family): TokenPair => {
    const now = clock.now();
    const access: AccessToken = {
      token: token('sim-at-'),
      familyId: family.id,
      accountId: family.accountId,
      scopes: family.scopes,
      cloudIds: family.cloudIds,
      expiresAt: now + lifetimes.accessTokenTtlMs,
    };
    accessTokens.set(access.token, access);
    const pair: TokenPair = {
      access_token: access.token,
      expires_in: Math.round(lifetimes.accessTokenTtlMs / 1000),
      token_type: 'Bearer',
      scope: family.scopes.join(' '),
    };
    // A refresh token only with offline_access.
    if (family.scopes.includes('offline_access')) {
      const refresh: RefreshToken = { token: token('sim-rt-'), familyId: family.id, issuedAt: now, rotatedAt: null };
      refreshTokens.set(refresh.token, refresh);
      pair.refresh_token = refresh.token;
    }
    return pair;
  };

  const revoke = (family: Family, reason: string): void => {
    family.revoked = true;
    family.revokedReason = reason;
  };

  return {
    codes,
    families,
    refreshTokens,
    accessTokens,
    createCode(input: Omit<AuthorizationCode, 'code' | 'expiresAt' | 'used'>): AuthorizationCode {
      const code: AuthorizationCode = { ...input, code: token('sim-code-'), expiresAt: clock.now() + lifetimes.codeTtlMs, used: false };
      codes.set(code.code, code);
      return code;
    },
    /** Starts a new family (one per successful code exchange) and issues its first tokens. */
    startFamily(code: AuthorizationCode): TokenPair {
      const now = clock.now();
      const family: Family = {
        id: token('fam-'),
        clientId: code.clientId,
        accountId: code.accountId,
        scopes: code.scopes,
        cloudIds: code.cloudIds,
        createdAt: now,
        lastUsedAt: now,
        revoked: false,
        revokedReason: null,
      };
      families.set(family.id, family);
      return issue(family);
    },
    refresh(presented: string, clientId: string): RefreshOutcome {
      const record = refreshTokens.get(presented);
      if (!record) return { ok: false, why: 'unknown' };
      const family = families.get(record.familyId);
      if (!family) return { ok: false, why: 'unknown' };
      if (family.clientId !== clientId) return { ok: false, why: 'wrong-client' };
      if (family.revoked) return { ok: false, why: 'revoked' };
      const now = clock.now();
      if (now - family.lastUsedAt > lifetimes.refreshInactivityMs || now - family.createdAt > lifetimes.refreshAbsoluteMs) {
        revoke(family, 'expired');
        return { ok: false, why: 'expired' };
      }
      if (record.rotatedAt !== null && now - record.rotatedAt > lifetimes.refreshGraceMs) {
        // Reuse of a rotated token after the leeway: treat as theft, kill the chain.
        revoke(family, `reuse of a rotated refresh token after ${Math.round((now - record.rotatedAt) / 1000)}s`);
        return { ok: false, why: 'reused' };
      }
      // Rotate: every live refresh token of the family is now "old".
      for (const other of refreshTokens.values()) if (other.familyId === family.id && other.rotatedAt === null) other.rotatedAt = now;
      family.lastUsedAt = now;
      return { ok: true, pair: issue(family) };
    },
    validateAccess(presented: string): { ok: true; token: AccessToken } | { ok: false; reason: 'expired' | 'unknown' | 'revoked' } {
      const record = accessTokens.get(presented);
      if (!record) return { ok: false, reason: 'unknown' };
      if (families.get(record.familyId)?.revoked) return { ok: false, reason: 'revoked' };
      if (clock.now() >= record.expiresAt) return { ok: false, reason: 'expired' };
      return { ok: true, token: record };
    },
    revokeFamily(familyId: string, reason = 'revoked by admin'): void {
      const family = families.get(familyId);
      if (family) revoke(family, reason);
    },
  };
}

export type GrantStore = ReturnType<typeof createGrantStore>;
