/**
 * ServiceNow simulator authentication through real HTTP: Basic, the OAuth token endpoint (form only;
 * password, refresh and authorization-code grants; token reuse within its lifetime; expiry), the authorize
 * redirect, scopes, the write ACL and a hibernating instance.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ServiceNowSimulator, startServiceNowSimulator } from './index.ts';
import { basic, call, form, result } from './test-helpers.ts';

let sim: ServiceNowSimulator;
const NOT_AUTHENTICATED = { error: { message: 'User is not authenticated', detail: 'Required to provide Auth information' }, status: 'failure' };
const TOKEN_REFUSED = { error_description: 'access_denied', error: 'server_error' };

beforeAll(async () => {
  sim = await startServiceNowSimulator({ redirectUris: ['http://localhost:3001/oauth/servicenow'], accessTokenTtlSeconds: 1800 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.admin.reset());

const incidents = () => `${sim.url}/api/now/table/incident`;
const token = (params: Record<string, string>) => call(sim.tokenUrl, { method: 'POST', ...form(params) });
const passwordGrant = (extra: Record<string, string> = {}) =>
  token({
    grant_type: 'password',
    client_id: sim.credentials.clientId,
    client_secret: sim.credentials.clientSecret,
    username: sim.credentials.username,
    password: sim.credentials.password,
    ...extra,
  });

describe('Basic authentication', () => {
  it('accepts the integration user and refuses a wrong password with the realm and the JSON body', async () => {
    const ok = await call(incidents(), { auth: sim.credentials.basicAuthHeader });
    expect(ok.status).toBe(200);
    expect(result(ok)).toEqual([]);

    for (const auth of [basic(sim.credentials.username, 'wrong'), basic('nobody', 'x'), null, 'Bearer not-a-token']) {
      const refused = await call(incidents(), { auth });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('BASIC realm="Service-now"');
      expect(refused.json).toEqual(NOT_AUTHENTICATED);
    }
  });

  it('refuses a locked-out user', async () => {
    const user = sim.admin.store.accounts.get(sim.credentials.username)!;
    sim.admin.updateRecordDirectly('sys_user', user.sysId, { locked_out: 'true' }, 'admin');
    expect((await call(incidents(), { auth: sim.credentials.basicAuthHeader })).status).toBe(401);
  });
});

describe('POST /oauth_token.do', () => {
  it('password grant: access and refresh token, scope useraccount, expires_in 1799; the bearer token works', async () => {
    const answer = await passwordGrant();
    expect(answer.status).toBe(200);
    const body = answer.json as Record<string, unknown>;
    expect(body).toMatchObject({ scope: 'useraccount', token_type: 'Bearer', expires_in: 1799 });
    expect(typeof body.access_token).toBe('string');
    expect(typeof body.refresh_token).toBe('string');
    const list = await call(incidents(), { auth: `Bearer ${String(body.access_token)}` });
    expect(list.status).toBe(200);
  });

  it('is form-encoded only: the same parameters as JSON are refused', async () => {
    const json = await call(sim.tokenUrl, {
      method: 'POST',
      body: { grant_type: 'password', client_id: sim.credentials.clientId, client_secret: sim.credentials.clientSecret, username: sim.credentials.username, password: sim.credentials.password },
    });
    expect(json.status).toBe(401);
    expect(json.json).toEqual(TOKEN_REFUSED);
  });

  it('refuses bad user credentials, a bad client secret and an unknown grant with 401 server_error/access_denied', async () => {
    for (const answer of [
      await passwordGrant({ password: 'wrong' }),
      await passwordGrant({ client_secret: 'wrong' }),
      await passwordGrant({ grant_type: 'client_credentials' }),
      await passwordGrant({ scope: 'no.such.scope' }),
    ]) {
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual(TOKEN_REFUSED);
    }
  });

  it('answers with the current access token while it is valid, and a new one once it expired', async () => {
    const first = (await passwordGrant()).json as Record<string, unknown>;
    sim.admin.advanceClock(600_000);
    const again = (await passwordGrant()).json as Record<string, unknown>;
    expect(again.access_token).toBe(first.access_token);
    expect(again.expires_in).toBe(1199);
    expect(again.refresh_token).not.toBe(first.refresh_token);

    sim.admin.advanceClock(1_200_000);
    const expired = await call(incidents(), { auth: `Bearer ${String(first.access_token)}` });
    expect(expired.status).toBe(401);
    expect(expired.json).toEqual(NOT_AUTHENTICATED);

    const refreshed = await token({ grant_type: 'refresh_token', client_id: sim.credentials.clientId, client_secret: sim.credentials.clientSecret, refresh_token: String(first.refresh_token) });
    expect(refreshed.status).toBe(200);
    const body = refreshed.json as Record<string, unknown>;
    // The refresh grant returns only an access token (refresh tokens do not rotate).
    expect(body).not.toHaveProperty('refresh_token');
    expect(body.access_token).not.toBe(first.access_token);
    expect(body.expires_in).toBe(1799);
    expect((await call(incidents(), { auth: `Bearer ${String(body.access_token)}` })).status).toBe(200);
    // The same refresh token keeps working.
    const twice = await token({ grant_type: 'refresh_token', client_id: sim.credentials.clientId, client_secret: sim.credentials.clientSecret, refresh_token: String(first.refresh_token) });
    expect((twice.json as Record<string, unknown>).access_token).toBe(body.access_token);
  });

  it('refuses an unknown or expired refresh token', async () => {
    const first = (await passwordGrant()).json as Record<string, unknown>;
    const params = { grant_type: 'refresh_token', client_id: sim.credentials.clientId, client_secret: sim.credentials.clientSecret };
    expect((await token({ ...params, refresh_token: 'nope' })).json).toEqual(TOKEN_REFUSED);
    sim.admin.advanceClock(8_640_000_000);
    const expired = await token({ ...params, refresh_token: String(first.refresh_token) });
    expect(expired.status).toBe(401);
  });
});

describe('authorization-code flow (/oauth_auth.do)', () => {
  const authorize = (params: Record<string, string>) => call(`${sim.authorizeUrl}?${new URLSearchParams(params)}`, { headers: { accept: 'text/html' } });
  const redirectUri = 'http://localhost:3001/oauth/servicenow';

  it('redirects back with code and state; the code is exchanged once for tokens with the asked scopes', async () => {
    const answer = await authorize({ response_type: 'code', client_id: sim.credentials.clientId, redirect_uri: redirectUri, state: 'st-1', scope: 'ticket.read ticket.write' });
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('st-1');
    const code = location.searchParams.get('code')!;
    const exchange = () =>
      token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: sim.credentials.clientId, client_secret: sim.credentials.clientSecret });
    const tokens = await exchange();
    expect(tokens.status).toBe(200);
    expect(tokens.json).toMatchObject({ scope: 'ticket.read ticket.write', token_type: 'Bearer', expires_in: 1799 });
    expect((tokens.json as Record<string, unknown>).refresh_token).toEqual(expect.any(String));
    const reused = await exchange();
    expect(reused.status).toBe(401);
    expect(reused.json).toEqual(TOKEN_REFUSED);
  });

  it('shows an error page for an unregistered redirect URI or client, and redirects errors otherwise', async () => {
    const badUri = await authorize({ response_type: 'code', client_id: sim.credentials.clientId, redirect_uri: 'http://evil.example/cb', state: 's' });
    expect(badUri.status).toBe(400);
    expect(badUri.headers.get('content-type')).toContain('text/html');
    expect(badUri.headers.get('location')).toBeNull();
    expect((await authorize({ response_type: 'code', client_id: 'other', redirect_uri: redirectUri })).status).toBe(400);

    const badScope = await authorize({ response_type: 'code', client_id: sim.credentials.clientId, redirect_uri: redirectUri, state: 's', scope: 'admin.everything' });
    expect(new URL(badScope.headers.get('location')!).searchParams.get('error')).toBe('invalid_scope');
    sim.admin.setConsent('deny');
    const denied = await authorize({ response_type: 'code', client_id: sim.credentials.clientId, redirect_uri: redirectUri, state: 's' });
    const back = new URL(denied.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('s');
  });

  it('a ticket.read token reads but cannot write; ticket.write writes', async () => {
    const readOnly = sim.admin.issueTokensDirectly(undefined, ['ticket.read']);
    expect((await call(incidents(), { auth: `Bearer ${readOnly.access_token}` })).status).toBe(200);
    const refused = await call(incidents(), { auth: `Bearer ${readOnly.access_token}`, body: { short_description: 'x' } });
    expect(refused.status).toBe(403);
    const writer = sim.admin.issueTokensDirectly(undefined, ['ticket.read', 'ticket.write']);
    expect((await call(incidents(), { auth: `Bearer ${writer.access_token}`, body: { short_description: 'x' } })).status).toBe(201);
  });
});

describe('ACL and hibernation', () => {
  it('a user without a write role reads but gets 403 Operation Failed on insert, update and delete', async () => {
    const ro = basic(sim.credentials.readOnly.username, sim.credentials.readOnly.password);
    const created = result(await call(incidents(), { auth: sim.credentials.basicAuthHeader, body: { short_description: 'acl' } }));
    const one = `${incidents()}/${String(created.sys_id)}`;
    expect((await call(one, { auth: ro })).status).toBe(200);
    const insert = await call(incidents(), { auth: ro, body: { short_description: 'no' } });
    expect(insert.status).toBe(403);
    expect(insert.json).toEqual({ error: { message: 'Operation Failed', detail: 'ACL Exception Insert Failed due to security constraints' }, status: 'failure' });
    const update = await call(one, { method: 'PATCH', auth: ro, body: { short_description: 'no' } });
    expect((update.json as { error: { detail: string } }).error.detail).toBe('ACL Exception Update Failed due to security constraints');
    const remove = await call(one, { method: 'DELETE', auth: ro, headers: { 'content-type': 'application/json' } });
    expect(remove.status).toBe(403);
    expect((remove.json as { error: { detail: string } }).error.detail).toBe('ACL Exception Delete Failed due to security constraints');
    // The integration (itil) user cannot create groups; an admin can.
    expect((await call(`${sim.url}/api/now/table/sys_user_group`, { auth: sim.credentials.basicAuthHeader, body: { name: 'G' } })).status).toBe(403);
    const admin = basic(sim.credentials.admin.username, sim.credentials.admin.password);
    expect((await call(`${sim.url}/api/now/table/sys_user_group`, { auth: admin, body: { name: 'G' } })).status).toBe(201);
  });

  it('a hibernating instance answers every call, the token endpoint included, with a 503 HTML page', async () => {
    sim.admin.setHibernating(true);
    for (const answer of [await call(incidents(), { auth: sim.credentials.basicAuthHeader }), await passwordGrant()]) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('content-type')).toContain('text/html');
      expect(answer.text).toContain('hibernating');
    }
    sim.admin.setHibernating(false);
    expect((await call(incidents(), { auth: sim.credentials.basicAuthHeader })).status).toBe(200);
  });
});
