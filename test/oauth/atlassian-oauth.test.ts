/**
 * Atlassian OAuth 2.0 (3LO) end to end: the service (real runtime, real database) against the
 * Atlassian OAuth, Jira Cloud and Confluence simulators over real HTTP. The browser's part is played by
 * following the authorization URL to the simulator's /authorize, which redirects back with code and
 * state; that redirect is then delivered to our callback.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { startRuntime } from '../../src/runtime.ts';
import { AtlassianOAuthService, setOAuthClock } from '../../src/services/atlassian-oauth.ts';
import { type AtlassianOAuthSimulator, startAtlassianOAuthSimulator } from '../simulators/atlassian-oauth/index.ts';
import { type ConfluenceSimulator, startConfluenceSimulator } from '../simulators/confluence/index.ts';
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../simulators/jira/cloud/index.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';

const REDIRECT = 'http://localhost:3001/api/jira/callback';
const SECOND_SITE = { cloudId: '22222222-3333-4444-8555-666666666666', url: 'https://second-site.atlassian.net', name: 'second-site' };

interface Env {
  oauth: AtlassianOAuthSimulator;
  jira: JiraCloudSimulator;
  confluence: ConfluenceSimulator;
  service: TestService;
  clockOffset: { ms: number };
}

async function startEnv(kind: 'embedded' | 'postgres', extraEnv: Record<string, string> = {}, withClient = true): Promise<Env> {
  let oauth: AtlassianOAuthSimulator | null = null;
  const jira = await startJiraCloudSimulator({ validateBearer: (t) => (oauth ? oauth.validateAccessToken(t) : { ok: false, reason: 'unknown' }) });
  const confluence = await startConfluenceSimulator({ cloudId: jira.cloudId, validateBearer: (t) => (oauth ? oauth.validateAccessToken(t) : { ok: false, reason: 'unknown' }) });
  oauth = await startAtlassianOAuthSimulator({
    redirectUris: [REDIRECT, 'http://localhost:3001/oauth/jira'],
    sites: [{ cloudId: jira.cloudId, url: 'https://sim-site.atlassian.net', name: 'sim-site' }, SECOND_SITE],
    products: { jira: jira.url, confluence: confluence.url },
  });
  oauth.admin.setConsent({ cloudIds: [jira.cloudId] });
  const service = await startTestService(kind, {
    ATLASSIAN_AUTH_URL: oauth.url,
    ATLASSIAN_API_URL: oauth.apiUrl,
    ...(withClient ? { JIRA_CLIENT_ID: oauth.clientId, JIRA_CLIENT_SECRET: oauth.clientSecret, JIRA_REDIRECT_URI: REDIRECT } : {}),
    ...extraEnv,
  });
  const clockOffset = { ms: 0 };
  setOAuthClock(service.context, () => Date.now() + clockOffset.ms);
  return { oauth, jira, confluence, service, clockOffset };
}

async function stopEnv(env: Env | undefined): Promise<void> {
  if (!env) return;
  await env.service.close();
  await Promise.all([env.oauth.close(), env.jira.close(), env.confluence.close()]);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** GET /api/jira/connect, then the browser at the simulator's /authorize: the redirect back (code, state or error). */
async function authorize(env: Env, token: string, query = ''): Promise<URLSearchParams> {
  const connect = await env.service.app.inject({ method: 'GET', url: `/api/jira/connect${query}`, headers: bearer(token) });
  expect(connect.statusCode, connect.body).toBe(200);
  const url = connect.json().authorization_url as string;
  const browser = await fetch(url, { redirect: 'manual' });
  expect(browser.status).toBe(302);
  const back = new URL(browser.headers.get('location') ?? '');
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
  return back.searchParams;
}

function callback(env: Env, params: URLSearchParams, options: { json?: boolean; headers?: Record<string, string>; path?: string } = {}) {
  const query = new URLSearchParams(params);
  if (options.json !== false) query.set('format', 'json');
  // json: false plays the browser, which accepts HTML.
  const accept = options.json === false ? { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } : {};
  return env.service.app.inject({ method: 'GET', url: `${options.path ?? '/api/jira/callback'}?${query}`, headers: { ...accept, ...options.headers } });
}

async function oauthRows(env: Env): Promise<Record<string, unknown>[]> {
  return env.service.context.db.query(`select * from connections where auth_kind = 'oauth2' order by created_at`);
}

