/**
 * Bearer-token authentication, on by default: every route needs a valid token unless it opts out
 * with `config: { public: true }` (probes, the OpenAPI document and its UI, and later webhook and
 * OAuth callback routes, which authenticate by signature or `state` instead). A forgotten flag
 * therefore fails closed. Routes may add `config: { roles }`. A verified token becomes
 * `request.principal` and `request.tenant` (org and user rows); every service call below takes the
 * tenant, which is how queries stay inside one organization. A request with the web UI's session
 * cookie and no Authorization header is authenticated by its session instead (same principal as a
 * token with the user's sub, org and roles; X-CSRF-Token on state-changing methods).
 */
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Principal } from '../../auth/jwt-verifier.ts';
import { AuthenticationError } from '../../auth/jwt-verifier.ts';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { CSRF_HEADER, SessionStore, sessionIdFromCookieHeader } from '../../services/sessions/index.ts';
import type { Tenant } from '../../services/tenancy.ts';
import { UserService } from '../../services/users.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    tenant: Tenant | null;
  }
  interface FastifyContextConfig {
    /** Opt out of authentication: the route answers callers without a token. */
    public?: boolean;
    /** Any one of these roles is enough. */
    roles?: string[];
  }
}

const challenge = { 'www-authenticate': 'Bearer realm="integration-service"' };

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw new AppError('UNAUTHENTICATED', 'missing bearer token', { headers: challenge });
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  if (!match?.[1]) throw new AppError('UNAUTHENTICATED', 'authorization header must be "Bearer <token>"', { headers: challenge });
  return match[1];
}

/** The authenticated tenant of a (non-public) route. */
export function tenantOf(request: FastifyRequest): Tenant {
  if (!request.tenant) throw new AppError('UNAUTHENTICATED', 'authentication required', { headers: challenge });
  return request.tenant;
}

/**
 * Marks every route registered in `scope` (and its children) public: for plugins whose routes we
 * do not declare ourselves, such as the documentation UI. Call it inside an encapsulated plugin.
 */
export function markRoutesPublic(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, public: true };
    // installAuth's root onRoute hook ran first and attached the check: take it off again.
    if (route.onRequest) route.onRequest = [route.onRequest].flat().filter((hook) => !authHooks.has(hook));
  });
}

/** The authentication hooks installAuth attaches to routes (markRoutesPublic takes them off). */
const authHooks = new WeakSet<object>();

export function installAuth(app: FastifyInstance, context: AppContext): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('tenant', null);
  // Web UI sessions (src/services/sessions): a session cookie without a bearer token stands for one.
  const sessionStore = new SessionStore(context.db.orm, new UserService(context.db.orm, context.tenants), context.config.sessions);
  // onRequest: credentials are checked before the body is read or validated, so an unauthenticated
  // caller can neither make us parse a large body nor probe the schemas. Attached to each non-public
  // route when it is registered (first among its own onRequest hooks), so public routes and unknown
  // paths (the not-found handler keeps answering 404) pay nothing per request.
  const authenticate: onRequestAsyncHookHandler = async function authenticate(request) {
    const config = request.routeOptions.config;
    if (config?.public === true) return;
    let principal: Principal;
    try {
      const sessionId = request.headers.authorization ? null : sessionIdFromCookieHeader(request.headers.cookie);
      principal = sessionId
        ? await sessionStore.principal(sessionId, request.method, request.headers[CSRF_HEADER])
        : await context.verifyJwt(bearerToken(request));
    } catch (error) {
      if (error instanceof AuthenticationError) {
        throw new AppError('UNAUTHENTICATED', error.message, {
          headers: { 'www-authenticate': 'Bearer realm="integration-service", error="invalid_token"' },
        });
      }
      throw error;
    }
    const required = config?.roles;
    if (required && required.length > 0 && !required.some((role) => principal.roles.includes(role))) {
      throw new AppError('FORBIDDEN', `this operation needs one of the roles: ${required.join(', ')}`);
    }
    request.principal = principal;
    request.tenant = await context.tenants.resolve(principal.orgSlug, principal.subject);
    request.log = request.log.child({ org: principal.orgSlug, sub: principal.subject });
  };
  authHooks.add(authenticate);
  app.addHook('onRoute', (route) => {
    if (route.config?.public === true) return;
    route.onRequest = [authenticate, ...[route.onRequest ?? []].flat()];
  });
}
