/**
 * `GET /authorize`: for tests the user consents at once (or declines, by admin switch) and the browser is
 * redirected back with `code` and `state`. The admin switch also says which sites the user ticks (one
 * consent may grant several) and which Atlassian account is logged in. Client and redirect_uri problems are shown as an error page
 * (never redirected: the redirect target is not trusted yet); other problems go back to the callback as
 * `error`/`error_description`, as OAuth 2.0 prescribes.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ResolvedOAuthConfig } from './config.ts';
import { isKnownScope } from './config.ts';
import type { GrantStore } from './grants.ts';

export interface AuthorizeState {
  consent: 'approve' | 'deny';
  /** Sites the user ticks on the consent screen; null = every site of `sites`. */
  cloudIds: string[] | null;
  /** Who is logged in at auth.atlassian.com; null = the default `account`. */
  accountId: string | null;
}

function errorPage(reply: FastifyReply, message: string): FastifyReply {
  return reply
    .code(400)
    .type('text/html; charset=utf-8')
    .send(`<!DOCTYPE html><html><head><title>Something went wrong</title></head><body><h1>Something went wrong</h1><p>${message}</p></body></html>`);
}

export function authorizeRoutes(app: FastifyInstance, config: ResolvedOAuthConfig, grants: GrantStore, state: AuthorizeState): void {
  app.get('/authorize', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    if (!q.client_id || q.client_id !== config.clientId) return errorPage(reply, 'Invalid client_id: the app was not found.');
    if (!q.redirect_uri || !config.redirectUris.includes(q.redirect_uri)) {
      return errorPage(reply, "The redirect_uri doesn't match any of the app's registered callback URLs.");
    }
    if (q.audience !== 'api.atlassian.com') return errorPage(reply, "The 'audience' parameter must be api.atlassian.com.");
    const back = (params: Record<string, string>): FastifyReply => {
      const target = new URL(q.redirect_uri as string);
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      if (q.state !== undefined) target.searchParams.set('state', q.state);
      return reply.redirect(target.toString(), 302);
    };
    if (q.response_type !== 'code') return back({ error: 'unsupported_response_type', error_description: 'response_type must be code' });
    const scopes = (q.scope ?? '').split(/\s+/).filter((s) => s !== '');
    if (scopes.length === 0) return back({ error: 'invalid_scope', error_description: 'scope is required' });
    const unknown = scopes.filter((s) => !isKnownScope(s));
    if (unknown.length > 0) return back({ error: 'invalid_scope', error_description: `Unknown scope(s): ${unknown.join(' ')}` });
    if (config.requireState && !q.state) return back({ error: 'invalid_request', error_description: 'state is required' });
    if (q.prompt !== undefined && q.prompt !== 'consent') return back({ error: 'invalid_request', error_description: 'prompt must be consent' });
    if (q.code_challenge !== undefined) {
      if (q.code_challenge_method !== 'S256') return back({ error: 'invalid_request', error_description: 'code_challenge_method must be S256' });
      if (!/^[A-Za-z0-9_-]{43,128}$/.test(q.code_challenge)) return back({ error: 'invalid_request', error_description: 'invalid code_challenge' });
    } else if (q.code_challenge_method !== undefined) {
      return back({ error: 'invalid_request', error_description: 'code_challenge is required with code_challenge_method' });
    }
    if (state.consent === 'deny') return back({ error: 'access_denied', error_description: 'The user denied access.' });
    const code = grants.createCode({
      clientId: config.clientId,
      redirectUri: q.redirect_uri,
      scopes,
      accountId: state.accountId ?? config.account.accountId,
      cloudIds: state.cloudIds ?? config.sites.map((s) => s.cloudId),
      codeChallenge: q.code_challenge ?? null,
    });
    return back({ code: code.code });
  });
}
