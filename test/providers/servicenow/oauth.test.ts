/**
 * ServiceNow OAuth against the simulator's oauth_token.do / oauth_auth.do: the password grant (form
 * only), an expired access token renewed by one refresh (single-flight across concurrent calls, the
 * call resent once), the refresh token kept (ServiceNow does not rotate), a refused refresh token,
 * the authorization-code flow on src/oauth with ticket.read ticket.write, and bearer calls.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Credential, storedCredentials } from '../../../src/providers/credentials/index.ts';
import {
  credentialOf,
  exchangeServiceNowCode,
  passwordGrant,
  refreshServiceNowToken,
  SERVICENOW_SCOPES,
  ServiceNowError,
  servicenowAuthorizationUrl,
  servicenowRefresher,
} from '../../../src/providers/servicenow/index.ts';
import { createMemorySharedState } from '../../../src/shared-state/index.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../../simulators/servicenow/index.ts';
import { makeClient, outbound } from './helpers.ts';

let sim: ServiceNowSimulator;
const http = outbound();
const client = () => ({ clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret });
const user = () => ({ username: sim.credentials.username, password: sim.credentials.password });

beforeAll(async () => {
  sim = await startServiceNowSimulator({ redirectUris: ['http://localhost:3001/oauth/servicenow'] });
});
afterEach(() => sim.admin.reset());
afterAll(async () => {
  await http.close();
  await sim.close();
});

const tokenCalls = () => sim.admin.received({ method: 'POST', path: '/oauth_token.do' });

/** A stored OAuth connection in memory: the credential source the services would build, with the ServiceNow refresher. */
function storedConnection(initial: Credential, onRefused?: () => Promise<void>) {
  let row: Credential | null = initial;
  const persisted: Credential[] = [];
  const source = storedCredentials({
    connectionId: `sn-${Math.random().toString(36).slice(2)}`,
    kind: 'oauth2',
    hosts: [new URL(sim.url).host],
    load: async () => row,
    initial,
    refresher: servicenowRefresher({
      instanceUrl: sim.url,
      client: client(),
      deps: { http },
      persist: async (credential) => {
        persisted.push(credential);
        row = credential;
      },
      ...(onRefused ? { onRefused } : {}),
    }),
    sharedState: createMemorySharedState(),
    refreshBeforeMs: 60_000,
  });
  return { source, persisted };
}

