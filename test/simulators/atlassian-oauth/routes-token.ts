/**
 * `POST /oauth/token` (JSON or form body): `authorization_code` and `refresh_token` grants with the
 * answers Atlassian gives. A wrong client secret is 401 `access_denied` "Unauthorized" (measured; the
 * same code as a declined consent), refused refresh tokens are 403, codes are one-use.
 *
 * Test controls: every call is counted (by grant type) and recorded with its status; a latency can be
 * set; one-shot faults make the next call fail before anything happens, wait, or issue the tokens
 * (rotating the refresh token) and then drop or delay the connection, as a crash or a lost answer would.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sleep } from '../common/faults.ts';
import type { ResolvedOAuthConfig } from './config.ts';
import { type GrantStore, s256 } from './grants.ts';

export type TokenGrantType = 'authorization_code' | 'refresh_token';

export type TokenFault = { grantType?: TokenGrantType } & (
  | { kind: 'error'; status: number; body?: unknown }
  | { kind: 'delay'; ms: number }
  | { kind: 'delay-after-issue'; ms: number }
  | { kind: 'drop-after-issue' }
);

export interface TokenCallRecord {
  grantType: string;
  /** HTTP status answered; null when the connection was dropped. */
  status: number | null;
  at: number;
}

export interface TokenEndpointControl {
  /** Every call, refused ones included. */
  readonly calls: { total: number; authorization_code: number; refresh_token: number; other: number };
  readonly history: TokenCallRecord[];
  latencyMs: number;
  /** One-shot faults, consumed in order by the next call of the matching grant type. */
  readonly pending: TokenFault[];
}

export function createTokenControl(): TokenEndpointControl {
  return { calls: { total: 0, authorization_code: 0, refresh_token: 0, other: 0 }, history: [], latencyMs: 0, pending: [] };
}

function takeFault(control: TokenEndpointControl, grantType: string): TokenFault | null {
  const index = control.pending.findIndex((f) => f.grantType === undefined || f.grantType === grantType);
  if (index < 0) return null;
  return control.pending.splice(index, 1)[0] ?? null;
}

function credentials(request: FastifyRequest, body: Record<string, unknown>): { id: string; secret: string } {
  const header = request.headers.authorization ?? '';
  if (header.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  }
  return { id: String(body.client_id ?? ''), secret: String(body.client_secret ?? '') };
}

interface Answer {
  status: number;
  body: unknown;
}

const oauthError = (status: number, error: string, description: string): Answer => ({ status, body: { error, error_description: description } });

export function tokenRoutes(app: FastifyInstance, config: ResolvedOAuthConfig, grants: GrantStore, now: () => number, control: TokenEndpointControl): void {
  app.post('/oauth/token', async (request, reply) => {
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
    const grantType = typeof body.grant_type === 'string' ? body.grant_type : '';
    control.calls.total += 1;
    if (grantType === 'authorization_code' || grantType === 'refresh_token') control.calls[grantType] += 1;
    else control.calls.other += 1;
    const record: TokenCallRecord = { grantType, status: null, at: now() };
    control.history.push(record);
    await sleep(control.latencyMs);
    const fault = takeFault(control, grantType);
    if (fault?.kind === 'delay') await sleep(fault.ms);
    if (fault?.kind === 'error') {
      record.status = fault.status;
      return reply.code(fault.status).header('cache-control', 'no-store').send(fault.body ?? { error: 'server_error', error_description: 'Internal Server Error' });
    }
    const answer = exchange(request, body, grantType);
    record.status = answer.status;
    if (fault?.kind === 'drop-after-issue') {
      // The tokens were issued (and the refresh token rotated); the client never hears about it.
      record.status = null;
      request.raw.socket.destroy();
      reply.hijack();
      return reply;
    }
    if (fault?.kind === 'delay-after-issue') await sleep(fault.ms);
    return reply.code(answer.status).header('cache-control', 'no-store').send(answer.body);
  });

  function exchange(request: FastifyRequest, body: Record<string, unknown>, grantType: string): Answer {
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      return oauthError(400, 'unsupported_grant_type', `Unsupported grant type: ${grantType}`);
    }
    const client = credentials(request, body);
    if (client.id !== config.clientId) return oauthError(401, 'invalid_client', 'Unknown client');
    if (client.secret !== config.clientSecret) return oauthError(401, 'access_denied', 'Unauthorized');

    if (grantType === 'authorization_code') {
      const presented = typeof body.code === 'string' ? body.code : '';
      if (presented === '') return oauthError(400, 'invalid_request', 'code is required');
      const code = grants.codes.get(presented);
      if (!code || code.used || now() >= code.expiresAt || code.clientId !== client.id) {
        return oauthError(403, 'invalid_grant', 'Invalid authorization code');
      }
      // One use, even if the rest of this exchange fails.
      code.used = true;
      if (body.redirect_uri !== code.redirectUri) return oauthError(403, 'invalid_grant', 'redirect_uri does not match the authorization request');
      if (code.codeChallenge !== null) {
        const verifier = typeof body.code_verifier === 'string' ? body.code_verifier : '';
        if (verifier === '' || s256(verifier) !== code.codeChallenge) return oauthError(403, 'invalid_grant', 'Invalid code_verifier');
      }
      return { status: 200, body: grants.startFamily(code) };
    }

    const presented = typeof body.refresh_token === 'string' ? body.refresh_token : '';
    if (presented === '') return oauthError(400, 'invalid_request', 'refresh_token is required');
    const outcome = grants.refresh(presented, client.id);
    if (!outcome.ok) {
      return config.refreshErrorStyle === 'measured'
        ? oauthError(403, 'unauthorized_client', 'refresh_token is invalid')
        : oauthError(403, 'invalid_grant', 'Unknown or invalid refresh token.');
    }
    return { status: 200, body: outcome.pair };
  }
}
