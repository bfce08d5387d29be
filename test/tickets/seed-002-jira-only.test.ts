/**
 * Seed 002's /api/jira routes are Jira's: in an organization that connected Jira and, later,
 * ServiceNow, `POST /api/jira/tickets` without a connection still files in Jira (before, the newest
 * ticketing connection won and the "Jira" ticket became a ServiceNow incident), and
 * `GET /api/jira/tickets` lists Jira's tickets only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../simulators/servicenow/index.ts';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';

describe('seed 002 routes with Jira and ServiceNow both connected', () => {
  let fixture: JiraFixture;
  let sn: ServiceNowSimulator;

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded');
    sn = await startServiceNowSimulator({ outbound: null });
  });
  afterAll(async () => {
    await sn?.close();
    await fixture?.close();
  });

  it('files and lists in Jira although ServiceNow is the newest ticketing connection', async () => {
    const { app } = fixture.service;
    const servicenow = await app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: fixture.auth,
      payload: { provider: 'servicenow', auth_kind: 'basic', name: 'Sim SN', instance_url: sn.url, username: sn.credentials.username, password: sn.credentials.password },
    });
    expect(servicenow.statusCode, servicenow.body).toBe(201);
    const { violationIds } = await seedCase(fixture, 2);

    const filed = await app.inject({ method: 'POST', url: '/api/jira/tickets', headers: fixture.auth, payload: { violation_id: violationIds[0], project_key: 'COMP' } });
    expect(filed.statusCode, filed.body).toBe(201);
    expect(filed.json().jira_ticket_key).toMatch(/^COMP-\d+$/);
    expect(fixture.jira.admin.issues()).toHaveLength(1);
    expect(sn.admin.records('incident')).toHaveLength(0);

    // The same org's ServiceNow ticket, asked for by connection on the generic route…
    const incident = await app.inject({ method: 'POST', url: '/api/v1/tickets', headers: fixture.auth, payload: { finding_id: violationIds[1], connection_id: servicenow.json().id } });
    expect(incident.statusCode, incident.body).toBeLessThan(300);
    expect(sn.admin.records('incident')).toHaveLength(1);

    // …is not one of seed 002's Jira tickets.
    const listed = await app.inject({ method: 'GET', url: '/api/jira/tickets', headers: fixture.auth });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().tickets.map((ticket: { violation_id: string }) => ticket.violation_id)).toEqual([violationIds[0]]);
  }, 120_000);
});
