/**
 * The periodic sync's JQL date in the connection account's time zone. Jira reads an absolute JQL date
 * (`updated >= "2026/03/01 10:00"`) in the searching user's profile zone; the cursor used to be
 * written in UTC, so an account west of UTC (New York: five hours behind in winter) asked for changes
 * from hours in the future and the sync found none of them. The simulator reads JQL dates in the
 * user's zone, as Jira does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jqlMinute } from '../../../src/providers/jira/ticketing.ts';
import type { TicketingClient } from '../../../src/providers/ticketing/types.ts';
import { startJiraCloudSimulator } from '../../simulators/jira/cloud/index.ts';
import { parseJqlDate } from '../../simulators/jira/shared/jql-eval.ts';
import { cloudTicketing, outbound } from './helpers.ts';

describe('JQL dates in the account’s time zone', () => {
  it('writes an instant as the account’s wall time, to the minute (UTC when the zone is unknown)', () => {
    const instant = new Date('2026-03-01T15:04:59.900Z');
    expect(jqlMinute(instant, 'America/New_York')).toBe('2026/03/01 10:04');
    expect(jqlMinute(instant, 'Asia/Kolkata')).toBe('2026/03/01 20:34');
    expect(jqlMinute(new Date('2026-07-01T15:04:00Z'), 'Europe/Paris')).toBe('2026/07/01 17:04');
    expect(jqlMinute(instant, null)).toBe('2026/03/01 15:04');
    expect(jqlMinute(instant, 'Mars/Olympus_Mons')).toBe('2026/03/01 15:04');
    expect(jqlMinute(new Date('2026-12-31T23:30:00Z'), 'Pacific/Kiritimati')).toBe('2027/01/01 13:30');
  });

  it('the simulator reads an absolute date in the user’s zone, a period relative to now', () => {
    expect(parseJqlDate('2026/03/01 10:04', 0, 'updated', 'America/New_York')).toBe(Date.parse('2026-03-01T15:04:00Z'));
    expect(parseJqlDate('2026-07-01 17:04', 0, 'updated', 'Europe/Paris')).toBe(Date.parse('2026-07-01T15:04:00Z'));
    expect(parseJqlDate('2026/03/01', 0, 'updated', 'Asia/Kolkata')).toBe(Date.parse('2026-02-28T18:30:00Z'));
    expect(parseJqlDate('2026/03/01 10:04', 0, 'updated')).toBe(Date.parse('2026-03-01T10:04:00Z'));
    expect(parseJqlDate('-5m', 1_000_000, 'updated', 'America/New_York')).toBe(700_000);
  });

  describe.each(['America/New_York', 'Asia/Kolkata', 'UTC'])('the sync of an account in %s', (timeZone) => {
    let sim: Awaited<ReturnType<typeof startJiraCloudSimulator>>;
    let http: ReturnType<typeof outbound>;
    let ticketing: TicketingClient;

    beforeAll(async () => {
      sim = await startJiraCloudSimulator({ searchLagMs: 0 });
      sim.admin.store.users[0]!.timeZone = timeZone;
      http = outbound();
      ticketing = cloudTicketing(sim, http, { connectionId: `tz-${timeZone}`, searchConsistencyMs: 0 });
    });
    afterAll(async () => {
      await http?.close();
      await sim?.close();
    });

    it('finds a ticket changed a minute after the cursor, and asks with the cursor in the account’s zone', async () => {
      const since = new Date(Date.now() - 60_000);
      const issue = sim.admin.createIssueDirectly({ project: 'SEC', summary: `changed in ${timeZone}`, labels: ['fp-tz'] });
      sim.admin.transitionIssueDirectly(issue.key, 'In Progress');
      sim.admin.requests.clear();
      const changed = await ticketing.listChangedSince(since, 50);
      expect(changed.map((state) => state.ref.key)).toContain(issue.key);
      expect(changed.find((state) => state.ref.key === issue.key)?.status.name).toBe('In Progress');
      const asked = sim.admin.requests.entries
        .filter((entry) => entry.path.includes('/search'))
        .map((entry) => `${decodeURIComponent(entry.path).replaceAll('+', ' ')} ${(entry.body as { jql?: string } | null)?.jql ?? ''}`)
        .join('\n');
      expect(asked).toContain(`updated >= "${jqlMinute(since, timeZone)}"`);
    });
  });
});
