/**
 * What every REST and GraphQL route shares: body parsing (JSON whatever the content type, "Problems
 * parsing JSON" otherwise), token authentication, X-GitHub-Api-Version checking, both rate limits and
 * the headers GitHub puts on every answer (X-GitHub-Request-Id, X-RateLimit-*, media type, GHES
 * version), repository lookup with GitHub's 404-not-403 rule, write-permission checks and
 * Link-header pagination.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AppRecord, JWT_MESSAGES, verifyAppJwt } from './app-auth.ts';
import { authenticate } from './auth.ts';
import type { SimContext } from './context.ts';
import { GitHubError, notAccessibleByPat, notFound, requiresAuthentication, sendError } from './errors.ts';
import {
  PRIMARY_DOCS,
  type PrimaryState,
  primaryMessage,
  type RateResource,
  rateLimitHeaders,
  SECONDARY_DOCS,
  SECONDARY_MESSAGE,
} from './rate-limits.ts';
import { findRepo, grantCovers, type RepoRecord, type TokenGrant } from './state.ts';

export const SUPPORTED_API_VERSIONS = ['2022-11-28', '2026-03-10'];

export interface Caller {
  grant: TokenGrant | null;
  /** Set when the caller authenticated as the GitHub App itself (a verified app JWT). */
  app?: AppRecord;
  /** Rate-limit key: the token's user (or installation, or app), or the IP for anonymous callers. */
  key: string;
}

/** Route option for endpoints that take only an app JWT (`GET /app`, installation tokens, ...). */
export const APP_JWT_ROUTE = { config: { appJwt: true } };

const isAppJwtRoute = (request: FastifyRequest): boolean => (request.routeOptions.config as { appJwt?: boolean } | undefined)?.appJwt === true;

function callerKey(grant: TokenGrant): string {
  return grant.installation ? `installation:${grant.installation.id}` : `user:${grant.user.id}`;
}

const callers = new WeakMap<FastifyRequest, Caller>();
const primaryStates = new WeakMap<FastifyRequest, PrimaryState>();

export function callerOf(request: FastifyRequest): Caller {
  return callers.get(request) ?? { grant: null, key: `ip:${request.ip}` };
}

/**
 * Counts the request against the limits (call once per request). GraphQL calls it itself after
 * parsing, because only then does it know whether the operation is a content-creating mutation.
 */
export function applyRateLimits(ctx: SimContext, request: FastifyRequest, resource: RateResource, contentCreating: boolean): void {
  const caller = callerOf(request);
  const decision = ctx.limits.check(caller.key, caller.grant !== null, resource, contentCreating);
  primaryStates.set(request, decision.primary);
  if (decision.kind === 'primary-exceeded') {
    throw new GitHubError(ctx.limits.config.primaryStatus, primaryMessage(caller.grant?.user.id ?? null, request.ip, String(request.id)), PRIMARY_DOCS);
  }
  if (decision.kind === 'secondary-exceeded') {
    const headers: Record<string, string> = ctx.limits.config.secondaryRetryAfter ? { 'retry-after': String(decision.retryAfterSeconds) } : {};
    throw new GitHubError(ctx.limits.config.secondaryStatus, SECONDARY_MESSAGE, SECONDARY_DOCS, {}, headers);
  }
}

