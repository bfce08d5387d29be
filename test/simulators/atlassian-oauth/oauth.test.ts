import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../jira/cloud/index.ts';
import { type AtlassianOAuthSimulator, startAtlassianOAuthSimulator } from './index.ts';

let oauth: AtlassianOAuthSimulator;
let jira: JiraCloudSimulator;
const redirectUri = 'http://localhost:8000/api/jira/callback';

beforeAll(async () => {
  oauth = await startAtlassianOAuthSimulator({ redirectUris: [redirectUri], accessTokenTtlSeconds: 60, refreshGraceSeconds: 30, codeTtlSeconds: 30 });
  jira = await startJiraCloudSimulator({ oauth, cloudId: oauth.cloudId });
});
afterAll(async () => {
  await jira.close();
  await oauth.close();
});

interface AuthorizeParams {
  scope?: string;
  state?: string;
  redirect_uri?: string;
  client_id?: string;
  audience?: string;
  response_type?: string;
  prompt?: string;
  code_challenge?: string;
  code_challenge_method?: string;
}

async function authorize(overrides: AuthorizeParams = {}): Promise<{ status: number; location: URL | null; text: string }> {
  const params: Record<string, string> = {
    audience: 'api.atlassian.com',
    client_id: oauth.clientId,
    scope: 'read:jira-work write:jira-work read:jira-user read:me offline_access',
    redirect_uri: redirectUri,
    state: 'state-123',
    response_type: 'code',
    prompt: 'consent',
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete params[k];
    else params[k] = v;
  }
  const response = await fetch(`${oauth.authorizeUrl}?${new URLSearchParams(params)}`, { redirect: 'manual' });
  const location = response.headers.get('location');
  return { status: response.status, location: location ? new URL(location) : null, text: await response.text() };
}

