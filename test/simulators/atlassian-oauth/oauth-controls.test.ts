/**
 * The OAuth simulator's controls for the product's lifecycle tests, through real HTTP: redirect URIs
 * from the environment, several sites and several accounts in one consent, refresh-token idle and
 * absolute limits on a shared clock, the token-endpoint call counter, one-shot faults (including tokens
 * issued but never delivered), and the api.atlassian.com gateway forwarding to the Jira simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startJiraCloudSimulator } from '../jira/cloud/index.ts';
import { type AtlassianOAuthSimulator, createClock, startAtlassianOAuthSimulator } from './index.ts';

const redirectUri = 'http://localhost:3001/api/jira/callback';
const DAY = 86_400_000;
const started: { close(): Promise<void> }[] = [];

afterEach(async () => {
  while (started.length > 0) await started.pop()?.close();
  delete process.env.SIM_REDIRECT_URIS;
});

async function start(options: Parameters<typeof startAtlassianOAuthSimulator>[0] = {}): Promise<AtlassianOAuthSimulator> {
  const sim = await startAtlassianOAuthSimulator({ redirectUris: [redirectUri], ...options });
  started.push(sim);
  return sim;
}

function authorizeUrl(sim: AtlassianOAuthSimulator, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({
    audience: 'api.atlassian.com',
    client_id: sim.clientId,
    scope: 'read:jira-work write:jira-work read:jira-user read:me read:page:confluence offline_access',
    redirect_uri: sim.redirectUris[0] ?? redirectUri,
    state: 's-1',
    response_type: 'code',
    prompt: 'consent',
    ...extra,
  });
  return `${sim.authorizeUrl}?${params}`;
}

async function codeFrom(sim: AtlassianOAuthSimulator, extra: Record<string, string> = {}): Promise<string> {
  const response = await fetch(authorizeUrl(sim, extra), { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location') ?? '').searchParams.get('code') ?? '';
}

async function token(sim: AtlassianOAuthSimulator, body: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(sim.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: sim.clientId, client_secret: sim.clientSecret, ...body }) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function tokens(sim: AtlassianOAuthSimulator, extra: Record<string, string> = {}): Promise<{ access: string; refresh: string }> {
  const code = await codeFrom(sim, extra);
  const result = await token(sim, { grant_type: 'authorization_code', code, redirect_uri: sim.redirectUris[0] ?? redirectUri });
  expect(result.status).toBe(200);
  return { access: String(result.json.access_token), refresh: String(result.json.refresh_token) };
}

const refresh = (sim: AtlassianOAuthSimulator, refreshToken: string) => token(sim, { grant_type: 'refresh_token', refresh_token: refreshToken });

async function getJson(url: string, accessToken: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: response.status, json: await response.json() };
}

describe('redirect URIs', () => {
  it('come from SIM_REDIRECT_URIS when no option is given; the option wins over the environment', async () => {
    process.env.SIM_REDIRECT_URIS = 'http://localhost:3001/oauth/jira, http://localhost:3001/api/v1/auth/atlassian/callback';
    const fromEnv = await startAtlassianOAuthSimulator();
    started.push(fromEnv);
    expect(fromEnv.redirectUris).toEqual(['http://localhost:3001/oauth/jira', 'http://localhost:3001/api/v1/auth/atlassian/callback']);
    const ok = await fetch(authorizeUrl(fromEnv, { redirect_uri: 'http://localhost:3001/api/v1/auth/atlassian/callback' }), { redirect: 'manual' });
    expect(ok.status).toBe(302);
    const refused = await fetch(authorizeUrl(fromEnv, { redirect_uri: 'http://localhost:8000/api/jira/callback' }), { redirect: 'manual' });
    expect(refused.status).toBe(400);

    const fromOption = await start();
    expect(fromOption.redirectUris).toEqual([redirectUri]);
    fromOption.admin.setRedirectUris(['http://localhost:4000/cb']);
    expect((await fetch(authorizeUrl(fromOption, { redirect_uri: 'http://localhost:4000/cb' }), { redirect: 'manual' })).status).toBe(302);
  });
});

describe('consent: sites, accounts, declining', () => {
  const sites = [
    { cloudId: 'aaaaaaaa-0000-4000-8000-000000000001', url: 'https://one.atlassian.net', name: 'one' },
    { cloudId: 'aaaaaaaa-0000-4000-8000-000000000002', url: 'https://two.atlassian.net', name: 'two' },
  ];
  const alice = { accountId: '712020:00000000-0000-4000-8000-0000000a11ce', email: 'alice@sim.example', name: 'Alice Admin' };

  it('grants every site in one consent by default, or the ones the user ticks', async () => {
    const sim = await start({ sites });
    const all = await tokens(sim);
    const listed = await getJson(`${sim.apiUrl}/oauth/token/accessible-resources`, all.access);
    expect((listed.json as { id: string }[]).map((r) => r.id)).toEqual(sites.map((s) => s.cloudId));

    sim.admin.setConsent({ cloudIds: [sites[1]!.cloudId] });
    const one = await tokens(sim);
    const only = await getJson(`${sim.apiUrl}/oauth/token/accessible-resources`, one.access);
    expect(only.json).toEqual([expect.objectContaining({ id: sites[1]!.cloudId, url: 'https://two.atlassian.net', name: 'two' })]);
    expect(() => sim.admin.setConsent({ cloudIds: ['nope'] })).toThrow(/unknown site/);
  });

  it('answers /me for whichever account consented', async () => {
    const sim = await start({ accounts: [alice] });
    sim.admin.setConsent({ accountId: alice.accountId });
    const t = await tokens(sim);
    const me = await getJson(`${sim.apiUrl}/me`, t.access);
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ account_id: alice.accountId, email: alice.email, name: alice.name, picture: expect.stringMatching(/^https:\/\//) });
    const withoutReadMe = await tokens(sim, { scope: 'read:jira-work offline_access' });
    expect(await getJson(`${sim.apiUrl}/me`, withoutReadMe.access)).toEqual({ status: 401, json: { code: 401, message: 'Unauthorized; scope does not match' } });
  });

  it('lists a site once per product when resourcesPerProduct is set', async () => {
    const sim = await start({ resourcesPerProduct: true });
    const t = await tokens(sim);
    const listed = (await getJson(`${sim.apiUrl}/oauth/token/accessible-resources`, t.access)).json as { id: string; scopes: string[] }[];
    expect(listed).toHaveLength(2);
    expect(listed[0]?.id).toBe(listed[1]?.id);
    expect(listed.map((r) => r.scopes)).toEqual([['read:jira-work', 'write:jira-work', 'read:jira-user'], ['read:page:confluence']]);
  });

  it('sends a declined consent back with error, error_description and state, and no code', async () => {
    const sim = await start();
    sim.admin.setConsent('deny');
    const response = await fetch(authorizeUrl(sim), { redirect: 'manual' });
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(Object.fromEntries(location.searchParams)).toEqual({ error: 'access_denied', error_description: expect.any(String), state: 's-1' });
  });

  it('accepts the seed 004 scope list', async () => {
    const sim = await start();
    const scope = 'offline_access read:jira-user read:jira-work write:jira-work read:confluence-space.summary read:confluence-content.all write:confluence-content read:confluence-props read:me';
    const code = await codeFrom(sim, { scope });
    expect(code).not.toBe('');
  });
});

describe('refresh-token lifetime on an injected clock', () => {
  it('lapses after 90 idle days; refreshing resets the idle timer but not the 365-day absolute limit', async () => {
    const clock = createClock();
    const sim = await start({ clock });
    let current = (await tokens(sim)).refresh;
    for (let i = 0; i < 4; i += 1) {
      clock.advance(89 * DAY);
      const next = await refresh(sim, current);
      expect(next.status).toBe(200);
      current = String(next.json.refresh_token);
    }
    // 356 days since consent; 10 more days pass the absolute limit although the token was used 10 days ago.
    clock.advance(10 * DAY);
    expect(await refresh(sim, current)).toEqual({ status: 403, json: { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' } });

    const idle = (await tokens(sim)).refresh;
    clock.advance(91 * DAY);
    expect((await refresh(sim, idle)).status).toBe(403);
    expect(sim.admin.families().at(-1)?.revokedReason).toBe('expired');
  });

  it('answers with the measured body when switched', async () => {
    const sim = await start();
    sim.admin.setRefreshErrorStyle('measured');
    expect(await refresh(sim, 'sim-rt-unknown')).toEqual({ status: 403, json: { error: 'unauthorized_client', error_description: 'refresh_token is invalid' } });
  });
});

describe('token endpoint counter and one-shot faults', () => {
  it('counts every call by grant type', async () => {
    const sim = await start();
    const t = await tokens(sim);
    sim.admin.resetTokenCalls();
    const answers = await Promise.all(Array.from({ length: 50 }, () => refresh(sim, t.refresh)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(sim.admin.tokenCalls()).toMatchObject({ total: 50, refresh_token: 50, authorization_code: 0 });
    expect(sim.admin.tokenCalls().history).toHaveLength(50);
    const overHttp = (await (await fetch(`${sim.url}/_admin/token-calls`)).json()) as { refresh_token: number };
    expect(overHttp.refresh_token).toBe(50);
  });

  it('fails the next call once, then answers normally', async () => {
    const sim = await start();
    const t = await tokens(sim);
    sim.admin.failNextTokenCall({ kind: 'error', status: 503, grantType: 'refresh_token' });
    expect((await refresh(sim, t.refresh)).status).toBe(503);
    expect((await refresh(sim, t.refresh)).status).toBe(200);
  });

  it('issues and rotates, then drops the connection: the old refresh token still works inside the leeway, not after it', async () => {
    const sim = await start({ refreshGraceSeconds: 600 });
    const t = await tokens(sim);
    sim.admin.failNextTokenCall({ kind: 'drop-after-issue' });
    await expect(refresh(sim, t.refresh)).rejects.toThrow();
    expect(sim.admin.tokenCalls().history.at(-1)).toMatchObject({ grantType: 'refresh_token', status: null });
    // The product retries with the refresh token it still holds: accepted within 10 minutes.
    sim.admin.advanceClock(9 * 60_000);
    const retried = await refresh(sim, t.refresh);
    expect(retried.status).toBe(200);

    const u = await tokens(sim);
    sim.admin.failNextTokenCall({ kind: 'drop-after-issue' });
    await expect(refresh(sim, u.refresh)).rejects.toThrow();
    sim.admin.advanceClock(11 * 60_000);
    expect((await refresh(sim, u.refresh)).status).toBe(403);
  });
});

describe('api.atlassian.com gateway', () => {
  it('forwards /ex/jira/{cloudId}/... to the Jira simulator with the bearer token checked there', async () => {
    const sim = await start();
    const jira = await startJiraCloudSimulator({ validateBearer: (t) => sim.validateAccessToken(t), cloudId: sim.cloudId });
    started.push(jira);
    sim.admin.setProductUrl('jira', jira.url);
    const t = await tokens(sim);
    const myself = await getJson(`${sim.apiUrl}/ex/jira/${sim.cloudId}/rest/api/3/myself`, t.access);
    expect(myself.status).toBe(200);
    expect(myself.json).toMatchObject({ accountId: '712020:00000000-0000-4000-8000-000000000b07' });
    const created = await fetch(`${sim.apiUrl}/ex/jira/${sim.cloudId}/rest/api/3/issue`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.access}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'through the gateway' } }),
    });
    expect(created.status).toBe(201);
    expect((await getJson(`${sim.apiUrl}/ex/jira/${sim.cloudId}/rest/api/3/myself`, 'nope')).status).toBe(401);
    expect((await getJson(`${sim.apiUrl}/ex/confluence/${sim.cloudId}/wiki/api/v2/spaces`, t.access)).status).toBe(404);
  });
});
