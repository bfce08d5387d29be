/**
 * `POST /oauth/token` (JSON or form body): `authorization_code` and `refresh_token` grants with the
 * answers Atlassian gives. A wrong client secret is 401 `access_denied` "Unauthorized" (measured; the
 * same code as a declined consent), refused refresh tokens are 403, codes are one-use.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ResolvedOAuthConfig } from './config.ts';
import { type GrantStore, s256 } from './grants.ts';

function credentials(request: FastifyRequest, body: Record<string, unknown>): { id: string; secret: string } {
  const header = request.headers.authorization ?? '';
  if (header.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  }
  return { id: String(body.client_id ?? ''), secret: String(body.client_secret ?? '') };
}

const oauthError = (reply: FastifyReply, status: number, error: string, description: string): FastifyReply =>
  reply.code(status).header('cache-control', 'no-store').send({ error, error_description: description });

export function tokenRoutes(app: FastifyInstance, config: ResolvedOAuthConfig, grants: GrantStore, now: () => number): void {
  app.post('/oauth/token', async (request, reply) => {
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
    const grantType = body.grant_type;
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      return oauthError(reply, 400, 'unsupported_grant_type', `Unsupported grant type: ${String(grantType ?? '')}`);
    }
    const client = credentials(request, body);
    if (client.id !== config.clientId) return oauthError(reply, 401, 'invalid_client', 'Unknown client');
    if (client.secret !== config.clientSecret) return oauthError(reply, 401, 'access_denied', 'Unauthorized');

    if (grantType === 'authorization_code') {
      const presented = typeof body.code === 'string' ? body.code : '';
      if (presented === '') return oauthError(reply, 400, 'invalid_request', 'code is required');
      const code = grants.codes.get(presented);
      if (!code || code.used || now() >= code.expiresAt || code.clientId !== client.id) {
        return oauthError(reply, 403, 'invalid_grant', 'Invalid authorization code');
      }
      // One use, even if the rest of this exchange fails.
      code.used = true;
      if (body.redirect_uri !== code.redirectUri) return oauthError(reply, 403, 'invalid_grant', 'redirect_uri does not match the authorization request');
      if (code.codeChallenge !== null) {
        const verifier = typeof body.code_verifier === 'string' ? body.code_verifier : '';
        if (verifier === '' || s256(verifier) !== code.codeChallenge) return oauthError(reply, 403, 'invalid_grant', 'Invalid code_verifier');
      }
      return reply.header('cache-control', 'no-store').send(grants.startFamily(code));
    }

    const presented = typeof body.refresh_token === 'string' ? body.refresh_token : '';
    if (presented === '') return oauthError(reply, 400, 'invalid_request', 'refresh_token is required');
    const outcome = grants.refresh(presented, client.id);
    if (!outcome.ok) {
      return config.refreshErrorStyle === 'measured'
        ? oauthError(reply, 403, 'unauthorized_client', 'refresh_token is invalid')
        : oauthError(reply, 403, 'invalid_grant', 'Unknown or invalid refresh token.');
    }
    return reply.header('cache-control', 'no-store').send(outcome.pair);
  });
}