async function token(body: Record<string, string>, form = false): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(oauth.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? new URLSearchParams(body).toString() : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const exchange = (code: string, extra: Record<string, string> = {}) =>
  token({ grant_type: 'authorization_code', client_id: oauth.clientId, client_secret: oauth.clientSecret, code, redirect_uri: redirectUri, ...extra });
const refresh = (refreshToken: string) =>
  token({ grant_type: 'refresh_token', client_id: oauth.clientId, client_secret: oauth.clientSecret, refresh_token: refreshToken });

async function freshTokens(scope?: string): Promise<Record<string, unknown>> {
  const { location } = await authorize(scope ? { scope } : {});
  const result = await exchange(location?.searchParams.get('code') ?? '');
  expect(result.status).toBe(200);
  return result.json;
}

describe('Atlassian OAuth /authorize', () => {
  it('consents at once and redirects back with code and state', async () => {
    const { status, location } = await authorize();
    expect(status).toBe(302);
    expect(location?.origin + (location?.pathname ?? '')).toBe(redirectUri);
    expect(location?.searchParams.get('state')).toBe('state-123');
    expect(location?.searchParams.get('code')).toBeTruthy();
  });

  it('shows an error page (no redirect) for an unknown client or a redirect_uri mismatch', async () => {
    for (const overrides of [{ client_id: 'nope' }, { redirect_uri: 'http://localhost:8000/api/jira/callback/' }, { redirect_uri: 'https://evil.example/cb' }]) {
      const res = await authorize(overrides);
      expect(res.status).toBe(400);
      expect(res.location).toBeNull();
    }
    expect((await authorize({ redirect_uri: 'https://evil.example/cb' })).text).toMatch(/redirect_uri/);
  });

  it('refuses a missing audience, unknown scopes, missing state, bad response_type and plain PKCE', async () => {
    expect((await authorize({ audience: undefined })).status).toBe(400);
    expect((await authorize({ scope: 'read:jira-work fly:to-moon' })).location?.searchParams.get('error')).toBe('invalid_scope');
    expect((await authorize({ state: undefined })).location?.searchParams.get('error')).toBe('invalid_request');
    expect((await authorize({ response_type: 'token' })).location?.searchParams.get('error')).toBe('unsupported_response_type');
    const plain = await authorize({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' });
    expect(plain.location?.searchParams.get('error')).toBe('invalid_request');
  });

  it('sends access_denied back when the user declines', async () => {
    oauth.admin.setConsent('deny');
    const res = await authorize();
    oauth.admin.setConsent('approve');
    expect(res.location?.searchParams.get('error')).toBe('access_denied');
    expect(res.location?.searchParams.get('code')).toBeNull();
    expect(res.location?.searchParams.get('state')).toBe('state-123');
  });
});

describe('Atlassian OAuth /oauth/token', () => {
  it('exchanges a code (JSON or form) for tokens with expires_in and scope', async () => {
    const { location } = await authorize();
    const res = await token(
      { grant_type: 'authorization_code', client_id: oauth.clientId, client_secret: oauth.clientSecret, code: location?.searchParams.get('code') ?? '', redirect_uri: redirectUri },
      true,
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ token_type: 'Bearer', expires_in: 60, scope: expect.stringContaining('write:jira-work') });
    expect(res.json.refresh_token).toBeTruthy();
  });

  it('refuses a reused code', async () => {
    const code = (await authorize()).location?.searchParams.get('code') ?? '';
    expect((await exchange(code)).status).toBe(200);
    const again = await exchange(code);
    expect(again.status).toBe(403);
    expect(again.json.error).toBe('invalid_grant');
  });

  it('refuses an expired code', async () => {
    const code = (await authorize()).location?.searchParams.get('code') ?? '';
    oauth.admin.advanceClock(31_000);
    expect((await exchange(code)).json.error).toBe('invalid_grant');
  });

  it('refuses a redirect_uri different from the authorization request', async () => {
    const code = (await authorize()).location?.searchParams.get('code') ?? '';
    const res = await exchange(code, { redirect_uri: 'http://localhost:8000/other' });
    expect(res.status).toBe(403);
    expect(res.json.error).toBe('invalid_grant');
  });

  it('answers a wrong client secret with 401 access_denied, as measured', async () => {
    const code = (await authorize()).location?.searchParams.get('code') ?? '';
    const res = await exchange(code, { client_secret: 'wrong' });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: 'access_denied', error_description: 'Unauthorized' });
  });

  it('binds the code to the PKCE verifier', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const code1 = (await authorize({ code_challenge: challenge, code_challenge_method: 'S256' })).location?.searchParams.get('code') ?? '';
    expect((await exchange(code1, { code_verifier: 'wrong-verifier' })).json.error).toBe('invalid_grant');
    const code2 = (await authorize({ code_challenge: challenge, code_challenge_method: 'S256' })).location?.searchParams.get('code') ?? '';
    expect((await exchange(code2)).json.error).toBe('invalid_grant');
    const code3 = (await authorize({ code_challenge: challenge, code_challenge_method: 'S256' })).location?.searchParams.get('code') ?? '';
    expect((await exchange(code3, { code_verifier: verifier })).status).toBe(200);
  });

  it('gives no refresh token without offline_access', async () => {
    const tokens = await freshTokens('read:jira-work');
    expect(tokens.refresh_token).toBeUndefined();
  });

  it('rotates refresh tokens; the old one works within the grace window', async () => {
    const first = await freshTokens();
    const second = await refresh(String(first.refresh_token));
    expect(second.status).toBe(200);
    expect(second.json.refresh_token).not.toBe(first.refresh_token);
    oauth.admin.advanceClock(10_000);
    expect((await refresh(String(first.refresh_token))).status).toBe(200);
  });

  it('kills the whole chain when a rotated refresh token is reused after the grace window', async () => {
    const first = await freshTokens();
    const second = await refresh(String(first.refresh_token));
    const newest = String(second.json.refresh_token);
    oauth.admin.advanceClock(31_000);
    const reuse = await refresh(String(first.refresh_token));
    expect(reuse.status).toBe(403);
    expect(reuse.json).toEqual({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' });
    // even the newest refresh token and the chain's access token are dead now
    expect((await refresh(newest)).status).toBe(403);
    expect(oauth.validateAccessToken(String(second.json.access_token)).ok).toBe(false);
  });

  it('refuses unknown refresh tokens and unsupported grants', async () => {
    expect((await refresh('sim-rt-nope')).status).toBe(403);
    expect((await token({ grant_type: 'password', client_id: oauth.clientId, client_secret: oauth.clientSecret })).json.error).toBe('unsupported_grant_type');
  });
});

describe('Atlassian OAuth tokens on the API host and Jira Cloud gateway', () => {
  it('lists accessible resources and /me with the access token', async () => {
    const tokens = await freshTokens();
    const auth = { authorization: `Bearer ${String(tokens.access_token)}` };
    const resources = (await (await fetch(`${oauth.apiUrl}/oauth/token/accessible-resources`, { headers: auth })).json()) as { id: string; url: string; name: string; scopes: string[] }[];
    expect(resources).toEqual([expect.objectContaining({ id: oauth.cloudId, name: 'sim-site', scopes: expect.arrayContaining(['read:jira-work']) })]);
    const me = (await (await fetch(`${oauth.apiUrl}/me`, { headers: auth })).json()) as { account_id: string };
    expect(me.account_id).toBe(jira.credentials.accountId);
    const bad = await fetch(`${oauth.apiUrl}/oauth/token/accessible-resources`, { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
  });

  it('works at /ex/jira/{cloudId}, refused at the site URL, 401 once expired', async () => {
    const tokens = await freshTokens();
    const headers = { authorization: `Bearer ${String(tokens.access_token)}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'via 3LO' } });
    const created = await fetch(`${jira.gatewayUrl}/rest/api/3/issue`, { method: 'POST', headers, body });
    expect(created.status).toBe(201);
    expect((await fetch(`${jira.url}/rest/api/3/issue`, { method: 'POST', headers, body })).status).toBe(401);
    oauth.admin.advanceClock(61_000);
    const expired = await fetch(`${jira.gatewayUrl}/rest/api/3/myself`, { headers });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ code: 401, message: 'Unauthorized' });
  });

  it('needs write:jira-work to create through the gateway', async () => {
    const tokens = await freshTokens('read:jira-work read:jira-user');
    const res = await fetch(`${jira.gatewayUrl}/rest/api/3/issue`, {
      method: 'POST',
      headers: { authorization: `Bearer ${String(tokens.access_token)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'x' } }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: 401, message: 'Unauthorized; scope does not match' });
  });
});