export function peekRateLimit(ctx: SimContext, request: FastifyRequest, resource: RateResource): PrimaryState {
  const caller = callerOf(request);
  return ctx.limits.peek(caller.key, caller.grant !== null, resource);
}

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** Hooks and parsers for one API scope (REST under /api/v3, or the GraphQL endpoint). */
export function installApiScope(scope: FastifyInstance, ctx: SimContext, resource: RateResource): void {
  scope.removeAllContentTypeParsers();
  // GitHub parses the body as JSON whatever Content-Type says (curl -d sends form encoding).
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    const text = (body as Buffer).toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new GitHubError(400, 'Problems parsing JSON', 'https://docs.github.com/rest'), undefined);
    }
  });

  scope.addHook('preHandler', async (request, reply) => {
    const auth = authenticate(ctx.state, request.headers.authorization);
    if (auth.kind === 'jwt') {
      const verdict = ctx.app ? await verifyAppJwt(ctx.app, auth.jwt, ctx.state.clock.now()) : { ok: false as const, message: JWT_MESSAGES.undecodable };
      if (!verdict.ok || !ctx.app) return sendError(reply, new GitHubError(401, verdict.ok ? JWT_MESSAGES.undecodable : verdict.message, 'https://docs.github.com/rest'));
      // A valid app JWT only opens the app endpoints; elsewhere an installation token is needed.
      if (!isAppJwtRoute(request)) return sendError(reply, new GitHubError(401, 'Bad credentials', 'https://docs.github.com/rest'));
      callers.set(request, { grant: null, app: ctx.app, key: `app:${ctx.app.id}` });
    } else {
      if (auth.kind === 'invalid') return sendError(reply, new GitHubError(401, 'Bad credentials', 'https://docs.github.com/rest'));
      if (isAppJwtRoute(request)) return sendError(reply, new GitHubError(401, JWT_MESSAGES.undecodable, 'https://docs.github.com/rest'));
      const grant = auth.kind === 'ok' ? auth.grant : null;
      callers.set(request, { grant, key: grant ? callerKey(grant) : `ip:${request.ip}` });
    }
    const version = request.headers['x-github-api-version'];
    if (typeof version === 'string' && !SUPPORTED_API_VERSIONS.includes(version)) {
      const list = SUPPORTED_API_VERSIONS.map((v, i) => (i === SUPPORTED_API_VERSIONS.length - 1 ? `"${v}" (most recent)` : `"${v}"`)).join(', ');
      return sendError(
        reply,
        new GitHubError(400, `The version you specified in the "X-GitHub-Api-Version" request header, "${version}", is not a supported version. The following versions are currently supported: ${list}.`, 'https://docs.github.com/rest/overview/api-versions'),
      );
    }
    const path = request.url.split('?')[0] ?? '';
    // GET /rate_limit does not count against the limit; GraphQL counts itself once it knows the operation.
    if (resource === 'graphql' || path.endsWith('/rate_limit')) return;
    try {
      applyRateLimits(ctx, request, resource, WRITE_METHODS.has(request.method));
    } catch (error) {
      if (error instanceof GitHubError) return sendError(reply, error);
      throw error;
    }
  });

  scope.addHook('onSend', async (request, reply, payload) => {
    // A fault-injected rate-limit answer already carries its own headers.
    if (!reply.hasHeader('x-ratelimit-limit')) {
      const primary = primaryStates.get(request) ?? peekRateLimit(ctx, request, resource);
      for (const [name, value] of Object.entries(rateLimitHeaders(primary))) reply.header(name, value);
    }
    reply.header('x-github-media-type', 'github.v3; format=json');
    reply.header('x-github-api-version-selected', typeof request.headers['x-github-api-version'] === 'string' ? request.headers['x-github-api-version'] : '2022-11-28');
    reply.header('x-github-enterprise-version', '3.14.0');
    return payload;
  });

  scope.setErrorHandler((error, _request, reply) => {
    if (error instanceof GitHubError) return sendError(reply, error);
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 413) return sendError(reply, new GitHubError(413, 'Payload too large'));
    if (status && status >= 400 && status < 500) return sendError(reply, new GitHubError(400, 'Problems parsing JSON'));
    reply.log.error(error);
    return sendError(reply, new GitHubError(500, 'Server Error'));
  });
}

/** Repository for a route, or GitHub's 404 (private repositories are invisible to anonymous callers). */
export function repoFor(ctx: SimContext, request: FastifyRequest<{ Params: { owner: string; repo: string } }>): RepoRecord {
  const repo = findRepo(ctx.state, request.params.owner, request.params.repo);
  if (!repo) throw notFound();
  const grant = callerOf(request).grant;
  if (repo.private && !grant) throw notFound();
  // An installation token does not see repositories outside its installation's selection.
  if (!grantCovers(grant, repo)) throw notFound();
  return repo;
}

/**
 * Writes need a token with write permission: anonymous → 401, read-only PAT → 403 (PAT message), an
 * installation token without one of the named permissions (`contents=write`, `issues=write;
 * pull_requests=write`) → 403 "Resource not accessible by integration".
 */
export function requireWrite(request: FastifyRequest, doc: string, permission: string): TokenGrant {
  const grant = callerOf(request).grant;
  if (!grant) throw requiresAuthentication(doc);
  if (grant.installation) {
    const granted = grant.installation.permissions;
    const needs = permission.split(';').map((p) => p.trim().split('=')[0] ?? '');
    if (!needs.some((name) => granted[name] === 'write' || granted[name] === 'admin')) {
      throw new GitHubError(403, 'Resource not accessible by integration', doc, {}, { 'x-accepted-github-permissions': permission });
    }
    return grant;
  }
  if (!grant.write) throw notAccessibleByPat(doc, permission);
  return grant;
}

export function requireUser(request: FastifyRequest): TokenGrant {
  const grant = callerOf(request).grant;
  if (!grant) throw requiresAuthentication('https://docs.github.com/rest/users/users#get-the-authenticated-user');
  return grant;
}

/** `per_page` (default 30, at most 100) and `page`, with GitHub's Link header (first/prev/next/last). */
export function paginate<T>(ctx: SimContext, request: FastifyRequest, reply: FastifyReply, items: T[]): T[] {
  const query = request.query as Record<string, string | undefined>;
  const perPage = Math.min(100, Math.max(1, Number.parseInt(query.per_page ?? '30', 10) || 30));
  const page = Math.max(1, Number.parseInt(query.page ?? '1', 10) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const url = new URL(request.url, ctx.urls.web);
  const link = (p: number, rel: string) => {
    url.searchParams.set('page', String(p));
    if (query.per_page) url.searchParams.set('per_page', String(perPage));
    return `<${ctx.urls.web}${url.pathname}${url.search}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  if (links.length > 0) reply.header('link', links.join(', '));
  return items.slice((page - 1) * perPage, page * perPage);
}
