/**
 * The API-host side of 3LO (api.atlassian.com): `/oauth/token/accessible-resources` and `/me`, both with
 * the bearer access token and the gateway's 401 shape. The Jira Cloud simulator can mount these too.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type OAuthSite, type ResolvedOAuthConfig, scopeProduct } from './config.ts';
import type { AccessToken, GrantStore } from './grants.ts';

function bearer(request: FastifyRequest, reply: FastifyReply, grants: GrantStore): AccessToken | null {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  const verdict = match ? grants.validateAccess(match[1] as string) : null;
  if (!verdict?.ok) {
    void reply.code(401).send({ code: 401, message: 'Unauthorized' });
    return null;
  }
  return verdict.token;
}

export function apiHostRoutes(app: FastifyInstance, config: ResolvedOAuthConfig, grants: GrantStore): void {
  app.get('/oauth/token/accessible-resources', async (request, reply) => {
    const token = bearer(request, reply, grants);
    if (!token) return reply;
    const scopes = token.scopes.filter((s) => s !== 'offline_access');
    const sites = config.sites.filter((s) => token.cloudIds.includes(s.cloudId));
    const entry = (s: OAuthSite, granted: string[]) => ({ id: s.cloudId, url: s.url, name: s.name, scopes: granted, avatarUrl: 'https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png' });
    if (!config.resourcesPerProduct) return sites.map((s) => entry(s, scopes));
    // One entry per site and product, each with that product's scopes (the same cloud id repeated).
    const byProduct = (product: 'jira' | 'confluence') => scopes.filter((s) => scopeProduct(s) === product);
    return sites.flatMap((s) => (['jira', 'confluence'] as const).filter((p) => byProduct(p).length > 0).map((p) => entry(s, byProduct(p))));
  });

  app.get('/me', async (request, reply) => {
    const token = bearer(request, reply, grants);
    if (!token) return reply;
    if (!token.scopes.includes('read:me')) return reply.code(401).send({ code: 401, message: 'Unauthorized; scope does not match' });
    const account = [config.account, ...config.accounts].find((a) => a.accountId === token.accountId) ?? config.account;
    return {
      account_type: 'atlassian',
      account_id: account.accountId,
      email: account.email,
      name: account.name,
      picture: `https://avatar.sim.example/${encodeURIComponent(account.accountId)}`,
      account_status: 'active',
      nickname: account.name,
      zoneinfo: 'UTC',
      locale: 'en-US',
      extended_profile: { job_title: 'Bot', organization: 'Simulator', department: 'Security', location: 'Local' },
      last_updated: '2026-01-01T00:00:00.000Z',
      email_verified: true,
    };
  });
}
