/**
 * POST /api/v1/cases/{id}/report (issue 11): an audit case's remediation report published as a
 * Confluence page (storage format) through the organization's Atlassian OAuth connection (the gateway
 * /ex/confluence/{cloudId}), then updated in place (same page, version + 1, not a second page), and
 * a concurrent edit between our read and our write (409) re-read and retried once. Real HTTP against
 * the Atlassian OAuth, Jira Cloud and Confluence simulators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AtlassianOAuthSimulator, startAtlassianOAuthSimulator } from '../simulators/atlassian-oauth/index.ts';
import { type ConfluenceSimulator, startConfluenceSimulator } from '../simulators/confluence/index.ts';
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../simulators/jira/cloud/index.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';

const REDIRECT = 'http://localhost:3001/api/jira/callback';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('case remediation report on Confluence', () => {
  let oauth: AtlassianOAuthSimulator;
  let jira: JiraCloudSimulator;
  let confluence: ConfluenceSimulator;
  let service: TestService;
  let admin: string;
  let alice: string;
  let caseId: string;
  let ticketKey: string;

  beforeAll(async () => {
    let sim: AtlassianOAuthSimulator | null = null;
    const validateBearer = (t: string) => (sim ? sim.validateAccessToken(t) : { ok: false as const, reason: 'unknown' as const });
    jira = await startJiraCloudSimulator({ searchLagMs: 0, validateBearer });
    confluence = await startConfluenceSimulator({ cloudId: jira.cloudId, validateBearer, acceptClassicScopes: true });
    sim = await startAtlassianOAuthSimulator({ redirectUris: [REDIRECT], sites: [{ cloudId: jira.cloudId, url: 'https://sim-site.atlassian.net', name: 'sim-site' }], products: { jira: jira.url, confluence: confluence.url } });
    oauth = sim;
    service = await startTestService('embedded', { ATLASSIAN_AUTH_URL: oauth.url, ATLASSIAN_API_URL: oauth.apiUrl, JIRA_CLIENT_ID: oauth.clientId, JIRA_CLIENT_SECRET: oauth.clientSecret, JIRA_REDIRECT_URI: REDIRECT });
    admin = await service.token({ subject: 'root', roles: ['admin'] });
    alice = await service.token({ subject: 'alice' });
    const started = await service.app.inject({ method: 'GET', url: '/api/jira/connect?owner=organization', headers: bearer(admin) });
    const browser = await fetch(started.json().authorization_url as string, { redirect: 'manual' });
    const back = new URL(browser.headers.get('location') ?? '');
    back.searchParams.set('format', 'json');
    expect((await service.app.inject({ method: 'GET', url: `/api/jira/callback?${back.searchParams}` })).statusCode).toBe(200);

    const created = await service.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(admin), payload: { name: 'SOC 2 <2026>', framework: 'SOC2' } });
    caseId = created.json().id;
    const violations = [
      { title: 'MFA not enforced for admins', severity: 'critical', framework: 'SOC2', control_id: 'CC6.1', description: 'x' },
      { title: 'Logs kept 30 days', severity: 'medium', framework: 'SOC2', control_id: 'CC7.2', description: 'y' },
    ];
    const posted = await service.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/violations`, headers: bearer(admin), payload: { violations } });
    const first = posted.json().violations[0].id as string;
    const ticket = await service.app.inject({ method: 'POST', url: '/api/jira/tickets', headers: bearer(alice), payload: { user_id: 'alice', violation_id: first, project_key: 'COMP', issue_type: 'Bug' } });
    expect(ticket.statusCode, ticket.body).toBe(201);
    ticketKey = ticket.json().jira_ticket_key;
  });
  afterAll(async () => {
    await service?.close();
    await Promise.all([oauth?.close(), jira?.close(), confluence?.close()]);
  });

  const publish = () => service.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/report`, headers: bearer(alice), payload: { space_key: 'SEC' } });
  const reportPages = () => confluence.admin.pages('SEC').filter((page) => page.title === 'Remediation report: SOC 2 <2026>' && page.status === 'current');

  it('publishes the report through the OAuth gateway, then updates the same page', async () => {
    const first = await publish();
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ created: true, version: 1, violations: 2, tickets: 1, space_key: 'SEC' });
    const [page] = reportPages();
    expect(page!.id).toBe(first.json().page_id);
    const body = page!.versions.at(-1)!.body;
    expect(body.representation).toBe('storage');
    expect(body.value).toContain('MFA not enforced for admins');
    expect(body.value).toContain(ticketKey);
    expect(body.value).toContain('SOC 2 &lt;2026&gt;');
    expect(confluence.admin.received({ method: 'POST', path: new RegExp(`^/ex/confluence/${jira.cloudId}/wiki/api/v2/pages$`) })).toHaveLength(1);

    await service.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/violations`, headers: bearer(admin), payload: { violations: [{ title: 'Backups untested', severity: 'high', framework: 'SOC2', control_id: 'A1.2', description: 'z' }] } });
    const second = await publish();
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toMatchObject({ created: false, version: 2, page_id: first.json().page_id, violations: 3 });
    // The stored page id was read back (GET /pages/{id}), not looked up by title.
    expect(confluence.admin.received({ method: 'GET', path: new RegExp(`/pages/${first.json().page_id}$`) }).length).toBeGreaterThan(0);
    expect(reportPages()).toHaveLength(1);
    expect(reportPages()[0]!.versions.at(-1)!.body.value).toContain('Backups untested');
  });

  it('a person editing the page between our read and our write: one 409, re-read, and the update lands', async () => {
    const [page] = reportPages();
    const before = page!.versions.length;
    // Right after our read of the page is answered, someone saves a version in the browser.
    const pages = confluence.admin.store.pages;
    const originalGet = pages.get.bind(pages);
    let armed = true;
    pages.get = (id: string) => {
      const found = originalGet(id);
      if (armed && id === page!.id) {
        armed = false;
        setImmediate(() => confluence.admin.editPageDirectly(page!.id, { value: '<p>edited by a person</p>' }));
      }
      return found;
    };
    try {
      const third = await publish();
      expect(third.statusCode, third.body).toBe(200);
      expect(third.json(), third.body).toMatchObject({ created: false, version: before + 2, page_id: page!.id });
    } finally {
      pages.get = originalGet;
    }
    const puts = confluence.admin.received({ method: 'PUT' }).filter((request) => request.path.endsWith(`/pages/${page!.id}`));
    expect(puts.map((request) => request.status).slice(-2)).toEqual([409, 200]);
    expect(reportPages()).toHaveLength(1);
    expect(reportPages()[0]!.versions.at(-1)!.body.value).toContain('MFA not enforced for admins');
  });

  it("through a user's own Confluence API-token connection (preferred over the org's OAuth one), tested first", async () => {
    const added = await service.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: bearer(alice),
      payload: { provider: 'confluence', name: 'My Confluence', user_id: 'alice', site_url: confluence.url, email: confluence.credentials.email, api_token: confluence.credentials.apiToken },
    });
    expect(added.statusCode, added.body).toBe(201);
    const tested = await service.app.inject({ method: 'POST', url: `/api/v1/connections/${added.json().id}/test`, headers: bearer(alice) });
    expect(tested.json(), tested.body).toMatchObject({ ok: true });
    const before = confluence.admin.received({ method: 'PUT', path: /^\/wiki\/api\/v2\/pages\// }).length;
    const response = await publish();
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ created: false, connection_id: added.json().id });
    expect(confluence.admin.received({ method: 'PUT', path: /^\/wiki\/api\/v2\/pages\// }).length).toBe(before + 1);
    expect(reportPages()).toHaveLength(1);
  });

  it('without any Confluence access: a clear 409', async () => {
    const other = await service.token({ subject: 'nobody', org: 'other-org', roles: ['admin'] });
    const created = await service.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(other), payload: { name: 'Empty', framework: 'SOC2' } });
    const response = await service.app.inject({ method: 'POST', url: `/api/v1/cases/${created.json().id}/report`, headers: bearer(other), payload: { space_key: 'SEC' } });
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toMatchObject({ code: 'NOT_CONNECTED' });
  });
});
