/**
 * Token authentication as GitHub does it for REST, GraphQL and git over HTTP.
 * REST/GraphQL: `Authorization: token X` or `Bearer X` (Basic with the token as password also works);
 * a bare `Authorization: X` is not a credential. Git: Basic with any user name and the token as
 * password (`x-access-token:<token>`), or Bearer. Installation tokens work wherever a PAT does until
 * they expire (then 401, like an unknown token). A GitHub App JWT is recognised only with `Bearer`
 * and is verified by the app routes (app-auth.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import type { SimState, TokenGrant } from './state.ts';

export type AuthResult = { kind: 'anonymous' } | { kind: 'invalid' } | { kind: 'ok'; grant: TokenGrant } | { kind: 'jwt'; jwt: string };

const JWT_SHAPE = /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/;

function lookup(state: SimState, token: string): TokenGrant | undefined {
  // Constant-time comparison so the simulator does not teach callers a timing side channel habit.
  const candidate = Buffer.from(token);
  for (const grant of state.tokens.values()) {
    const known = Buffer.from(grant.token);
    if (known.length === candidate.length && timingSafeEqual(known, candidate)) return grant;
  }
  return undefined;
}

function fromBasic(encoded: string): string | null {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  // `git` sends the token as password; curl -u TOKEN: sends it as user with an empty password.
  return password || user || null;
}

export function authenticate(state: SimState, header: string | undefined): AuthResult {
  if (!header) return { kind: 'anonymous' };
  const match = /^(\S+)\s+(.+)$/.exec(header.trim());
  if (!match) return { kind: 'invalid' };
  const scheme = (match[1] ?? '').toLowerCase();
  const value = (match[2] ?? '').trim();
  let token: string | null = null;
  if (scheme === 'bearer' && JWT_SHAPE.test(value)) return { kind: 'jwt', jwt: value };
  if (scheme === 'token' || scheme === 'bearer') token = value;
  else if (scheme === 'basic') token = fromBasic(value);
  if (!token) return { kind: 'invalid' };
  const grant = lookup(state, token);
  if (!grant) return { kind: 'invalid' };
  if (grant.installation && state.clock.now() >= grant.installation.expiresAt) return { kind: 'invalid' };
  return { kind: 'ok', grant };
}
