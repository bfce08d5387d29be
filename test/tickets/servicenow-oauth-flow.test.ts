/**
 * ServiceNow over OAuth end to end, over real HTTP against the simulator's own OAuth server:
 * POST /api/v1/connections/servicenow/oauth/start (the instance's OAuth app) → /oauth_auth.do → our
 * callback at seed 003's /oauth/servicenow → the connection stored with its tokens sealed → an
 * incident created with the bearer token → the token expires on the instance → five concurrent
 * ticket requests refresh it once (oauth_token.do, form-encoded, refresh grant) → a refresh token the
 * instance refuses marks the connection reauth_required. Before, no start route or callback existed
 * and the runtime had no ServiceNow refresher (an expired token failed every call).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../simulators/servicenow/index.ts';
import { getJson, type ListeningService, post, startListening } from '../webhooks/helpers.ts';

const json = { 'content-type': 'application/json' };

describe('ServiceNow OAuth connection: authorization code, bearer calls, single-flight refresh', () => {
  let listening: ListeningService;
  let sn: ServiceNowSimulator;
  let connectionId: string;

  beforeAll(async () => {
    listening = await startListening('embedded');
    sn = await startServiceNowSimulator({ outbound: null, redirectUris: [`${listening.url}/oauth/servicenow`] });
  });
  afterAll(async () => {
    await sn?.close();
    await listening?.close();
  });

  const tokenCalls = (grant: string) =>
    sn.admin.received({ method: 'POST', path: '/oauth_token.do' }).filter((entry) => {
      const body = entry.body;
      const text = typeof body === 'string' ? body : JSON.stringify(body ?? {});
      return text.includes(grant);
    });

  async function findings(count: number, label: string): Promise<string[]> {
    const created = await post(
      `${listening.url}/api/v1/findings`,
      JSON.stringify({ findings: Array.from({ length: count }, (_, i) => ({ kind: 'violation', title: `${label} ${i}`, severity: 'high', framework: 'ISO27001', control_id: `A.${label}.${i}` })) }),
      { ...listening.admin, ...json },
    );
    expect(created.status, JSON.stringify(created.json)).toBeLessThan(300);
    return (created.json.findings as { id: string }[]).map((f) => f.id);
  }

  const ticket = (findingId: string) => post(`${listening.url}/api/v1/tickets`, JSON.stringify({ finding_id: findingId, connection_id: connectionId }), { ...listening.admin, ...json });

  it('start refuses hostile input with a 4xx naming the field, and members cannot connect the organization', async () => {
    const start = (body: Record<string, unknown>, headers = listening.admin) =>
      post(`${listening.url}/api/v1/connections/servicenow/oauth/start`, JSON.stringify(body), { ...headers, ...json });
    const good = { name: 'SN OAuth', instance_url: sn.url, client_id: sn.credentials.clientId, client_secret: sn.credentials.clientSecret };
    const badTable = await start({ ...good, table: 'Incident; drop' });
    expect(badTable.status).toBe(400);
    expect(JSON.stringify(badTable.json)).toContain('table');
    const badUrl = await start({ ...good, instance_url: 'ftp://example.com' });
    expect(badUrl.status).toBe(400);
    expect(JSON.stringify(badUrl.json)).toContain('instance_url');
    const badRedirect = await start({ ...good, redirect_uri: `${listening.url}/somewhere-else` });
    expect(badRedirect.status).toBe(400);
    expect(JSON.stringify(badRedirect.json)).toContain('redirect_uri');
    const plainRedirect = await start({ ...good, redirect_uri: 'http://integrations.example.com/oauth/servicenow' });
    expect(plainRedirect.status).toBe(400);
    const member = await start(good, listening.member);
    expect(member.status).toBe(403);
  });

  it('connects through the consent, stores the tokens sealed, and files an incident with the bearer token', async () => {
    const started = await post(
      `${listening.url}/api/v1/connections/servicenow/oauth/start`,
      JSON.stringify({ name: 'SN OAuth', instance_url: sn.url, client_id: sn.credentials.clientId, client_secret: sn.credentials.clientSecret }),
      { ...listening.admin, ...json },
    );
    expect(started.status, JSON.stringify(started.json)).toBe(200);
    expect(started.json.redirect_uri).toBe(`${listening.url}/oauth/servicenow`);
    const authorize = new URL(started.json.authorization_url as string);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${sn.url}/oauth_auth.do`);
    expect(authorize.searchParams.get('scope')).toBe('ticket.read ticket.write');
    expect(authorize.searchParams.get('response_type')).toBe('code');
    expect(JSON.stringify(started.json)).not.toContain(sn.credentials.clientSecret);

    // The instance's consent (the simulator consents as its integration user) redirects to our callback.
    const consent = await fetch(authorize, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = new URL(consent.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(`${listening.url}/oauth/servicenow`);
    back.searchParams.set('format', 'json');
    const callback = await fetch(back);
    const body = (await callback.json()) as { connected: boolean; connection: { id: string; provider: string; auth_kind: string; status: string } };
    expect(callback.status, JSON.stringify(body)).toBe(200);
    expect(body.connection).toMatchObject({ provider: 'servicenow', auth_kind: 'oauth2', status: 'active' });
    connectionId = body.connection.id;
    // The state is one use: the same callback again changes nothing.
    const replay = await fetch(back);
    expect(replay.status).toBe(400);

    const [findingId] = await findings(1, 'oauth-first');
    const created = await ticket(findingId!);
    expect(created.status, JSON.stringify(created.json)).toBeLessThan(300);
    const incidents = sn.admin.records('incident').filter((record) => record.short_description?.includes('oauth-first'));
    expect(incidents).toHaveLength(1);
    const [sent] = sn.admin.received({ method: 'POST', path: '/api/now/table/incident' });
    const authorization = String(sent?.headers.authorization ?? '');
    expect(authorization).toMatch(/^Bearer /);
    const accessToken = authorization.slice('Bearer '.length);

    const [row] = await listening.service.context.db.query<{ secrets_encrypted: string; scopes: string[]; expires_at: Date | null; settings: Record<string, string> }>(
      'select secrets_encrypted, scopes, expires_at, settings from connections where id = $1',
      [connectionId],
    );
    expect(row!.secrets_encrypted).not.toContain(accessToken);
    expect(row!.secrets_encrypted).not.toContain(sn.credentials.clientSecret);
    expect(row!.expires_at).not.toBeNull();
    expect(row!.settings).toMatchObject({ table: 'incident' });
    const listed = await getJson<{ connections?: unknown }>(`${listening.url}/api/v1/connections`, listening.admin);
    expect(JSON.stringify(listed.body)).not.toContain(accessToken);
  }, 120_000);

  it('an access token expired on the instance is refreshed once for five concurrent requests', async () => {
    expect(connectionId).toBeDefined();
    const before = tokenCalls('refresh_token').length;
    sn.admin.advanceClock(31 * 60_000);
    const ids = await findings(5, 'oauth-expired');
    const answers = await Promise.all(ids.map((id) => ticket(id)));
    for (const answer of answers) expect(answer.status, JSON.stringify(answer.json)).toBeLessThan(300);
    expect(tokenCalls('refresh_token').length - before).toBe(1);
    const [refresh] = tokenCalls('refresh_token').slice(before);
    expect(String(refresh?.headers['content-type'])).toContain('application/x-www-form-urlencoded');
    expect(sn.admin.records('incident').filter((record) => record.short_description?.includes('oauth-expired'))).toHaveLength(5);
  }, 120_000);

  it('a refresh token the instance refuses marks the connection reauth_required', async () => {
    // Past the refresh token's lifespan (100 days): the instance refuses it.
    sn.admin.advanceClock(101 * 86_400_000);
    const [findingId] = await findings(1, 'oauth-refused');
    const refused = await ticket(findingId!);
    expect(refused.status, JSON.stringify(refused.json)).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(refused.json)).toContain('OAUTH_REAUTH_REQUIRED');
    const [row] = await listening.service.context.db.query<{ status: string }>('select status from connections where id = $1', [connectionId]);
    expect(row!.status).toBe('reauth_required');
    expect(sn.admin.records('incident').filter((record) => record.short_description?.includes('oauth-refused'))).toHaveLength(0);
  }, 120_000);
});
