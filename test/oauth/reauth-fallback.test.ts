/**
 * A user's Atlassian connection whose refresh token is refused (issue 11): its jobs stop at once
 * with OAUTH_REAUTH_REQUIRED (one token call, no retry loop); the status route says to connect
 * again; the org's connection stands in only where the org allows it; a user disconnects their own
 * connection, not the org's or another user's; a refresh token near its idle limit is counted by the
 * metric and logged. Real HTTP against the Atlassian OAuth and Jira Cloud simulators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { type AtlassianOAuthSimulator, startAtlassianOAuthSimulator } from '../simulators/atlassian-oauth/index.ts';
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../simulators/jira/cloud/index.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';
import { waitFor } from '../helpers/wait.ts';

const REDIRECT = 'http://localhost:3001/api/jira/callback';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('reauth_required Atlassian connections', () => {
  let oauth: AtlassianOAuthSimulator;
  let jira: JiraCloudSimulator;
  let service: TestService;
  let alice: string;
  let admin: string;
  let violationIds: string[];
  let aliceConnection: string;
  let orgConnection: string;

  async function connect(token: string, query: string): Promise<string> {
    const started = await service.app.inject({ method: 'GET', url: `/api/jira/connect${query}`, headers: bearer(token) });
    const browser = await fetch(started.json().authorization_url as string, { redirect: 'manual' });
    const back = new URL(browser.headers.get('location') ?? '');
    back.searchParams.set('format', 'json');
    const done = await service.app.inject({ method: 'GET', url: `/api/jira/callback?${back.searchParams}` });
    expect(done.statusCode, done.body).toBe(200);
    return done.json().connections[0].id as string;
  }

  beforeAll(async () => {
    let sim: AtlassianOAuthSimulator | null = null;
    jira = await startJiraCloudSimulator({ searchLagMs: 0, validateBearer: (t) => (sim ? sim.validateAccessToken(t) : { ok: false, reason: 'unknown' }) });
    sim = await startAtlassianOAuthSimulator({ redirectUris: [REDIRECT], sites: [{ cloudId: jira.cloudId, url: 'https://sim-site.atlassian.net', name: 'sim-site' }], products: { jira: jira.url } });
    oauth = sim;
    service = await startTestService('embedded', { ATLASSIAN_AUTH_URL: oauth.url, ATLASSIAN_API_URL: oauth.apiUrl, JIRA_CLIENT_ID: oauth.clientId, JIRA_CLIENT_SECRET: oauth.clientSecret, JIRA_REDIRECT_URI: REDIRECT });
    await service.context.queue.work(productHandlers(service.context), 2);
    alice = await service.token({ subject: 'alice' });
    admin = await service.token({ subject: 'root', roles: ['admin'] });
    orgConnection = await connect(admin, '?owner=organization');
    aliceConnection = await connect(alice, '?user_id=alice');
    const created = await service.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(admin), payload: { name: 'Reauth audit', framework: 'FedRAMP' } });
    const violations = Array.from({ length: 3 }, (_, index) => ({ title: `Reauth gap ${index + 1}`, severity: 'high', framework: 'FedRAMP', control_id: `AC-${index + 1}`, description: 'gap' }));
    const posted = await service.app.inject({ method: 'POST', url: `/api/v1/cases/${created.json().id}/violations`, headers: bearer(admin), payload: { violations } });
    violationIds = (posted.json().violations as { id: string }[]).map((v) => v.id);
  });
  afterAll(async () => {
    await service?.close();
    await Promise.all([oauth?.close(), jira?.close()]);
  });

  const create = (index: number) =>
    service.app.inject({ method: 'POST', url: '/api/jira/tickets', headers: bearer(alice), payload: { user_id: 'alice', violation_id: violationIds[index], project_key: 'COMP', issue_type: 'Bug' } });

  it("a refused refresh stops the user's comment job for good with OAUTH_REAUTH_REQUIRED, after one token call", async () => {
    const ticket = await create(0);
    expect(ticket.statusCode, ticket.body).toBe(201);
    const [row] = await service.context.db.query<{ connection_id: string; id: string }>(`select id, connection_id::text as connection_id from tickets where external_key = $1`, [ticket.json().jira_ticket_key]);
    expect(row!.connection_id).toBe(aliceConnection);
    // alice's access token is due and Atlassian refuses her refresh token.
    await service.context.db.query(`update connections set expires_at = now() - interval '1 hour' where id = $1::uuid`, [aliceConnection]);
    oauth.admin.resetTokenCalls();
    oauth.admin.failNextTokenCall({ grantType: 'refresh_token', kind: 'error', status: 400, body: { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' } });
    const queued = await service.app.inject({ method: 'POST', url: `/api/v1/tickets/${row!.id}/comments`, headers: bearer(alice), payload: { text: 'never posted' } });
    expect(queued.statusCode, queued.body).toBe(202);
    const state = await waitFor(async () => {
      const found = await service.context.queue.stateOf('comment', queued.json().job_id);
      return found && found.state !== 'created' && found.state !== 'active' && found.state !== 'retry' ? found : null;
    });
    expect(state.state).toBe('failed');
    expect(state.error).toMatch(/must be connected again/);
    expect(oauth.admin.tokenCalls()).toMatchObject({ refresh_token: 1 });
    const view = await service.context.queue.get(await service.context.tenants.orgId('demo-org'), queued.json().job_id);
    expect(view?.attempts).toBe(1);
    const job = await service.app.inject({ method: 'GET', url: `/api/v1/jobs/${queued.json().job_id}`, headers: bearer(admin) });
    expect(JSON.stringify(job.json())).toMatch(/OAUTH_REAUTH_REQUIRED|must be connected again/);

    const status = await service.app.inject({ method: 'GET', url: '/api/jira/status?user_id=alice', headers: bearer(alice) });
    expect(status.json()).toMatchObject({ connected: false, status: 'reauth_required' });
    expect(status.json().action).toMatch(/connect again/);
  });

  it("falls back to the org's connection only once the org allows it", async () => {
    const refused = await create(1);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('OAUTH_REAUTH_REQUIRED');

    const notAdmin = await service.app.inject({ method: 'PUT', url: `/api/v1/connections/${orgConnection}/user-fallback`, headers: bearer(alice), payload: { enabled: true } });
    expect(notAdmin.statusCode).toBe(403);
    const allowed = await service.app.inject({ method: 'PUT', url: `/api/v1/connections/${orgConnection}/user-fallback`, headers: bearer(admin), payload: { enabled: true } });
    expect(allowed.json()).toEqual({ id: orgConnection, user_fallback: true });

    const created = await create(1);
    expect(created.statusCode, created.body).toBe(201);
    const [row] = await service.context.db.query<{ connection_id: string }>(`select connection_id::text as connection_id from tickets where external_key = $1`, [created.json().jira_ticket_key]);
    expect(row!.connection_id).toBe(orgConnection);
    // The audit trail names the user's connection the org's one stood in for, and why.
    const audits = await service.context.db.query<{ detail: { fallback_from?: { connection_id: string; reason: string } } }>(
      `select detail from audit_events where action = 'connections.user_fallback' and target_id = $1`,
      [orgConnection],
    );
    expect(audits.length).toBeGreaterThan(0);
    expect(audits[0]!.detail.fallback_from?.connection_id).toBeTruthy();
    expect(audits[0]!.detail.fallback_from?.reason).toBeTruthy();
  });

  it('a user disconnects their own connection, not the org one nor another user’s', async () => {
    const bob = await service.token({ subject: 'bob' });
    expect((await service.app.inject({ method: 'DELETE', url: `/api/v1/connections/${aliceConnection}`, headers: bearer(bob) })).statusCode).toBe(404);
    expect((await service.app.inject({ method: 'DELETE', url: `/api/v1/connections/${orgConnection}`, headers: bearer(alice) })).statusCode).toBe(403);
    expect((await service.app.inject({ method: 'DELETE', url: `/api/v1/connections/${aliceConnection}`, headers: bearer(alice) })).statusCode).toBe(204);
    const [row] = await service.context.db.query<{ status: string; secrets_encrypted: string | null }>(`select status, secrets_encrypted from connections where id = $1::uuid`, [aliceConnection]);
    expect(row).toEqual({ status: 'disconnected', secrets_encrypted: null });
  });

  it('a refresh token near its 90-day idle limit is counted by the metric and logged once', async () => {
    await service.context.db.query(`update connections set refresh_token_issued_at = now() - interval '80 days' where id = $1::uuid`, [orgConnection]);
    const scrape = async () => service.context.metrics.getSingleMetricAsString('integration_oauth_refresh_token_limit_connections');
    expect(await scrape()).toMatch(/integration_oauth_refresh_token_limit_connections\{limit="idle"\} 1/);
    expect(await scrape()).toMatch(/\{limit="absolute"\} 0/);
    expect(service.logs.filter((line) => line.includes('nears its idle limit') && line.includes(orgConnection))).toHaveLength(1);
  });
});
