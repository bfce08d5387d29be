/**
 * Large batches claim their rows one bulk call at a time, right before sending: an intent recorded
 * long before its create could outlive the search-consistency window and invite a duplicate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFindings } from '../../src/services/findings.ts';
import { subjectOf } from '../../src/services/tickets/subject.ts';
import { TicketService } from '../../src/services/tickets/ticket-service.ts';
import { type JiraFixture, startJiraFixture } from '../helpers/jira.ts';

describe('exactly-once claims per bulk call', () => {
  let fixture: JiraFixture;
  beforeAll(async () => {
    fixture = await startJiraFixture('embedded');
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('stamps at most 50 intents ahead of what has been sent', async () => {
    const posted = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/v1/findings',
      headers: fixture.auth,
      payload: {
        findings: Array.from({ length: 120 }, (_, index) => ({
          kind: 'vulnerability',
          title: `chunk finding ${index}`,
          severity: 'low',
          ecosystem: 'npm',
          package_name: `chunk-${index}`,
          current_version: '1.0.0',
          fixed_version: '1.0.1',
        })),
      },
    });
    const ids = posted.json().findings.map((finding: { id: string }) => finding.id) as string[];
    const db = fixture.service.context.db;
    const outstanding: number[] = [];
    const service = new TicketService(fixture.service.context, {
      consistencyWindowMs: 30_000,
      afterRemoteCreate: async () => {
        const [row] = await db.query<{ n: number }>("select count(*)::int as n from tickets where create_requested_at is not null and sync_state <> 'created'");
        outstanding.push(row!.n);
      },
    });
    const tenant = await fixture.service.context.tenants.resolve('demo-org', 'test_user');
    const session = await service.sessionFor(tenant, 'test_user', fixture.connectionId);
    const findings = await getFindings(db.orm, tenant.orgId, ids);
    const { results } = await service.draft(session, ids.map((id) => subjectOf(findings.get(id)!)), { projectKey: 'SEC', issueType: 'Bug' });
    const outcomes = await service.create(session, tenant, results.flatMap((result) => (result.ok ? [result.draft] : [])));
    expect(outcomes.every((outcome) => outcome.kind === 'created')).toBe(true);
    expect(outstanding).toEqual([50, 50, 20]);
  });
});
