/**
 * Tickets over an Atlassian OAuth connection (issue 11): seed 002's ticket routes with user_id, the
 * v1 bulk route, comments and sync go through the gateway (ATLASSIAN_API_URL/ex/jira/{cloudId}) with
 * the connection's bearer token, and an access token that expires in the middle of a batch is
 * refreshed once (through the Atlassian refresher: rotation kept, one token call) and the batch goes on.
 * Real HTTP against the Atlassian OAuth and Jira Cloud simulators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AtlassianOAuthSimulator, startAtlassianOAuthSimulator } from '../simulators/atlassian-oauth/index.ts';
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../simulators/jira/cloud/index.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';
import { waitFor } from '../helpers/wait.ts';
import { productHandlers } from '../../src/jobs/handlers/index.ts';

const REDIRECT = 'http://localhost:3001/api/jira/callback';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(databaseKinds())('tickets over Atlassian OAuth on %s', (kind) => {
  let oauth: AtlassianOAuthSimulator;
  let jira: JiraCloudSimulator;
  let service: TestService;
  let alice: string;
  let caseId: string;
  let violationIds: string[];

  beforeAll(async () => {
    let sim: AtlassianOAuthSimulator | null = null;
    jira = await startJiraCloudSimulator({ searchLagMs: 0, validateBearer: (t) => (sim ? sim.validateAccessToken(t) : { ok: false, reason: 'unknown' }) });
    sim = await startAtlassianOAuthSimulator({ redirectUris: [REDIRECT], sites: [{ cloudId: jira.cloudId, url: 'https://sim-site.atlassian.net', name: 'sim-site' }], products: { jira: jira.url } });
    oauth = sim;
    service = await startTestService(kind, { ATLASSIAN_AUTH_URL: oauth.url, ATLASSIAN_API_URL: oauth.apiUrl, JIRA_CLIENT_ID: oauth.clientId, JIRA_CLIENT_SECRET: oauth.clientSecret, JIRA_REDIRECT_URI: REDIRECT });
    await service.context.queue.work(productHandlers(service.context), 2);
    alice = await service.token({ subject: 'alice' });
    // alice connects her own Jira over OAuth (the browser's part: follow the URL, deliver the redirect).
    const connect = await service.app.inject({ method: 'GET', url: '/api/jira/connect?user_id=alice', headers: bearer(alice) });
    const browser = await fetch(connect.json().authorization_url as string, { redirect: 'manual' });
    const back = new URL(browser.headers.get('location') ?? '');
    back.searchParams.set('format', 'json');
    const done = await service.app.inject({ method: 'GET', url: `/api/jira/callback?${back.searchParams}` });
    expect(done.statusCode, done.body).toBe(200);

    const admin = await service.token({ subject: 'alice', roles: ['admin'] });
    const created = await service.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(admin), payload: { name: 'OAuth audit', framework: 'FedRAMP' } });
    caseId = created.json().id as string;
    const violations = Array.from({ length: 6 }, (_, index) => ({ title: `OAuth control gap ${index + 1}`, severity: 'high', framework: 'FedRAMP', control_id: `AC-${index + 1}`, description: 'gap' }));
    const posted = await service.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/violations`, headers: bearer(admin), payload: { violations } });
    expect(posted.statusCode, posted.body).toBeLessThan(300);
    violationIds = (posted.json().violations as { id: string }[]).map((v) => v.id);
  });
  afterAll(async () => {
    await service?.close();
    await Promise.all([oauth?.close(), jira?.close()]);
  });

  const post = (url: string, payload: object) => service.app.inject({ method: 'POST', url, headers: bearer(alice), payload });

  it('seed 002 single create with user_id goes through the gateway with the bearer token', async () => {
    const response = await post('/api/jira/tickets', { user_id: 'alice', violation_id: violationIds[0], project_key: 'COMP', issue_type: 'Bug', priority: 'High' });
    expect(response.statusCode, response.body).toBe(201);
    const key = response.json().jira_ticket_key as string;
    expect(jira.admin.issue(key)).toBeTruthy();
    // The browse link is the site's, not the gateway's.
    expect(response.json().jira_ticket_url).toBe(`https://sim-site.atlassian.net/browse/${key}`);
    const creates = jira.admin.received({ method: 'POST', path: '/rest/api/3/issue' });
    expect(creates.length).toBeGreaterThan(0);
    expect(String(creates.at(-1)!.headers.authorization)).toMatch(/^Bearer /);
  });

  it('an access token that expires mid-batch is refreshed once and the bulk create finishes', async () => {
    oauth.admin.resetTokenCalls();
    // The simulator's clock jumps past the token's life: the gateway now answers 401 to the stored token.
    oauth.admin.advanceClock(2 * 3600_000);
    const response = await post('/api/jira/tickets/bulk-create', { user_id: 'alice', case_id: caseId, project_key: 'COMP', issue_type: 'Bug' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ total: 6, created: 5, existing: 1, failed: 0 });
    expect(oauth.admin.tokenCalls()).toMatchObject({ refresh_token: 1, total: 1 });
    const [row] = await service.context.db.query<{ status: string }>(`select status from connections where auth_kind = 'oauth2'`);
    expect(row!.status).toBe('active');
  });

  it('comments (a job) and sync work over OAuth', async () => {
    const listed = await service.app.inject({ method: 'GET', url: '/api/v1/tickets?limit=1', headers: bearer(alice) });
    const ticket = listed.json().tickets[0];
    const queued = await post(`/api/v1/tickets/${ticket.id}/comments`, { text: 'Fixed over OAuth.' });
    expect(queued.statusCode, queued.body).toBe(202);
    const comments = await waitFor(async () => {
      const list = jira.admin.comments(ticket.external_key);
      return list.length > 0 ? list : null;
    });
    expect(JSON.stringify(comments[0]!.body)).toContain('Fixed over OAuth.');
    jira.admin.transitionIssueDirectly(ticket.external_key, 'In Review');
    const synced = await post(`/api/jira/tickets/${ticket.id}/sync`, {});
    expect(synced.statusCode, synced.body).toBe(200);
    expect(synced.json().status).toBe('In Review');
  });
});