describe.each(databaseKinds())('Atlassian OAuth 2.0 on %s', (kind) => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(kind);
  });
  afterAll(async () => {
    await stopEnv(env);
  });
  afterEach(async () => {
    env.oauth.admin.setConsent({ decision: 'approve', cloudIds: [env.jira.cloudId] });
    env.clockOffset.ms = 0;
    await env.service.context.db.query(`delete from connections where auth_kind = 'oauth2'`);
  });

  it('connects a user: authorization URL with PKCE, audience and consent; one connection stored with sealed tokens; status and Jira ping work', async () => {
    const alice = await env.service.token({ subject: 'alice' });
    const connect = await env.service.app.inject({ method: 'GET', url: '/api/jira/connect?user_id=alice', headers: bearer(alice) });
    const url = new URL(connect.json().authorization_url);
    expect(`${url.origin}${url.pathname}`).toBe(`${env.oauth.url}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ audience: 'api.atlassian.com', prompt: 'consent', response_type: 'code', code_challenge_method: 'S256', client_id: env.oauth.clientId, redirect_uri: REDIRECT });
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['offline_access', 'read:jira-work', 'write:jira-work', 'read:jira-user', 'read:me', 'read:confluence-space.summary']));

    const back = await authorize(env, alice, '?user_id=alice');
    const done = await callback(env, back);
    expect(done.statusCode, done.body).toBe(200);
    const body = done.json();
    expect(body).toMatchObject({ connected: true, owner: 'user', user_id: 'alice' });
    expect(body.connections).toHaveLength(1);
    expect(body.connections[0]).toMatchObject({ cloud_id: env.jira.cloudId, site_url: 'https://sim-site.atlassian.net', site_name: 'sim-site', account_id: '712020:00000000-0000-4000-8000-000000000b07', status: 'active', owner: 'user' });

    const [row] = await oauthRows(env);
    expect(row).toMatchObject({ provider: 'jira-cloud', auth_kind: 'oauth2', cloud_id: env.jira.cloudId, site_name: 'sim-site', status: 'active' });
    expect(row!.expires_at).toBeTruthy();
    expect(row!.refresh_token_issued_at).toBeTruthy();

    const status = await env.service.app.inject({ method: 'GET', url: '/api/jira/status?user_id=alice', headers: bearer(alice) });
    expect(status.json()).toMatchObject({ connected: true, site_url: 'https://sim-site.atlassian.net', site_name: 'sim-site', status: 'active', owner: 'user', action: null });
    expect(typeof status.json().expires_at).toBe('string');

    const ping = await env.service.app.inject({ method: 'GET', url: '/api/v1/integrations/jira/ping', headers: bearer(alice) });
    expect(ping.statusCode, ping.body).toBe(200);
    expect(ping.json()).toMatchObject({ ok: true, product: 'jira', account: { account_id: '712020:00000000-0000-4000-8000-000000000b07' } });
    // The code exchange sent the PKCE verifier (the simulator refuses a wrong or missing one).
    expect(env.oauth.admin.tokenCalls().history.at(-1)).toMatchObject({ grantType: 'authorization_code', status: 200 });
  });

  it('connects the organization (admins only), and a user without a connection of their own sees it in status', async () => {
    const admin = await env.service.token({ subject: 'root', roles: ['admin'] });
    const bob = await env.service.token({ subject: 'bob' });
    const refused = await env.service.app.inject({ method: 'GET', url: '/api/jira/connect?owner=organization', headers: bearer(bob) });
    expect(refused.statusCode).toBe(403);
    const otherUser = await env.service.app.inject({ method: 'GET', url: '/api/jira/connect?user_id=alice', headers: bearer(bob) });
    expect(otherUser.statusCode).toBe(403);
    expect(otherUser.json().error.field).toBe('user_id');

    const done = await callback(env, await authorize(env, admin, '?owner=organization'));
    expect(done.json()).toMatchObject({ connected: true, owner: 'organization', user_id: null });
    const status = await env.service.app.inject({ method: 'GET', url: '/api/jira/status', headers: bearer(bob) });
    expect(status.json()).toMatchObject({ connected: true, owner: 'organization', site_name: 'sim-site' });
    const rows = await oauthRows(env);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.user_id).toBeNull();
    const ping = await env.service.app.inject({ method: 'GET', url: '/api/v1/integrations/jira/ping', headers: bearer(bob) });
    expect(ping.statusCode, ping.body).toBe(200);
  });

  it('seed 004: login answers 302 to the consent screen; the callback answers HTML by default; /oauth/jira is the same callback', async () => {
    const carol = await env.service.token({ subject: 'carol' });
    const login = await env.service.app.inject({ method: 'GET', url: '/api/v1/auth/atlassian/login', headers: bearer(carol) });
    expect(login.statusCode).toBe(302);
    const browser = await fetch(String(login.headers.location), { redirect: 'manual' });
    const back = new URL(browser.headers.get('location') ?? '').searchParams;
    const html = await callback(env, back, { json: false, path: '/api/v1/auth/atlassian/callback' });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.body).toContain('Jira connected');
    expect(html.body).toContain('sim-site');

    const again = await authorize(env, carol);
    const viaSeed3 = await callback(env, again, { path: '/oauth/jira' });
    expect(viaSeed3.statusCode, viaSeed3.body).toBe(200);
    // Reconnecting the same site updates the one connection.
    expect(await oauthRows(env)).toHaveLength(1);
    const status = await env.service.app.inject({ method: 'GET', url: '/api/v1/auth/status', headers: bearer(carol) });
    expect(status.json()).toMatchObject({ connected: true, owner: 'user', user_id: 'carol' });
  });

  it('refuses a replayed, expired, unknown or another user’s state, and stores nothing', async () => {
    const dave = await env.service.token({ subject: 'dave' });
    const erin = await env.service.token({ subject: 'erin' });
    const back = await authorize(env, dave);
    expect((await callback(env, back)).statusCode).toBe(200);
    await env.service.context.db.query(`delete from connections where auth_kind = 'oauth2'`);
    const replay = await callback(env, back);
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error).toMatchObject({ code: 'OAUTH_STATE_INVALID', field: 'state' });
    expect(replay.json().error.message).toMatch(/already completed/);

    const expired = await authorize(env, dave);
    env.clockOffset.ms = 5 * 60_000 + 1000;
    const late = await callback(env, expired);
    expect(late.json().error.code).toBe('OAUTH_STATE_INVALID');
    expect(late.json().error.message).toMatch(/expired/);
    env.clockOffset.ms = 0;

    const unknown = await callback(env, new URLSearchParams({ code: 'whatever', state: 'A'.repeat(43) }));
    expect(unknown.json().error.message).toMatch(/not issued by this service/);
    // Without ?format: HTML for browsers and curl (Accept */*), JSON for a client sending no Accept header.
    const url = `/api/jira/callback?code=x&state=${'B'.repeat(43)}`;
    expect((await env.service.app.inject({ method: 'GET', url })).json().error.code).toBe('OAUTH_STATE_INVALID');
    expect((await env.service.app.inject({ method: 'GET', url, headers: { accept: '*/*' } })).headers['content-type']).toMatch(/text\/html/);

    const daves = await authorize(env, dave);
    const stolen = await callback(env, daves, { headers: bearer(erin) });
    expect(stolen.statusCode).toBe(400);
    expect(stolen.json().error.message).toMatch(/another user/);
    // HTML form of the same refusal.
    const page = await callback(env, daves, { json: false });
    expect(page.statusCode).toBe(400);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('OAUTH_STATE_INVALID');
    expect(await oauthRows(env)).toHaveLength(0);
  });

  it('a declined consent is a clear page and stores nothing', async () => {
    const frank = await env.service.token({ subject: 'frank' });
    env.oauth.admin.setConsent('deny');
    const back = await authorize(env, frank);
    expect(back.get('error')).toBe('access_denied');
    const page = await callback(env, back, { json: false });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('Jira was not connected');
    expect(page.body).toContain('declined');
    const again = await authorize(env, frank);
    const json = await callback(env, again);
    expect(json.json().error.code).toBe('OAUTH_CONSENT_DECLINED');
    expect(await oauthRows(env)).toHaveLength(0);
  });

  it('several sites granted in one consent give one connection each, sharing one refresh token', async () => {
    const gina = await env.service.token({ subject: 'gina' });
    env.oauth.admin.setConsent({ cloudIds: [env.jira.cloudId, SECOND_SITE.cloudId] });
    const done = await callback(env, await authorize(env, gina));
    expect(done.json().connections.map((c: { site_name: string }) => c.site_name).sort()).toEqual(['second-site', 'sim-site']);
    const rows = await oauthRows(env);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.oauth_grant_id).toBe(rows[1]!.oauth_grant_id);

    // A refresh through one site rewrites both: the other site's next refresh uses the new token, not the spent one.
    env.clockOffset.ms = 2 * 3600_000;
    env.oauth.admin.resetTokenCalls();
    expect((await env.service.app.inject({ method: 'GET', url: '/api/v1/integrations/jira/ping', headers: bearer(gina) })).statusCode).toBe(200);
    const after = await oauthRows(env);
    expect(after[0]!.secrets_encrypted).not.toBe(rows[0]!.secrets_encrypted);
    expect(after[1]!.secrets_encrypted).not.toBe(rows[1]!.secrets_encrypted);
    expect(env.oauth.admin.tokenCalls().refresh_token).toBe(1);
  });

  it('50 concurrent calls on an expired token make exactly one refresh call', async () => {
    const hank = await env.service.token({ subject: 'hank' });
    await callback(env, await authorize(env, hank));
    env.clockOffset.ms = 2 * 3600_000;
    env.oauth.admin.resetTokenCalls();
    env.oauth.admin.setTokenLatency(150);
    try {
      const pings = await Promise.all(Array.from({ length: 50 }, () => env.service.app.inject({ method: 'GET', url: '/api/v1/integrations/jira/ping', headers: bearer(hank) })));
      expect(pings.map((p) => p.statusCode)).toEqual(Array(50).fill(200));
    } finally {
      env.oauth.admin.setTokenLatency(0);
    }
    expect(env.oauth.admin.tokenCalls()).toMatchObject({ refresh_token: 1, total: 1 });
    const [row] = await oauthRows(env);
    expect(new Date(String(row!.expires_at)).getTime()).toBeGreaterThan(Date.now() + env.clockOffset.ms);
  });

  it.runIf(kind === 'postgres')('two processes (two runtimes, each its own pool) refreshing the same expired token make one refresh call between them', async () => {
    const olive = await env.service.token({ subject: 'olive' });
    await callback(env, await authorize(env, olive));
    const [row] = await oauthRows(env);
    const orgId = String(row!.org_id);
    const connectionId = String(row!.id);
    const other = await startRuntime(env.service.config, {
      logger: createLogger({ level: 'silent', timezone: 'UTC' }),
      database: await openDatabase({ kind: 'postgres', url: env.service.database.url! }),
      skipClockCheck: true,
    });
    try {
      setOAuthClock(other.context, () => Date.now() + env.clockOffset.ms);
      env.clockOffset.ms = 2 * 3600_000;
      env.oauth.admin.resetTokenCalls();
      env.oauth.admin.setTokenLatency(200);
      const here = new AtlassianOAuthService(env.service.context);
      const there = new AtlassianOAuthService(other.context);
      const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? here : there).accessToken(orgId, connectionId)));
      expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
      expect(env.oauth.admin.tokenCalls()).toMatchObject({ refresh_token: 1, total: 1 });
    } finally {
      env.oauth.admin.setTokenLatency(0);
      await other.close();
    }
  });

  it('tokens issued but never delivered (connection dropped after the rotation) leave the stored refresh token usable within the leeway', async () => {
    const pia = await env.service.token({ subject: 'pia' });
    await callback(env, await authorize(env, pia));
    const [before] = await oauthRows(env);
    env.clockOffset.ms = 2 * 3600_000;
    env.oauth.admin.resetTokenCalls();
    env.oauth.admin.failNextTokenCall({ kind: 'drop-after-issue', grantType: 'refresh_token' });
    const lost = await env.service.app.inject({ method: 'GET', url: '/api/v1/integrations/jira/ping', headers: bearer(pia) });
    expect(lost.statusCode).toBe(502);
    const [unchanged] = await oauthRows(env);
    expect(unchanged!.secrets_encrypted).toBe(before!.secrets_encrypted);
    expect(unchanged!.status).toBe('active');
    // The next call refreshes again with the same (already rotated) refresh token: inside Atlassian's 10-minute leeway it works.
    const healed = await env.service.app.inject({ method: 'GET', url: '/api/v1/integrations/jira/ping', headers: bearer(pia) });
    expect(healed.statusCode, healed.body).toBe(200);
    expect(env.oauth.admin.tokenCalls().refresh_token).toBe(2);
  });

  it('invalid_grant marks the connection reauth_required, says what to do, and is never retried', async () => {
    const ivan = await env.service.token({ subject: 'ivan' });
    await callback(env, await authorize(env, ivan));
    env.oauth.admin.revokeGrant();
    env.clockOffset.ms = 2 * 3600_000;
    env.oauth.admin.resetTokenCalls();
    const first = await env.service.app.inject({ method: 'GET', url: '/api/v1/integrations/jira/ping', headers: bearer(ivan) });
    expect(first.statusCode).toBe(409);
    expect(first.json().error.code).toBe('OAUTH_REAUTH_REQUIRED');
    expect(first.json().error.message).toMatch(/invalid_grant/);
    const pings = await Promise.all(Array.from({ length: 10 }, () => env.service.app.inject({ method: 'GET', url: '/api/v1/integrations/jira/ping', headers: bearer(ivan) })));
    expect(pings.map((p) => p.json().error.code)).toEqual(Array(10).fill('OAUTH_REAUTH_REQUIRED'));
    expect(env.oauth.admin.tokenCalls().refresh_token).toBe(1);
    const status = await env.service.app.inject({ method: 'GET', url: '/api/jira/status', headers: bearer(ivan) });
    expect(status.json()).toMatchObject({ connected: false, status: 'reauth_required' });
    expect(status.json().action).toMatch(/connect again/);
    // Connecting again heals it.
    await callback(env, await authorize(env, ivan));
    env.clockOffset.ms = 0;
    expect((await env.service.app.inject({ method: 'GET', url: '/api/v1/integrations/jira/ping', headers: bearer(ivan) })).statusCode).toBe(200);
  });

  it('the measured unauthorized_client answer is treated the same', async () => {
    const jack = await env.service.token({ subject: 'jack' });
    await callback(env, await authorize(env, jack));
    env.oauth.admin.setRefreshErrorStyle('measured');
    try {
      env.oauth.admin.revokeGrant();
      env.clockOffset.ms = 2 * 3600_000;
      const ping = await env.service.app.inject({ method: 'GET', url: '/api/v1/integrations/jira/ping', headers: bearer(jack) });
      expect(ping.json().error.code).toBe('OAUTH_REAUTH_REQUIRED');
      expect(ping.json().error.message).toMatch(/unauthorized_client/);
    } finally {
      env.oauth.admin.setRefreshErrorStyle('documented');
    }
  });

  it('disconnect: a user removes their own (tokens erased), not another user’s; admins may', async () => {
    const kim = await env.service.token({ subject: 'kim' });
    const lee = await env.service.token({ subject: 'lee' });
    const admin = await env.service.token({ subject: 'root', roles: ['admin'] });
    await callback(env, await authorize(env, kim));
    await callback(env, await authorize(env, lee));
    const forbidden = await env.service.app.inject({ method: 'DELETE', url: '/api/jira/disconnect?user_id=kim', headers: bearer(lee) });
    expect(forbidden.statusCode).toBe(403);
    const own = await env.service.app.inject({ method: 'DELETE', url: '/api/jira/disconnect', headers: bearer(kim) });
    expect(own.json()).toEqual({ disconnected: 1 });
    const byAdmin = await env.service.app.inject({ method: 'DELETE', url: '/api/v1/auth/atlassian?user_id=lee', headers: bearer(admin) });
    expect(byAdmin.json()).toEqual({ disconnected: 1 });
    const rows = await oauthRows(env);
    expect(rows.map((r) => [r.status, r.secrets_encrypted])).toEqual([
      ['disconnected', null],
      ['disconnected', null],
    ]);
    const status = await env.service.app.inject({ method: 'GET', url: '/api/jira/status', headers: bearer(kim) });
    expect(status.json()).toMatchObject({ connected: false, status: 'not_connected' });
    const ping = await env.service.app.inject({ method: 'GET', url: '/api/v1/integrations/jira/ping', headers: bearer(kim) });
    expect(ping.json().error.code).toBe('NOT_CONNECTED');
  });

  it('Confluence ping: seed 004’s classic scopes get a clear scope-mismatch error (v2 needs granular scopes)', async () => {
    const mia = await env.service.token({ subject: 'mia' });
    await callback(env, await authorize(env, mia));
    const ping = await env.service.app.inject({ method: 'GET', url: '/api/v1/integrations/confluence/ping', headers: bearer(mia) });
    expect(ping.statusCode).toBe(409);
    expect(ping.json().error).toMatchObject({ code: 'OAUTH_SCOPE_MISMATCH', field: 'read:space:confluence' });
    expect(ping.json().error.message).toMatch(/ATLASSIAN_SCOPES/);
  });

  it('tokens never appear in logs, responses or database plaintext', async () => {
    const nora = await env.service.token({ subject: 'nora' });
    const responses: string[] = [];
    const done = await callback(env, await authorize(env, nora));
    responses.push(done.body);
    env.clockOffset.ms = 2 * 3600_000;
    for (const url of ['/api/v1/integrations/jira/ping', '/api/jira/status', '/api/v1/auth/status', '/api/v1/connections']) {
      responses.push((await env.service.app.inject({ method: 'GET', url, headers: bearer(nora) })).body);
    }
    const secrets = [...env.oauth.admin.grants.accessTokens.keys(), ...env.oauth.admin.grants.refreshTokens.keys(), env.oauth.clientSecret];
    expect(secrets.length).toBeGreaterThan(3);
    const rows = JSON.stringify(await env.service.context.db.query('select * from connections'));
    const logs = env.service.logs.join('\n');
    expect(logs).toContain('atlassian');
    for (const value of secrets) {
      expect(logs.includes(value), 'log').toBe(false);
      expect(rows.includes(value), 'database').toBe(false);
      for (const body of responses) expect(body.includes(value), 'response').toBe(false);
    }
  });
});

describe('Atlassian OAuth app configuration', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await stopEnv(env);
    env = undefined;
  });

  it('without an app the connect routes answer 409 naming the variables; an admin can store the organization’s app (secret sealed)', async () => {
    env = await startEnv('embedded', {}, false);
    const olga = await env.service.token({ subject: 'olga' });
    const admin = await env.service.token({ subject: 'root', roles: ['admin'] });
    const refused = await env.service.app.inject({ method: 'GET', url: '/api/jira/connect', headers: bearer(olga) });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('OAUTH_NOT_CONFIGURED');
    expect(refused.json().error.message).toMatch(/JIRA_CLIENT_ID.*JIRA_CLIENT_SECRET.*JIRA_REDIRECT_URI/);
    const login = await env.service.app.inject({ method: 'GET', url: '/api/v1/auth/atlassian/login', headers: bearer(olga) });
    expect(login.statusCode).toBe(409);

    expect((await env.service.app.inject({ method: 'PUT', url: '/api/v1/oauth/clients/atlassian', headers: bearer(olga), payload: { client_id: 'x', client_secret: 'y', redirect_uri: REDIRECT } })).statusCode).toBe(403);
    const stored = await env.service.app.inject({
      method: 'PUT',
      url: '/api/v1/oauth/clients/atlassian',
      headers: bearer(admin),
      payload: { client_id: env.oauth.clientId, client_secret: env.oauth.clientSecret, redirect_uri: REDIRECT },
    });
    expect(stored.json()).toEqual({ configured: true, source: 'organization', client_id: env.oauth.clientId, redirect_uri: REDIRECT });
    expect(stored.body).not.toContain(env.oauth.clientSecret);
    expect(JSON.stringify(await env.service.context.db.query('select * from oauth_clients'))).not.toContain(env.oauth.clientSecret);
    const done = await callback(env, await authorize(env, olga));
    expect(done.statusCode, done.body).toBe(200);
  });

  it('a wrong client secret is reported with seed 002’s troubleshooting text; nothing stored', async () => {
    env = await startEnv('embedded', { JIRA_CLIENT_SECRET: 'not-the-secret' });
    const pat = await env.service.token({ subject: 'pat' });
    const done = await callback(env, await authorize(env, pat));
    expect(done.statusCode).toBe(400);
    expect(done.json().error.code).toBe('OAUTH_EXCHANGE_FAILED');
    expect(done.json().error.message).toMatch(/Invalid client credentials: check JIRA_CLIENT_ID and JIRA_CLIENT_SECRET/);
    expect(await oauthRows(env)).toHaveLength(0);
  });

  it('granular Confluence scopes from ATLASSIAN_SCOPES make the Confluence ping a real spaces call', async () => {
    env = await startEnv('embedded', { ATLASSIAN_SCOPES: 'read:jira-work write:jira-work read:jira-user read:me read:space:confluence read:page:confluence' });
    const quinn = await env.service.token({ subject: 'quinn' });
    await callback(env, await authorize(env, quinn));
    const ping = await env.service.app.inject({ method: 'GET', url: '/api/v1/integrations/confluence/ping', headers: bearer(quinn) });
    expect(ping.statusCode, ping.body).toBe(200);
    expect(ping.json().spaces.map((s: { key: string }) => s.key)).toEqual(expect.arrayContaining(['SEC', 'COMP']));
  });
});
