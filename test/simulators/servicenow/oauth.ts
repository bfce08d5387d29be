/**
 * ServiceNow's OAuth endpoints (PROVIDER-FACTS §5): `POST /oauth_token.do`, form-encoded only, with the
 * `password`, `refresh_token` and `authorization_code` grants, and `GET /oauth_auth.do` (the authorize page,
 * which consents at once as the configured user and redirects back with `code` and `state`).
 * Password and code grants return an access and a refresh token; the refresh grant returns only an access
 * token (refresh tokens do not rotate). While a client's access token for a user and scope is still valid,
 * every grant answers with that same token and the remaining `expires_in`. Every refusal is 401
 * `{"error_description":"access_denied","error":"server_error"}`, the one answer captures show.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceNowStore } from './store.ts';

export interface OAuthOptions {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  codeTtlSeconds: number;
  /** Scopes the OAuth application registry knows; `useraccount` is ServiceNow's default (full access). */
  scopes: string[];
  /** The user who signs in and consents on the authorize page. */
  consentUser: string;
}

export interface IssuedToken {
  token: string;
  userName: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
}

export interface OAuthState {
  options: OAuthOptions;
  accessTokens: Map<string, IssuedToken>;
  refreshTokens: Map<string, IssuedToken>;
  codes: Map<string, IssuedToken & { redirectUri: string; used: boolean }>;
  consent: 'approve' | 'deny';
  validate(token: string): IssuedToken | null;
  /** Tokens without a grant request, for tests that only need a valid bearer token. */
  issue(userName: string, scopes?: string[]): { access_token: string; refresh_token: string; expires_in: number };
  reset(): void;
}

const opaque = (): string => randomBytes(40).toString('base64url');

export function createOAuthState(store: ServiceNowStore, options: OAuthOptions): OAuthState {
  const state: OAuthState = {
    options,
    accessTokens: new Map(),
    refreshTokens: new Map(),
    codes: new Map(),
    consent: 'approve',
    validate(token) {
      const issued = state.accessTokens.get(token);
      if (!issued || store.clock.now() >= issued.expiresAt) return null;
      return issued;
    },
    issue(userName, scopes = ['useraccount']) {
      const access = currentOrNewAccess(state, store, options.clientId, userName, scopes);
      const refresh = newRefresh(state, store, options.clientId, userName, scopes);
      return { access_token: access.token, refresh_token: refresh.token, expires_in: secondsLeft(store, access) };
    },
    reset() {
      state.accessTokens.clear();
      state.refreshTokens.clear();
      state.codes.clear();
      state.consent = 'approve';
    },
  };
  return state;
}

function secondsLeft(store: ServiceNowStore, token: IssuedToken): number {
  // A fresh token reads 1799 for an 1800 s lifetime, as on the wire.
  return Math.max(0, Math.ceil((token.expiresAt - store.clock.now()) / 1000) - 1);
}

function currentOrNewAccess(state: OAuthState, store: ServiceNowStore, clientId: string, userName: string, scopes: string[]): IssuedToken {
  const key = scopes.slice().sort().join(' ');
  for (const token of state.accessTokens.values()) {
    if (token.clientId === clientId && token.userName === userName && token.scopes.slice().sort().join(' ') === key && store.clock.now() < token.expiresAt) return token;
  }
  const token: IssuedToken = { token: opaque(), userName, clientId, scopes, expiresAt: store.clock.now() + state.options.accessTokenTtlSeconds * 1000 };
  state.accessTokens.set(token.token, token);
  return token;
}

function newRefresh(state: OAuthState, store: ServiceNowStore, clientId: string, userName: string, scopes: string[]): IssuedToken {
  const token: IssuedToken = { token: opaque(), userName, clientId, scopes, expiresAt: store.clock.now() + state.options.refreshTokenTtlSeconds * 1000 };
  state.refreshTokens.set(token.token, token);
  return token;
}

const refuse = (reply: FastifyReply): FastifyReply =>
  reply.code(401).type('application/json;charset=UTF-8').send({ error_description: 'access_denied', error: 'server_error' });

function formBody(request: FastifyRequest): Record<string, string> | null {
  const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' || typeof request.body !== 'string') return null;
  return Object.fromEntries(new URLSearchParams(request.body));
}