describe('token endpoint', () => {
  it('password grant: form-encoded, both tokens, expiry from expires_in', async () => {
    const before = Date.now();
    const tokens = await passwordGrant(sim.url, client(), user(), { http });
    expect(tokens.accessToken).not.toBe('');
    expect(tokens.refreshToken).not.toBeNull();
    expect(tokens.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 1790_000);
    const [call] = tokenCalls();
    expect(call?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const h = makeClient(sim, { credentials: storedConnection(credentialOf(tokens)).source });
    expect((await h.client.create('incident', { short_description: 'via bearer' })).fields.sys_created_by).toBe(sim.credentials.username);
    await h.http.close();
  });

  it('bad client secret or password → PROVIDER_AUTH_FAILED with what to check', async () => {
    const error = await passwordGrant(sim.url, { ...client(), clientSecret: 'nope' }, user(), { http }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceNowError);
    expect(error).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', upstreamStatus: 401 });
    expect((error as Error).message).toMatch(/client id and secret/);
    expect((error as Error).message).not.toContain('nope');
  });

  it('refresh grant keeps the refresh token (ServiceNow answers none)', async () => {
    const tokens = await passwordGrant(sim.url, client(), user(), { http });
    sim.admin.advanceClock(1_800_000);
    const renewed = await refreshServiceNowToken(sim.url, client(), tokens.refreshToken!, { http });
    expect(renewed.accessToken).not.toBe(tokens.accessToken);
    expect(renewed.refreshToken).toBe(tokens.refreshToken);
  });

  it('hibernating instance: the token endpoint says so', async () => {
    sim.admin.setHibernating(true);
    await expect(passwordGrant(sim.url, client(), user(), { http })).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', hibernating: true });
  });
});

describe('expiry and refresh through the credential source', () => {
  it('an access token the instance expired: the 401 buys one refresh for five concurrent calls, each resent once', async () => {
    const tokens = await passwordGrant(sim.url, client(), user(), { http });
    const { source, persisted } = storedConnection(credentialOf(tokens));
    const h = makeClient(sim, { credentials: source });
    await h.client.list('incident', { pageSize: 1, maxRecords: 1 });
    sim.admin.advanceClock(1_800_000); // the simulator's clock: the token is dead there, our copy does not know
    const before = tokenCalls().length;
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => h.client.create('incident', { short_description: `after expiry ${i}` })));
    expect(results).toHaveLength(5);
    expect(tokenCalls().length - before).toBe(1);
    expect(String(tokenCalls().at(-1)?.body)).toMatch(/^grant_type=refresh_token&/);
    expect(persisted).toHaveLength(1);
    expect(persisted[0]).toMatchObject({ kind: 'oauth2', refreshToken: tokens.refreshToken });
    expect(sim.admin.records('incident').filter((r) => (r.short_description ?? '').startsWith('after expiry'))).toHaveLength(5);
    await h.http.close();
  });

  it('a token known to be expiring is refreshed before the call (no 401 spent)', async () => {
    const tokens = await passwordGrant(sim.url, client(), user(), { http });
    sim.admin.advanceClock(1_800_000);
    const { source } = storedConnection({ ...credentialOf(tokens), expiresAt: new Date(Date.now() + 10_000) });
    const h = makeClient(sim, { credentials: source });
    await h.client.get('incident', (await h.client.create('incident', { short_description: 'x' })).sysId);
    expect(sim.admin.received({ path: '/api/now/table/incident' }).map((r) => r.status)).toEqual([201, 200]);
    expect(tokenCalls()).toHaveLength(2);
    await h.http.close();
  });

  it('a refused refresh token: OAUTH_REAUTH_REQUIRED, the connection marked, no retry loop', async () => {
    const tokens = await passwordGrant(sim.url, client(), user(), { http });
    let marked = 0;
    const { source } = storedConnection({ ...credentialOf(tokens), refreshToken: 'revoked-refresh-token' }, async () => {
      marked++;
    });
    const h = makeClient(sim, { credentials: source });
    sim.admin.advanceClock(1_800_000);
    await expect(h.client.get('incident', '0'.repeat(32))).rejects.toMatchObject({ code: 'OAUTH_REAUTH_REQUIRED', provider: 'servicenow' });
    expect(marked).toBe(1);
    await h.http.close();
  });
});

describe('authorization-code flow', () => {
  it('consent URL with ticket.read ticket.write and /oauth/servicenow, code exchanged for tokens that work', async () => {
    const redirectUri = 'http://localhost:3001/oauth/servicenow';
    const url = await servicenowAuthorizationUrl(sim.url, { clientId: sim.credentials.clientId, redirectUri }, 'state-123');
    const parsed = new URL(url);
    expect(`${parsed.origin}${parsed.pathname}`).toBe(`${sim.url}/oauth_auth.do`);
    expect(Object.fromEntries(parsed.searchParams)).toEqual({ client_id: sim.credentials.clientId, scope: SERVICENOW_SCOPES.join(' '), redirect_uri: redirectUri, state: 'state-123', response_type: 'code' });

    const consent = await fetch(url, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const callback = new URL(consent.headers.get('location')!);
    expect(callback.pathname).toBe('/oauth/servicenow');
    const tokens = await exchangeServiceNowCode(sim.url, { ...client(), redirectUri }, { http, allowedHosts: ['127.0.0.1'], timeoutMs: 5000, now: Date.now }, { parameters: callback.searchParams, state: 'state-123' });
    expect(tokens.refreshToken).not.toBeNull();
    const h = makeClient(sim, { credentials: storedConnection(credentialOf(tokens, SERVICENOW_SCOPES)).source });
    expect((await h.client.create('incident', { short_description: 'code flow' })).number).toMatch(/^INC/);
    await h.http.close();
  });
});
