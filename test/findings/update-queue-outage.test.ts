/**
 * `POST /api/v1/findings` writes the findings first and then queues `update` jobs for the tickets of
 * changed ones. When the queue fails at that point the findings are already stored: the answer is
 * the normal 200 with the new values (it was a 500, inviting a pointless retry), and the failure is
 * logged.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraFixture, startJiraFixture } from '../helpers/jira.ts';

describe('findings posted again while the job queue fails', () => {
  let fixture: JiraFixture;
  beforeAll(async () => {
    fixture = await startJiraFixture('embedded');
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('answers 200 with the stored values although the ticket update could not be queued', async () => {
    const { app, context } = fixture.service;
    const finding = (severity: string) => ({ kind: 'vulnerability', title: 'lodash prototype pollution', severity, ecosystem: 'npm', package_name: 'lodash', current_version: '4.17.15', fixed_version: '4.17.21', fingerprint: 'outage-lodash' });
    const first = await app.inject({ method: 'POST', url: '/api/v1/findings', headers: fixture.auth, payload: { findings: [finding('low')] } });
    expect(first.statusCode, first.body).toBe(200);
    const findingId = first.json().findings[0].id as string;
    const { orgId } = await context.tenants.resolve('demo-org', 'test_user');
    await context.db.query(
      `insert into tickets (id, org_id, finding_id, connection_id, provider, sync_state, external_id, external_key) values ($1, $2, $3, $4, 'jira-cloud', 'created', '10001', 'COMP-1')`,
      [randomUUID(), orgId, findingId, fixture.connectionId],
    );

    const enqueue = context.queue.enqueue.bind(context.queue);
    context.queue.enqueue = async () => {
      throw new Error('queue unavailable');
    };
    try {
      const again = await app.inject({ method: 'POST', url: '/api/v1/findings', headers: fixture.auth, payload: { findings: [finding('critical')] } });
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json().findings[0]).toMatchObject({ id: findingId, severity: 'critical' });
    } finally {
      context.queue.enqueue = enqueue;
    }
  }, 120_000);
});
