/**
 * The periodic sync's changed-since cursor lives in the database (connections.sync_cursor), which
 * every worker shares and which survives restarts. It was kept in the shared state, which without
 * REDIS_URL is one process's memory: another worker (or the same one after a restart) started again
 * from the 24 h look-back, and a change older than that whose webhook was lost was never healed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.ts';
import { DEFAULT_LOOKBACK_MS, readSyncCursor, syncConnection } from '../../src/services/sync/index.ts';
import { createMemorySharedState } from '../../src/shared-state/index.ts';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';
import { USERS } from '../simulators/jira/shared/seed.ts';

const human = USERS.find((user) => user.name === 'alice')!;

describe('sync cursor shared by every worker', () => {
  let fixture: JiraFixture;
  let orgId: string;

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded');
    orgId = await fixture.service.context.tenants.orgId('demo-org');
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('a second worker (its own in-memory shared state, the same database) continues from the first one’s cursor, and it only moves forward', async () => {
    const { violationIds } = await seedCase(fixture, 1);
    const created = await fixture.service.app.inject({ method: 'POST', url: '/api/jira/tickets', headers: fixture.auth, payload: { violation_id: violationIds[0], project_key: 'SEC', issue_type: 'Bug' } });
    expect(created.statusCode).toBeLessThan(300);
    const key = (created.json() as { jira_ticket_key: string }).jira_ticket_key;
    fixture.jira.admin.transitionIssueDirectly(key, 'In Progress', human);

    const first = await syncConnection(fixture.service.context, orgId, fixture.connectionId);
    expect(first.changed).toBeGreaterThanOrEqual(1);
    const cursor = await readSyncCursor(fixture.service.context, fixture.connectionId);
    expect(cursor?.toISOString()).toBe(first.cursor);

    // Another worker process without Redis: the same database, a fresh shared state of its own.
    const other: AppContext = { ...fixture.service.context, sharedState: createMemorySharedState() };
    const second = await syncConnection(other, orgId, fixture.connectionId);
    expect(second.since).toBe(first.cursor);
    expect(Date.parse(second.since)).toBeGreaterThan(Date.now() - DEFAULT_LOOKBACK_MS + 3_600_000);

    // A worker that ran with an older view never moves it back.
    const { writeSyncCursor } = await import('../../src/services/sync/index.ts');
    await writeSyncCursor(other, fixture.connectionId, new Date(Date.parse(first.cursor) - 3_600_000));
    expect((await readSyncCursor(fixture.service.context, fixture.connectionId))?.toISOString()).toBe(second.cursor);
  });
});
