/**
 * Jira Cloud authentication. Site URL: Basic `email:classic-api-token` only (a password gets the
 * deprecation notice, a scoped token or an OAuth bearer gets 401). Gateway `/ex/jira/{cloudId}`: OAuth
 * 2.0 (3LO) bearer tokens checked through a `validateBearer` hook (the OAuth simulator), with the
 * per-route scope check; Basic with classic or scoped tokens also works there. 401 bodies follow what
 * Jira sends: on the site a plain-text (or JSON/XML, by option) "Client must be authenticated..." and on
 * the gateway `{"code":401,"message":"Unauthorized"}` / `..."Unauthorized; scope does not match"`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ScopeNeed } from '../shared/env.ts';
import type { SeedUser } from '../shared/seed.ts';
import type { JiraStore } from '../shared/store.ts';

export interface BearerGrant {
  accountId: string;
  scopes: string[];
  /** Sites (cloud ids) the grant covers. */
  cloudIds: string[];
}

export type BearerVerdict = { ok: true; grant: BearerGrant } | { ok: false; reason: 'expired' | 'unknown' | 'revoked' };

/** Implemented by the Atlassian OAuth simulator (`oauth.validateAccessToken`). */
export type ValidateBearer = (token: string) => BearerVerdict;

export type UnauthorizedStyle = 'text' | 'json' | 'xml';

const NOT_AUTHENTICATED = 'Client must be authenticated to access this resource.';
const PASSWORD_DEPRECATED =
  'Basic authentication with passwords is deprecated. For more information, see: https://developer.atlassian.com/cloud/confluence/deprecation-notice-basic-auth/';

/** Classic scopes per need; granular `<verb>:<entity>:jira` scopes with the same verb also pass. */
const CLASSIC: Record<ScopeNeed, string> = { read: 'read:jira-work', write: 'write:jira-work', user: 'read:jira-user' };

export interface CloudAuthOptions {
  store: JiraStore;
  cloudId: string;
  validateBearer?: ValidateBearer;
  unauthorizedStyle: UnauthorizedStyle;
}

export type AuthOutcome = { ok: true; user: SeedUser } | { ok: false; send: (reply: FastifyReply) => FastifyReply };

function siteUnauthorized(style: UnauthorizedStyle, message = NOT_AUTHENTICATED): (reply: FastifyReply) => FastifyReply {
  return (reply) => {
    void reply.code(401).header('x-seraph-loginreason', 'AUTHENTICATED_FAILED');
    if (message !== NOT_AUTHENTICATED || style === 'text') return reply.type('text/plain;charset=UTF-8').send(message);
    if (style === 'json') return reply.send({ message, 'status-code': 401 });
    return reply.type('application/xml').send(`<status><status-code>401</status-code><message>${message}</message></status>`);
  };
}

const gatewayUnauthorized =
  (message: string): ((reply: FastifyReply) => FastifyReply) =>
  (reply) =>
    reply.code(401).send({ code: 401, message });

function scopeAllows(scopes: string[], need: ScopeNeed): boolean {
  if (scopes.includes(CLASSIC[need])) return true;
  const verb = need === 'write' ? 'write:' : 'read:';
  return scopes.some((s) => s.startsWith(verb) && s.endsWith(':jira'));
}

export function authenticate(options: CloudAuthOptions, request: FastifyRequest, gateway: boolean, need: ScopeNeed | undefined): AuthOutcome {
  const header = request.headers.authorization ?? '';
  const [scheme = '', credential = ''] = header.split(/\s+/, 2);
  const unauthorized = gateway ? gatewayUnauthorized('Unauthorized') : siteUnauthorized(options.unauthorizedStyle);
  if (gateway) {
    const cloudId = (request.params as { cloudId?: string }).cloudId;
    if (cloudId !== options.cloudId) return { ok: false, send: gatewayUnauthorized('Unauthorized') };
  }

  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const email = decoded.slice(0, colon);
    const secret = decoded.slice(colon + 1);
    const user = options.store.users.find((u) => u.email.toLowerCase() === email.toLowerCase());
    if (!user || colon < 0) return { ok: false, send: unauthorized };
    if (secret === user.apiToken) return { ok: true, user };
    // Scoped API tokens only work through the gateway host.
    if (secret === user.scopedApiToken && gateway) return { ok: true, user };
    if (secret === user.password && !gateway) return { ok: false, send: siteUnauthorized(options.unauthorizedStyle, PASSWORD_DEPRECATED) };
    return { ok: false, send: unauthorized };
  }

  if (scheme.toLowerCase() === 'bearer') {
    // 3LO tokens are only valid on api.atlassian.com; the site domain refuses them.
    if (!gateway || !options.validateBearer) return { ok: false, send: unauthorized };
    const verdict = options.validateBearer(credential);
    if (!verdict.ok) return { ok: false, send: gatewayUnauthorized('Unauthorized') };
    if (!verdict.grant.cloudIds.includes(options.cloudId)) return { ok: false, send: gatewayUnauthorized('Unauthorized') };
    if (need && !scopeAllows(verdict.grant.scopes, need)) return { ok: false, send: gatewayUnauthorized('Unauthorized; scope does not match') };
    const user = options.store.users.find((u) => u.accountId === verdict.grant.accountId);
    if (!user) return { ok: false, send: gatewayUnauthorized('Unauthorized') };
    return { ok: true, user };
  }

  return { ok: false, send: unauthorized };
}
