/**
 * Server-side web UI sessions. The browser holds a random 256-bit id in an HttpOnly cookie; the
 * `sessions` table holds only its SHA-256 (a database read yields no live cookie), the user, the
 * organization and the session's CSRF token. A session ends at sign-out, after SESSION_IDLE_MINUTES
 * without a request, or SESSION_MAX_HOURS after sign-in, whichever comes first.
 *
 * A request authenticated by the cookie becomes the same principal a bearer token with the user's
 * `sub`, `org` and `roles` would; state-changing methods must also carry the session's token in
 * `X-CSRF-Token` (CSRF_FAILED otherwise). Sign-in failures are counted per username and client
 * address in shared state (10 per 15 minutes, then RATE_LIMITED with Retry-After).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq, lt } from 'drizzle-orm';
import type { Principal } from '../../auth/jwt-verifier.ts';
import type { Orm } from '../../db/database.ts';
import { sessions } from '../../db/schema.ts';
import { AppError } from '../../errors/app-error.ts';
import type { SharedState } from '../../shared-state/index.ts';
import type { LocalUser, UserService } from '../users.ts';

export { clearedSessionCookie, SESSION_COOKIE, sessionCookie, sessionIdFromCookieHeader } from './cookie.ts';

export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** last_seen_at is written at most this often per session (not on every request). */
const TOUCH_INTERVAL_MS = 60_000;

export const LOGIN_MAX_FAILURES = 10;
export const LOGIN_WINDOW_MS = 15 * 60_000;

export interface SessionSettings {
  idleMinutes: number;
  maxHours: number;
}

export interface LiveSession {
  user: LocalUser;
  csrfToken: string;
  expiresAt: Date;
}

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class SessionStore {
  readonly #orm: Orm;
  readonly #users: UserService;
  readonly #settings: SessionSettings;
  readonly #now: () => number;

  constructor(orm: Orm, users: UserService, settings: SessionSettings, now: () => number = () => Date.now()) {
    this.#orm = orm;
    this.#users = users;
    this.#settings = settings;
    this.#now = now;
  }

  get idleMs(): number {
    return this.#settings.idleMinutes * 60_000;
  }

  /** Starts a session for `user`; the returned id goes into the cookie and nowhere else. */
  async create(user: LocalUser): Promise<{ id: string; session: LiveSession }> {
    const now = this.#now();
    // Expired rows of anyone are removed as sessions are made: the table stays the size of the live set.
    await this.#orm.delete(sessions).where(lt(sessions.expiresAt, new Date(now)));
    await this.#orm.delete(sessions).where(lt(sessions.lastSeenAt, new Date(now - this.idleMs)));
    const id = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now + this.#settings.maxHours * 3_600_000);
    await this.#orm.insert(sessions).values({
      idHash: hashSessionId(id),
      userId: user.id,
      orgId: user.orgId,
      csrfToken,
      createdAt: new Date(now),
      lastSeenAt: new Date(now),
      expiresAt,
    });
    return { id, session: { user, csrfToken, expiresAt } };
  }

  /** The live session of a cookie id, or null (unknown, signed out, idle too long, past its end). */
  async lookup(id: string): Promise<LiveSession | null> {
    const idHash = hashSessionId(id);
    const [row] = await this.#orm.select().from(sessions).where(eq(sessions.idHash, idHash));
    if (!row) return null;
    const now = this.#now();
    if (row.expiresAt.getTime() <= now || row.lastSeenAt.getTime() + this.idleMs <= now) {
      await this.#orm.delete(sessions).where(eq(sessions.idHash, idHash));
      return null;
    }
    const user = await this.#users.findById(row.userId);
    if (!user) return null;
    if (now - row.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
      await this.#orm.update(sessions).set({ lastSeenAt: new Date(now) }).where(eq(sessions.idHash, idHash));
    }
    return { user, csrfToken: row.csrfToken, expiresAt: row.expiresAt };
  }

  async destroy(id: string): Promise<void> {
    await this.#orm.delete(sessions).where(eq(sessions.idHash, hashSessionId(id)));
  }

  /** Ends every session of a user (password changed). */
  async destroyAllOf(userId: string): Promise<number> {
    const removed = await this.#orm.delete(sessions).where(eq(sessions.userId, userId)).returning({ idHash: sessions.idHash });
    return removed.length;
  }

  /**
   * The principal of a cookie-authenticated request: UNAUTHENTICATED without a live session,
   * CSRF_FAILED for a state-changing method without the session's token.
   */
  async principal(id: string, method: string, csrfHeader: string | string[] | undefined): Promise<Principal> {
    const session = await this.lookup(id);
    if (!session) throw new AppError('UNAUTHENTICATED', 'the session has expired or was signed out; sign in again');
    if (!SAFE_METHODS.has(method.toUpperCase())) {
      const given = typeof csrfHeader === 'string' ? csrfHeader : undefined;
      if (!given || !equalText(given, session.csrfToken)) {
        throw new AppError('CSRF_FAILED', 'state-changing requests with a session cookie need the session’s token in the X-CSRF-Token header');
      }
    }
    return principalOf(session.user);
  }
}

export function principalOf(user: LocalUser): Principal {
  return {
    subject: user.subject,
    orgSlug: user.orgSlug,
    roles: [...user.roles],
    claims: { sub: user.subject, org: user.orgSlug, roles: [...user.roles], auth: 'session' },
  };
}

/** Sign-in failures per username and client address, in a fixed 15-minute window. */
export class LoginThrottle {
  readonly #state: SharedState;
  readonly #now: () => number;

  constructor(state: SharedState, now: () => number = () => Date.now()) {
    this.#state = state;
    this.#now = now;
  }

  #key(username: string, ip: string): string {
    return `login-failures:${createHash('sha256').update(`${username.toLowerCase()}\u0000${ip}`).digest('hex')}`;
  }

  /** RATE_LIMITED (with Retry-After) when this username and address used up their failures. */
  async check(username: string, ip: string): Promise<void> {
    const key = this.#key(username, ip);
    const count = Number((await this.#state.get(`${key}:count`)) ?? 0);
    if (count < LOGIN_MAX_FAILURES) return;
    const started = Number((await this.#state.get(`${key}:start`)) ?? this.#now());
    const retryAfterSeconds = Math.max(1, Math.ceil((started + LOGIN_WINDOW_MS - this.#now()) / 1000));
    throw new AppError('RATE_LIMITED', 'too many failed sign-ins for this username from this address; try again later', {
      headers: { 'retry-after': String(retryAfterSeconds) },
      retryAfterMs: retryAfterSeconds * 1000,
    });
  }

  async fail(username: string, ip: string): Promise<void> {
    const key = this.#key(username, ip);
    await this.#state.setIfAbsent(`${key}:start`, String(this.#now()), LOGIN_WINDOW_MS);
    await this.#state.incr(`${key}:count`, LOGIN_WINDOW_MS);
  }

  async succeed(username: string, ip: string): Promise<void> {
    const key = this.#key(username, ip);
    await this.#state.delete(`${key}:count`);
    await this.#state.delete(`${key}:start`);
  }
}
