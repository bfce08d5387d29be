/**
 * `existing` is only said to a caller whose Jira credentials were checked in that run: a request with
 * wrong credentials for a finding that already has an issue fails with JIRA_AUTH_FAILED instead of
 * being handed the issue key (one cheap authenticated call per connection per run decides).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';

const vulnerability = {
  id: 'vuln-verified',
  package_name: 'lodash',
  ecosystem: 'npm',
  current_version: '4.17.15',
  fixed_version: '4.17.21',
  severity: 'high',
  cve_ids: ['CVE-2021-23337'],
  title: 'Command injection in lodash',
  description: 'lodash before 4.17.21 is vulnerable.',
};

describe('existing only after the credentials were verified', () => {
  let fixture: JiraFixture;
  beforeAll(async () => {
    fixture = await startJiraFixture('embedded', { searchLagMs: 0 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('seed 001: the same request with a wrong jira_pat gets PROVIDER_AUTH_FAILED, not the key', async () => {
    const payload = (pat: string) => ({
      items: [vulnerability],
      jira_issue_requests: [
        {
          jira_url: fixture.jira.url,
          jira_email: fixture.jira.credentials.email,
          jira_pat: pat,
          fields: { project: { key: 'COMP' }, issuetype: { name: 'Bug' }, summary: 'Upgrade lodash to 4.17.21' },
        },
      ],
    });
    const post = (pat: string) => fixture.service.app.inject({ method: 'POST', url: '/internal/create-issues-and-prs', headers: fixture.auth, payload: payload(pat) });
    const first = await post(fixture.jira.credentials.apiToken);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().results[0].jira.status).toBe('created');
    const key = first.json().results[0].jira.issue_key as string;

    const wrong = await post('not-the-api-token');
    expect(wrong.statusCode, wrong.body).toBe(200);
    expect(wrong.json().results[0].jira).toMatchObject({ status: 'failed', error_code: 'PROVIDER_AUTH_FAILED', issue_key: null });
    expect(wrong.body).not.toContain(key);

    const right = await post(fixture.jira.credentials.apiToken);
    expect(right.json().results[0].jira).toMatchObject({ status: 'existing', issue_key: key });
  });

  it('a stored connection whose token went bad: POST /api/v1/tickets for a ticketed finding is 502 PROVIDER_AUTH_FAILED', async () => {
    const { violationIds } = await seedCase(fixture, 1, 'Verified case');
    const post = () => fixture.service.app.inject({ method: 'POST', url: '/api/v1/tickets', headers: fixture.auth, payload: { finding_id: violationIds[0], project_key: 'COMP' } });
    const created = await post();
    expect(created.statusCode, created.body).toBe(201);
    // Disconnect and reconnect the same site with a wrong token: the row (and its ticket) is revived.
    expect((await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/connections/${fixture.connectionId}`, headers: fixture.auth })).statusCode).toBe(204);
    const revived = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: fixture.auth,
      payload: { provider: 'jira-cloud', name: 'Sim Jira', site_url: fixture.jira.url, email: fixture.jira.credentials.email, api_token: 'revoked-token' },
    });
    expect(revived.json().id).toBe(fixture.connectionId);
    const again = await post();
    expect(again.statusCode, again.body).toBe(502);
    expect(again.json().error.code).toBe('PROVIDER_AUTH_FAILED');
    expect(again.body).not.toContain(created.json().external_key);
  });
});
