/**
 * Connections over their life: per-request credentials map to one row even under concurrency;
 * disconnecting erases the secret but keeps the tickets; reconnecting the same site revives the row,
 * so a finding is still never filed twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionService } from '../../src/services/connections.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';

describe.each(databaseKinds())('connection lifecycle on %s', (kind) => {
  let fixture: JiraFixture;
  beforeAll(async () => {
    fixture = await startJiraFixture(kind);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('two concurrent requests with the same credentials share one connection row', async () => {
    const { context } = fixture.service;
    const service = new ConnectionService(context.db.orm, context.keyRing, context.outboundGuard);
    const orgId = await context.tenants.orgId('demo-org');
    const [a, b] = await Promise.all([
      service.ensureRequestConnection(orgId, 'jira-server', `${fixture.jira.url}/`, null),
      service.ensureRequestConnection(orgId, 'jira-server', fixture.jira.url.toUpperCase().replace('HTTP://', 'http://'), null),
    ]);
    expect(a.id).toBe(b.id);
    expect(await service.findRequestConnection(orgId, 'jira-server', fixture.jira.url, null)).toMatchObject({ id: a.id });
  });

  it('disconnect erases the secret and keeps the tickets; reconnecting revives the row and files nothing twice', async () => {
    const { violationIds } = await seedCase(fixture, 1);
    const post = (payload: object) => fixture.service.app.inject({ method: 'POST', url: '/api/jira/tickets', headers: fixture.auth, payload });
    const first = await post({ violation_id: violationIds[0], project_key: 'COMP', issue_type: 'Bug' });
    expect(first.statusCode).toBe(201);

    const removed = await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/connections/${fixture.connectionId}`, headers: fixture.auth });
    expect(removed.statusCode).toBe(204);
    const rows = await fixture.service.context.db.query<{ status: string; secrets_encrypted: string | null }>(
      'select status, secrets_encrypted from connections where id = $1',
      [fixture.connectionId],
    );
    expect(rows).toEqual([{ status: 'disconnected', secrets_encrypted: null }]);
    const tickets = await fixture.service.context.db.query('select id from tickets where connection_id = $1', [fixture.connectionId]);
    expect(tickets).toHaveLength(1);
    const without = await post({ violation_id: violationIds[0], project_key: 'COMP' });
    expect(without.statusCode).toBe(409);
    expect(without.json().error.code).toBe('NOT_CONNECTED');

    const again = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: fixture.auth,
      payload: { provider: 'jira-cloud', name: 'Sim Jira again', site_url: fixture.jira.url, email: fixture.jira.credentials.email, api_token: fixture.jira.credentials.apiToken },
    });
    expect(again.json().id).toBe(fixture.connectionId);
    const before = fixture.jira.admin.issues().length;
    const repeat = await post({ violation_id: violationIds[0], project_key: 'COMP', issue_type: 'Bug' });
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json().jira_ticket_key).toBe(first.json().jira_ticket_key);
    expect(fixture.jira.admin.issues().length).toBe(before);
  });
});
