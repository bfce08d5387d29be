/**
 * Confluence Cloud authentication, the same rules as the Jira Cloud simulator. Site URL
 * (`/wiki/api/v2/...`): Basic `email:classic-api-token` only; a bearer token or a scoped API token is
 * refused. Gateway (`/ex/confluence/{cloudId}/wiki/api/v2/...`): OAuth 2.0 (3LO) bearer tokens checked
 * through `validateBearer` (the OAuth simulator) plus the endpoint's scope, or Basic with a classic or
 * scoped token. Gateway refusals are `{"code":401,"message":"Unauthorized"}` and, for a token without
 * the endpoint's scope, `{"code":401,"message":"Unauthorized; scope does not match"}`.
 *
 * Scopes: the v2 API is documented with granular scopes only (`read:space:confluence`,
 * `read:page:confluence`, `write:page:confluence`, `delete:page:confluence`; the OpenAPI document's
 * `x-atlassian-oauth2-scopes`), and a token holding only classic Confluence scopes is reported to get the
 * scope-mismatch 401 on v2 endpoints. `acceptClassicScopes: true` relaxes that, for comparison.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConfluenceStore } from './store.ts';

export type ScopeNeed = 'read-space' | 'read-page' | 'write-page' | 'delete-page';

export const GRANULAR: Record<ScopeNeed, string> = {
  'read-space': 'read:space:confluence',
  'read-page': 'read:page:confluence',
  'write-page': 'write:page:confluence',
  'delete-page': 'delete:page:confluence',
};

const CLASSIC: Record<ScopeNeed, string[]> = {
  'read-space': ['read:confluence-space.summary'],
  'read-page': ['read:confluence-content.all', 'read:confluence-content.summary'],
  'write-page': ['write:confluence-content'],
  'delete-page': ['write:confluence-content'],
};

export type BearerVerdict = { ok: true; grant: { accountId: string; scopes: string[]; cloudIds: string[] } } | { ok: false; reason: 'expired' | 'unknown' | 'revoked' };
export type ValidateBearer = (token: string) => BearerVerdict;

export interface ConfluenceAuthOptions {
  store: ConfluenceStore;
  cloudId: string;
  validateBearer?: ValidateBearer;
  acceptClassicScopes: boolean;
}

export type AuthOutcome = { ok: true; accountId: string } | { ok: false; send: (reply: FastifyReply) => FastifyReply };

const gatewayUnauthorized =
  (message: string) =>
  (reply: FastifyReply): FastifyReply =>
    reply.code(401).send({ code: 401, message });

/** The site's 401 (wording not captured from Confluence: simulator wording in the v2 error envelope). */
const siteUnauthorized = (reply: FastifyReply): FastifyReply =>
  reply.code(401).header('www-authenticate', 'Basic realm="Confluence"').send({ errors: [{ status: 401, code: 'UNAUTHORIZED', title: 'Unauthorized', detail: null }] });

export function authenticate(options: ConfluenceAuthOptions, request: FastifyRequest, gateway: boolean, need: ScopeNeed): AuthOutcome {
  const header = request.headers.authorization ?? '';
  const [scheme = '', credential = ''] = header.split(/\s+/, 2);
  const unauthorized = gateway ? gatewayUnauthorized('Unauthorized') : siteUnauthorized;
  if (gateway && (request.params as { cloudId?: string }).cloudId !== options.cloudId) return { ok: false, send: gatewayUnauthorized('Unauthorized') };

  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, send: unauthorized };
    const email = decoded.slice(0, colon).toLowerCase();
    const secret = decoded.slice(colon + 1);
    const user = options.store.users.find((u) => u.email.toLowerCase() === email);
    if (!user) return { ok: false, send: unauthorized };
    if (secret === user.apiToken || (gateway && secret === user.scopedApiToken)) return { ok: true, accountId: user.accountId };
    return { ok: false, send: unauthorized };
  }

  if (scheme.toLowerCase() === 'bearer') {
    // 3LO tokens only work through api.atlassian.com.
    if (!gateway || !options.validateBearer) return { ok: false, send: unauthorized };
    const verdict = options.validateBearer(credential);
    if (!verdict.ok || !verdict.grant.cloudIds.includes(options.cloudId)) return { ok: false, send: gatewayUnauthorized('Unauthorized') };
    const scopes = verdict.grant.scopes;
    const allowed = scopes.includes(GRANULAR[need]) || (options.acceptClassicScopes && CLASSIC[need].some((s) => scopes.includes(s)));
    if (!allowed) return { ok: false, send: gatewayUnauthorized('Unauthorized; scope does not match') };
    return { ok: true, accountId: verdict.grant.accountId };
  }

  return { ok: false, send: unauthorized };
}