function clientOf(request: FastifyRequest, body: Record<string, string>): { id: string; secret: string } {
  const header = request.headers.authorization ?? '';
  if (header.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  }
  return { id: body.client_id ?? '', secret: body.client_secret ?? '' };
}

function scopesOf(raw: string | undefined, known: string[]): string[] | null {
  const scopes = (raw ?? '').split(/[\s,]+/).filter((s) => s !== '');
  if (scopes.length === 0) return ['useraccount'];
  return scopes.every((s) => known.includes(s)) ? scopes : null;
}

function errorPage(reply: FastifyReply, message: string): FastifyReply {
  return reply
    .code(400)
    .type('text/html;charset=UTF-8')
    .send(`<!DOCTYPE html><html><head><title>OAuth error</title></head><body><h1>OAuth error</h1><p>${message}</p></body></html>`);
}

export function oauthRoutes(app: FastifyInstance, store: ServiceNowStore, state: OAuthState): void {
  const { options } = state;
  app.post('/oauth_token.do', async (request, reply) => {
    // The endpoint reads form parameters only: a JSON body carries no credentials it can see.
    const body = formBody(request);
    if (!body) return refuse(reply);
    const client = clientOf(request, body);
    if (client.id !== options.clientId || client.secret !== options.clientSecret) return refuse(reply);
    const now = store.clock.now();
    const answer = (access: IssuedToken, refresh: IssuedToken | null): FastifyReply =>
      reply
        .header('cache-control', 'no-store')
        .type('application/json;charset=UTF-8')
        .send({
          access_token: access.token,
          ...(refresh ? { refresh_token: refresh.token } : {}),
          scope: access.scopes.join(' '),
          token_type: 'Bearer',
          expires_in: secondsLeft(store, access),
        });

    switch (body.grant_type) {
      case 'password': {
        const account = store.accounts.get(body.username ?? '');
        if (!account || account.password !== (body.password ?? '')) return refuse(reply);
        const scopes = scopesOf(body.scope, options.scopes);
        if (!scopes) return refuse(reply);
        return answer(currentOrNewAccess(state, store, client.id, account.userName, scopes), newRefresh(state, store, client.id, account.userName, scopes));
      }
      case 'refresh_token': {
        const refresh = state.refreshTokens.get(body.refresh_token ?? '');
        if (!refresh || refresh.clientId !== client.id || now >= refresh.expiresAt) return refuse(reply);
        return answer(currentOrNewAccess(state, store, client.id, refresh.userName, refresh.scopes), null);
      }
      case 'authorization_code': {
        const code = state.codes.get(body.code ?? '');
        if (!code || code.used || now >= code.expiresAt || code.clientId !== client.id) return refuse(reply);
        code.used = true;
        if ((body.redirect_uri ?? code.redirectUri) !== code.redirectUri) return refuse(reply);
        return answer(currentOrNewAccess(state, store, client.id, code.userName, code.scopes), newRefresh(state, store, client.id, code.userName, code.scopes));
      }
      default:
        return refuse(reply);
    }
  });

  app.get('/oauth_auth.do', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    if (q.client_id !== options.clientId) return errorPage(reply, 'Invalid client_id.');
    const redirectUri = q.redirect_uri ?? options.redirectUris[0];
    if (!redirectUri || !options.redirectUris.includes(redirectUri)) return errorPage(reply, 'Invalid redirect_uri: it does not match the application registry.');
    const back = (params: Record<string, string>): FastifyReply => {
      const target = new URL(redirectUri);
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      if (q.state !== undefined) target.searchParams.set('state', q.state);
      return reply.redirect(target.toString(), 302);
    };
    if (q.response_type !== 'code') return back({ error: 'unsupported_response_type' });
    const scopes = scopesOf(q.scope, options.scopes);
    if (!scopes) return back({ error: 'invalid_scope' });
    if (state.consent === 'deny') return back({ error: 'access_denied' });
    const code = opaque();
    state.codes.set(code, {
      token: code,
      userName: options.consentUser,
      clientId: options.clientId,
      scopes,
      expiresAt: store.clock.now() + options.codeTtlSeconds * 1000,
      redirectUri,
      used: false,
    });
    return back({ code });
  });
}
