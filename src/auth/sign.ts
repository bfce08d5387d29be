/** Signs HS* tokens: used by the `token` CLI command for development and by tests. */
import { SignJWT } from 'jose';

export interface TokenRequest {
  subject: string;
  org?: string;
  roles?: string[];
  expiresInSeconds?: number;
  issuer?: string;
  audience?: string;
  extraClaims?: Record<string, unknown>;
}

export async function signHmacToken(secret: string, algorithm: string, request: TokenRequest): Promise<string> {
  const jwt = new SignJWT({ ...request.extraClaims, org: request.org ?? 'demo-org', roles: request.roles ?? [] })
    .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
    .setSubject(request.subject)
    .setIssuedAt()
    .setExpirationTime(`${request.expiresInSeconds ?? 3600}s`);
  if (request.issuer) jwt.setIssuer(request.issuer);
  if (request.audience) jwt.setAudience(request.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
