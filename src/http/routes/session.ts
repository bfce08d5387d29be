/**
 * `/api/v1/session`: web UI sign-in (POST), the current session (GET) and sign-out (DELETE). The
 * session lives server-side (src/services/sessions); the browser gets an HttpOnly SameSite=Lax cookie
 * (Secure over HTTPS) and the session's CSRF token in the body, to send as X-CSRF-Token on every
 * state-changing call. Public routes: they read the cookie themselves. ADMIN_USERNAME/ADMIN_PASSWORD
 * create the first admin when this plugin is registered (once per start).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import {
  clearedSessionCookie,
  CSRF_HEADER,
  type LiveSession,
  LoginThrottle,
  sessionCookie,
  sessionIdFromCookieHeader,
  SessionStore,
} from '../../services/sessions/index.ts';
import { UserService } from '../../services/users.ts';
import { sessionBody } from '../../contracts/views.ts';
import { errorResponse } from '../schemas.ts';


const tags = ['session'];

function view(session: LiveSession): z.infer<typeof sessionBody> {
  const { user } = session;
  return {
    user: { id: user.id, username: user.username, roles: user.roles, org: user.orgSlug },
    csrf_token: session.csrfToken,
    expires_at: session.expiresAt.toISOString(),
  };
}

/** HTTPS directly, or through a proxy TRUST_PROXY believes (X-Forwarded-Proto). */
const secure = (request: FastifyRequest) => request.protocol === 'https';

function clearCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', clearedSessionCookie({ secure: secure(request) }));
}

export function sessionRoutes(context: AppContext): FastifyPluginAsyncZod {
  const users = new UserService(context.db.orm, context.tenants);
  const store = new SessionStore(context.db.orm, users, context.config.sessions);
  const throttle = new LoginThrottle(context.sharedState);

  return async (app) => {
    if (context.config.admin) {
      const { created } = await users.ensureAdmin(context.config.admin);
      if (created) context.logger.info({ username: context.config.admin.username, org: context.config.admin.org }, 'created the first admin from ADMIN_USERNAME');
    }

    app.post(
      '/session',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Sign in with a local account (web UI): sets the session cookie, returns the CSRF token',
          body: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(4096) }),
          response: { 200: sessionBody, 400: errorResponse, 401: errorResponse, 429: errorResponse },
        },
      },
      async (request, reply) => {
        const { username, password } = request.body;
        await throttle.check(username, request.ip);
        const user = await users.authenticate(username, password);
        if (!user) {
          await throttle.fail(username, request.ip);
          request.log.info({ username_length: username.length }, 'sign-in refused');
          throw new AppError('INVALID_CREDENTIALS', 'wrong username or password');
        }
        await throttle.succeed(username, request.ip);
        // A cookie the browser still held is replaced (and its session ended): no fixation.
        const previous = sessionIdFromCookieHeader(request.headers.cookie);
        if (previous) await store.destroy(previous);
        const { id, session } = await store.create(user);
        const maxAgeSeconds = Math.max(1, Math.ceil((session.expiresAt.getTime() - Date.now()) / 1000));
        reply.header('set-cookie', sessionCookie(id, { secure: secure(request), maxAgeSeconds }));
        reply.header('cache-control', 'no-store');
        request.log.info({ user: user.username, org: user.orgSlug }, 'signed in');
        return view(session);
      },
    );

    app.get(
      '/session',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'The signed-in user and the session’s CSRF token (401 without a live session)',
          response: { 200: sessionBody, 401: errorResponse },
        },
      },
      async (request, reply) => {
        const id = sessionIdFromCookieHeader(request.headers.cookie);
        const session = id ? await store.lookup(id) : null;
        if (!session) {
          if (id) clearCookie(request, reply);
          throw new AppError('UNAUTHENTICATED', 'not signed in');
        }
        reply.header('cache-control', 'no-store');
        return view(session);
      },
    );

    app.delete(
      '/session',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Sign out: ends the session and clears the cookie (needs X-CSRF-Token while the session lives)',
          response: { 204: z.null(), 403: errorResponse },
        },
      },
      async (request, reply) => {
        const id = sessionIdFromCookieHeader(request.headers.cookie);
        if (id) {
          // CSRF_FAILED for a live session without its token; an ended one just gets its cookie cleared.
          const live = await store.lookup(id);
          if (live) {
            await store.principal(id, 'DELETE', request.headers[CSRF_HEADER]);
            await store.destroy(id);
          }
        }
        clearCookie(request, reply);
        return reply.status(204).send(null);
      },
    );
  };
}
