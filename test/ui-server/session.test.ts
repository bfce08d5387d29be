/**
 * Web UI sign-in through real HTTP: sessions, cookie flags, CSRF, roles of a session, expiry on a
 * controlled clock, throttling, and what the database holds (hashes, never the cookie).
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyPassword } from '../../src/services/users.ts';
import { vulnerability } from '../findings/helpers.ts';
import { Browser, type HttpService, PASSWORD, startHttpService } from './helpers.ts';

const errorCode = (body: unknown) => (body as { error?: { code?: string } }).error?.code;

describe('web UI sessions', () => {
  let service: HttpService;
  beforeAll(async () => {
    service = await startHttpService({ ADMIN_USERNAME: 'first-admin', ADMIN_PASSWORD: 'first admin password 1', ADMIN_ORG: 'acme' });
    await service.users.create({ username: 'alice', password: PASSWORD, roles: ['admin'], orgSlug: 'acme' });
    await service.users.create({ username: 'bob', password: PASSWORD, roles: ['member'], orgSlug: 'acme' });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('signs in, answers who is signed in, and signs out', async () => {
    const browser = new Browser(service.base);
    expect((await browser.request('GET', '/api/v1/session')).status).toBe(401);

    const signedIn = await browser.signIn('alice', PASSWORD);
    expect(signedIn.status).toBe(200);
    const body = signedIn.body as { user: { id: string; username: string; roles: string[]; org: string }; csrf_token: string };
    expect(body.user).toMatchObject({ username: 'alice', roles: ['admin'], org: 'acme' });
    expect(body.user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(browser.cookie).toMatch(/^is_session=[A-Za-z0-9_-]{43}$/);

    const me = await browser.request('GET', '/api/v1/session');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: body.user, csrf_token: body.csrf_token });

    // The cookie authenticates the API like a token for acme's alice.
    const findings = await browser.request('GET', '/api/v1/findings');
    expect(findings.status).toBe(200);

    const out = await browser.request('DELETE', '/api/v1/session', { csrf: true });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^is_session=; Max-Age=0;/);
    expect(browser.cookie).toBeNull();

    // The old cookie is dead even when replayed.
    const replay = new Browser(service.base);
    replay.cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
    expect((await replay.request('GET', '/api/v1/session')).status).toBe(401);
    const refused = await replay.request('GET', '/api/v1/findings');
    expect(refused.status).toBe(401);
    expect(errorCode(refused.body)).toBe('UNAUTHENTICATED');
  });

  it('refuses a wrong password and an unknown user with the same answer', async () => {
    const wrong = await new Browser(service.base, '198.51.100.1').signIn('alice', 'not the password at all');
    const unknown = await new Browser(service.base, '198.51.100.1').signIn('nobody-here', 'not the password at all');
    for (const answer of [wrong, unknown]) {
      expect(answer.status).toBe(401);
      expect(answer.headers.get('set-cookie')).toBeNull();
    }
    expect(wrong.body).toEqual(unknown.body);
    expect(errorCode(wrong.body)).toBe('INVALID_CREDENTIALS');
  });

  it('sets HttpOnly, SameSite=Lax, Path=/ and no Secure over plain HTTP', async () => {
    const answer = await new Browser(service.base).signIn('alice', PASSWORD);
    const cookie = answer.headers.get('set-cookie')!;
    const attributes = cookie.split(';').map((part) => part.trim());
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/']));
    expect(attributes.find((part) => part.startsWith('Max-Age='))).toBe(`Max-Age=${168 * 3600}`);
    expect(attributes).not.toContain('Secure');
  });

  it('adds Secure when the request came over HTTPS (through a trusted proxy)', async () => {
    const answer = await new Browser(service.base).request('POST', '/api/v1/session', {
      body: { username: 'alice', password: PASSWORD },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('set-cookie')!.split(';').map((part) => part.trim())).toContain('Secure');
  });

  it('needs the session’s X-CSRF-Token on state-changing calls, and bearer tokens need none', async () => {
    const browser = new Browser(service.base);
    await browser.signIn('alice', PASSWORD);
    const payload = { findings: [vulnerability(1)] };

    const without = await browser.request('POST', '/api/v1/findings', { body: payload });
    expect(without.status).toBe(403);
    expect(errorCode(without.body)).toBe('CSRF_FAILED');
    const wrong = await browser.request('POST', '/api/v1/findings', { body: payload, headers: { 'x-csrf-token': 'x'.repeat(43) } });
    expect(wrong.status).toBe(403);
    expect(errorCode(wrong.body)).toBe('CSRF_FAILED');
    // Another session's token is no good either.
    const other = new Browser(service.base);
    await other.signIn('alice', PASSWORD);
    const crossed = await browser.request('POST', '/api/v1/findings', { body: payload, headers: { 'x-csrf-token': other.csrf! } });
    expect(crossed.status).toBe(403);
    // Sign-out without the token is refused too, and the session lives on.
    expect((await browser.request('DELETE', '/api/v1/session')).status).toBe(403);
    expect((await browser.request('GET', '/api/v1/session')).status).toBe(200);

    const accepted = await browser.request('POST', '/api/v1/findings', { body: payload, csrf: true });
    expect(accepted.status).toBe(200);
    expect((accepted.body as { findings: unknown[] }).findings).toHaveLength(1);

    // Safe methods need no token.
    expect((await browser.request('GET', '/api/v1/findings')).status).toBe(200);

    // A bearer token needs no CSRF token, and wins over a cookie sent alongside it.
    const token = await service.token({ org: 'acme', subject: 'svc', roles: ['service'] });
    const bearer = await browser.request('POST', '/api/v1/findings', { body: { findings: [vulnerability(2)] }, headers: { authorization: `Bearer ${token}` } });
    expect(bearer.status).toBe(200);
  });

  it('gives a member session the member role: it sees findings but cannot add an organization connection', async () => {
    const member = new Browser(service.base);
    const answer = await member.signIn('bob', PASSWORD);
    expect((answer.body as { user: { roles: string[] } }).user.roles).toEqual(['member']);
    expect((await member.request('GET', '/api/v1/findings')).status).toBe(200);
    const connection = { provider: 'jira-server', name: 'Jira', site_url: 'http://127.0.0.1:9', pat: 'pat-0123456789' };
    const refused = await member.request('POST', '/api/v1/connections', { body: connection, csrf: true });
    expect(refused.status).toBe(403);
    expect(errorCode(refused.body)).toBe('FORBIDDEN');
    const admin = new Browser(service.base);
    await admin.signIn('alice', PASSWORD);
    const adminAnswer = await admin.request('POST', '/api/v1/connections', { body: connection, csrf: true });
    expect(adminAnswer.status, adminAnswer.text).toBe(201);
  });

  it('keeps only the SHA-256 of the cookie in the sessions table', async () => {
    const browser = new Browser(service.base);
    await browser.signIn('alice', PASSWORD);
    const value = browser.cookie!.split('=')[1]!;
    const rows = await service.context.db.query<Record<string, unknown>>('select * from sessions');
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(value);
    expect(rows.map((row) => row.id_hash)).toContain(createHash('sha256').update(value).digest('hex'));
  });

  it('stores scrypt hashes with their salt and parameters, never the password', async () => {
    const rows = await service.context.db.query<{ username: string; password_hash: string; roles: string[] }>(
      "select username, password_hash, roles from users where username in ('alice', 'bob', 'first-admin') order by username",
    );
    expect(rows.map((row) => [row.username, row.roles])).toEqual([
      ['alice', ['admin']],
      ['bob', ['member']],
      ['first-admin', ['admin']],
    ]);
    for (const row of rows) {
      expect(row.password_hash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
      expect(row.password_hash).not.toContain(PASSWORD);
    }
    // Same password, different salts.
    expect(rows[0]!.password_hash).not.toBe(rows[1]!.password_hash);
    expect(await verifyPassword(PASSWORD, rows[0]!.password_hash)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}!`, rows[0]!.password_hash)).toBe(false);
  });

  it('creates the first admin from ADMIN_USERNAME/ADMIN_PASSWORD without logging the password', async () => {
    const answer = await new Browser(service.base).signIn('first-admin', 'first admin password 1');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ user: { username: 'first-admin', roles: ['admin'], org: 'acme' } });
    const logs = service.logs.join('');
    expect(logs).toContain('created the first admin from ADMIN_USERNAME');
    expect(logs).not.toContain('first admin password 1');
    expect(logs).not.toContain(PASSWORD);
  });

  it('throttles 10 failures per username and address in 15 minutes with 429 and Retry-After', async () => {
    await service.users.create({ username: 'carol', password: PASSWORD, roles: ['member'], orgSlug: 'acme' });
    const attacker = new Browser(service.base, '203.0.113.7');
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const answer = await attacker.signIn('carol', `wrong password ${attempt}`);
      expect(answer.status, `attempt ${attempt}`).toBe(401);
    }
    const throttled = await attacker.signIn('carol', `wrong password 11`);
    expect(throttled.status).toBe(429);
    expect(errorCode(throttled.body)).toBe('RATE_LIMITED');
    const retryAfter = Number(throttled.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // Even the right password waits now, from that address…
    expect((await attacker.signIn('carol', PASSWORD)).status).toBe(429);
    // …while the user signs in from elsewhere, and another username from that address is unaffected.
    expect((await new Browser(service.base, '198.51.100.20').signIn('carol', PASSWORD)).status).toBe(200);
    expect((await new Browser(service.base, '203.0.113.7').signIn('alice', PASSWORD)).status).toBe(200);
  });
});

describe('session expiry (controlled clock)', () => {
  let service: HttpService;
  beforeAll(async () => {
    service = await startHttpService({ SESSION_IDLE_MINUTES: '30', SESSION_MAX_HOURS: '2' });
    await service.users.create({ username: 'dana', password: PASSWORD, roles: ['member'], orgSlug: 'demo-org' });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await service?.close();
  });

  const minutes = (count: number) => count * 60_000;

  it('ends a session after SESSION_IDLE_MINUTES without a request', async () => {
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    const browser = new Browser(service.base);
    await browser.signIn('dana', PASSWORD);
    // Requests inside the idle window keep it alive, past the first window's end.
    vi.setSystemTime(start + minutes(29));
    expect((await browser.request('GET', '/api/v1/session')).status).toBe(200);
    vi.setSystemTime(start + minutes(58));
    expect((await browser.request('GET', '/api/v1/findings')).status).toBe(200);
    // Then 30 minutes of silence.
    vi.setSystemTime(start + minutes(88) + 1000);
    expect((await browser.request('GET', '/api/v1/findings')).status).toBe(401);
    const after = await browser.request('GET', '/api/v1/session');
    expect(after.status).toBe(401);
    const rows = await service.context.db.query<{ n: number }>('select count(*)::int as n from sessions where user_id = (select id from users where username = $1)', ['dana']);
    expect(rows[0]!.n).toBe(0);
  });

  it('ends a session SESSION_MAX_HOURS after sign-in even when it is used all along', async () => {
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    const browser = new Browser(service.base);
    const answer = await browser.signIn('dana', PASSWORD);
    expect(new Date((answer.body as { expires_at: string }).expires_at).getTime()).toBe(start + minutes(120));
    for (let at = 20; at < 120; at += 20) {
      vi.setSystemTime(start + minutes(at));
      expect((await browser.request('GET', '/api/v1/session')).status, `at ${at} min`).toBe(200);
    }
    vi.setSystemTime(start + minutes(120));
    expect((await browser.request('GET', '/api/v1/session')).status).toBe(401);
  });
});
