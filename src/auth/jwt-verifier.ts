/**
 * Verifies the bearer JWTs that upstream services (seed 000's "Auth Service") and the UI send.
 * The algorithm is pinned by configuration, so `alg: none` and HS/RS confusion fail before any key
 * is used; `exp` is required; `nbf`, `iss` and `aud` are checked when configured, with a small leeway.
 * JWT_MAX_TTL_SECONDS caps the lifetime (exp - iat; `iat` is then required and may not lie in the
 * future). A token without `org` belongs to `demo-org` (one-organization installs, development)
 * unless JWT_REQUIRE_ORG_CLAIM is set, which refuses it.
 */
import type { Config } from '../config/index.ts';
import { createRemoteJWKSet, importSPKI, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';

export interface Principal {
  subject: string;
  orgSlug: string;
  roles: string[];
  claims: JWTPayload;
}

/** The configuration's JWT settings, with the secret resolved (configured or generated in DATA_DIR). */
export type JwtSettings = Config['jwt'];

export class AuthenticationError extends Error {
  readonly code = 'UNAUTHENTICATED';
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

export type JwtVerifier = (token: string) => Promise<Principal>;

export const DEFAULT_ORG = 'demo-org';

/** Messages name the rule that failed, never the token or key. */
function describe(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return (error as { claim?: string }).claim === 'iat' ? 'token was issued longer ago than the accepted maximum lifetime' : 'token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (error as { claim?: string }).claim;
      if (claim === 'nbf') return 'token is not yet valid';
      if (claim === 'iss') return 'token issuer is not accepted';
      if (claim === 'aud') return 'token audience is not accepted';
      return `token claim "${claim ?? 'unknown'}" is missing or invalid`;
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'token signing algorithm is not accepted';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'token signature is invalid';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'token is malformed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'token was signed by an unknown key';
    default:
      return 'token could not be verified';
  }
}

function rolesFrom(payload: JWTPayload): string[] {
  const raw = payload.roles ?? payload.role;
  if (Array.isArray(raw)) return raw.filter((role): role is string => typeof role === 'string');
  if (typeof raw === 'string') return raw.split(/[\s,]+/).filter(Boolean);
  return [];
}

export async function createJwtVerifier(settings: JwtSettings): Promise<JwtVerifier> {
  let key: Uint8Array | Awaited<ReturnType<typeof importSPKI>> | JWTVerifyGetKey;
  if (settings.algorithm.startsWith('HS')) {
    if (!settings.secret) throw new Error('JWT secret is not configured');
    key = new TextEncoder().encode(settings.secret);
  } else if (settings.publicKeyPem) {
    key = await importSPKI(settings.publicKeyPem, settings.algorithm);
  } else if (settings.jwksUrl) {
    key = createRemoteJWKSet(new URL(settings.jwksUrl));
  } else {
    throw new Error(`${settings.algorithm} needs a public key or a JWKS URL`);
  }
  const maxTtl = settings.maxTtlSeconds;
  const options = {
    algorithms: [settings.algorithm],
    requiredClaims: maxTtl ? ['exp', 'iat', 'sub'] : ['exp', 'sub'],
    clockTolerance: settings.clockToleranceSeconds,
    // With a lifetime cap an `iat` in the future (which would stretch exp - iat) or older than the
    // cap is refused by jose; the cap on exp - iat itself is checked below.
    ...(maxTtl ? { maxTokenAge: maxTtl } : {}),
    ...(settings.issuer ? { issuer: settings.issuer } : {}),
    ...(settings.audience ? { audience: settings.audience } : {}),
  };
  return async (token) => {
    let payload: JWTPayload;
    try {
      // jose's overloads differ for a key and a key-resolver function; both verify the same way.
      payload =
        typeof key === 'function' ? (await jwtVerify(token, key, options)).payload : (await jwtVerify(token, key, options)).payload;
    } catch (error) {
      throw new AuthenticationError(describe(error));
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new AuthenticationError('token has no subject');
    if (maxTtl && (payload.exp as number) - (payload.iat as number) > maxTtl) {
      throw new AuthenticationError(`token lifetime (exp - iat) exceeds the accepted maximum of ${maxTtl} seconds`);
    }
    const org = payload.org;
    if (org === undefined && settings.requireOrgClaim) throw new AuthenticationError('token has no "org" claim');
    if (org !== undefined && (typeof org !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(org))) {
      throw new AuthenticationError('token claim "org" is not a valid organization slug');
    }
    return { subject: payload.sub, orgSlug: org ?? DEFAULT_ORG, roles: rolesFrom(payload), claims: payload };
  };
}
