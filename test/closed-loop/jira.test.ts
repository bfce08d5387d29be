/**
 * The closed loop on Jira, over real HTTP: a finding's ticket and its fix PR; a signed GitHub
 * `pull_request` closed + merged webhook → a `transition` job walks the Jira simulator's workflow
 * (To Do → In Progress → In Review → Done, no direct transition) → a comment with the merge commit and
 * PR URL → the finding resolved; the webhooks our own transitions cause come back and move nothing.
 * Closed unmerged → a comment, the ticket stays open. A reopened finding reopens its ticket. A status
 * change whose webhook was dropped is healed by the periodic sync (one apply path with webhooks), and
 * the forced single-ticket sync uses the same path.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { queueTicketSyncs, syncConnection } from '../../src/services/sync/index.ts';
import { queueTicketReopens } from '../../src/services/webhooks/closed-loop.ts';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';
import { waitFor } from '../helpers/wait.ts';
import { USERS } from '../simulators/jira/shared/seed.ts';
import { deliveriesOf, endpoints, type EndpointJson, hmacHex, type ListeningService, post } from '../webhooks/helpers.ts';

const human = USERS.find((user) => user.name === 'alice')!;

describe('closed loop on Jira', () => {
  let fixture: JiraFixture;
  let listening: ListeningService;
  let hooks: Record<'jira' | 'servicenow' | 'github', EndpointJson>;
  let orgId: string;

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded');
    await fixture.service.app.listen({ host: '127.0.0.1', port: 0 });
    const address = fixture.service.app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    listening = { service: fixture.service, url, admin: fixture.auth, member: fixture.auth, close: async () => {} };
    await fixture.service.context.queue.work(productHandlers(fixture.service.context), 2);
    hooks = await endpoints(listening);
    orgId = await fixture.service.context.tenants.orgId('demo-org');
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const db = () => fixture.service.context.db;

  const ticketFor = async () => {
    const { violationIds } = await seedCase(fixture, 1);
    const created = await fixture.service.app.inject({ method: 'POST', url: '/api/jira/tickets', headers: fixture.auth, payload: { violation_id: violationIds[0], project_key: 'SEC', issue_type: 'Bug' } });
    expect(created.statusCode).toBeLessThan(300);
    const ticket = created.json() as { id: string; jira_ticket_key: string };
    return { ticketId: ticket.id, key: ticket.jira_ticket_key, findingId: violationIds[0]! };
  };

  const row = async (ticketId: string) =>
    (await db().query<{ external_status: string; state: string; finding_state: string; resolved_at: string | null; state_reason: string | null }>(
      `select t.external_status, t.state, f.state as finding_state, f.resolved_at::text as resolved_at, f.state_reason
         from tickets t join findings f on f.id = t.finding_id where t.id = $1::uuid`,
      [ticketId],
    ))[0]!;

  /** Our fix PR for the ticket's finding, linked to the ticket. */
  const fixPr = async (ticketId: string, findingId: string, number: number) => {
    const [pr] = await db().query<{ id: string }>(
      "insert into pull_requests (org_id, repo_url, branch, base_branch, number, url, title, state) values ($1::uuid, 'https://github.com/acme/app', $2, 'main', $3, $4, 'Fix', 'open') returning id::text as id",
      [orgId, `fix/loop-${number}`, number, `https://github.com/acme/app/pull/${number}`],
    );
    await db().query('insert into pull_request_tickets (pull_request_id, ticket_id) values ($1::uuid, $2::uuid)', [pr!.id, ticketId]);
    await db().query('insert into pull_request_findings (pull_request_id, finding_id) values ($1::uuid, $2::uuid)', [pr!.id, findingId]);
    return `https://github.com/acme/app/pull/${number}`;
  };

  const sendPullRequestClosed = async (number: number, merged: boolean, sha: string) => {
    const body = JSON.stringify({
      action: 'closed',
      number,
      pull_request: { number, html_url: `https://github.com/acme/app/pull/${number}`, state: 'closed', merged, merged_at: merged ? new Date().toISOString() : null, merge_commit_sha: sha, head: { sha: 'f'.repeat(40), ref: `fix/loop-${number}` } },
      repository: { full_name: 'acme/app', html_url: 'https://github.com/acme/app' },
    });
    const result = await post(hooks.github.endpoint_url, body, { 'x-hub-signature-256': `sha256=${hmacHex(hooks.github.secret!, body)}`, 'x-github-event': 'pull_request', 'x-github-delivery': randomUUID() });
    expect(result.status).toBe(202);
  };

  const commentsText = (key: string) => JSON.stringify(fixture.jira.admin.comments(key).map((comment) => comment.body));

  it('a status change whose webhook was dropped is healed by the periodic sync; the forced sync applies the same way', async () => {
    // No Jira webhook is registered yet: every delivery of this change is lost.
    const { ticketId, key } = await ticketFor();
    fixture.jira.admin.transitionIssueDirectly(key, 'In Progress', human);
    fixture.jira.admin.transitionIssueDirectly(key, 'In Review', human);
    fixture.jira.admin.transitionIssueDirectly(key, 'Done', human);
    expect((await row(ticketId)).finding_state).toBe('backlog');

    // The scheduler's tick: one `sync` job per ticketing connection, run by the worker.
    expect(await queueTicketSyncs(fixture.service.context)).toBe(1);
    const healed = await waitFor(async () => {
      const current = await row(ticketId);
      return current.finding_state === 'done' ? current : null;
    });
    expect(healed).toMatchObject({ external_status: 'Done', state: 'done', finding_state: 'done' });
    expect(healed.resolved_at).not.toBeNull();
    // The cursor moved to the newest change seen: a second run reads only the minute's edge again.
    const again = await syncConnection(fixture.service.context, orgId, fixture.connectionId);
    expect(new Date(again.since).getTime()).toBeGreaterThan(Date.now() - 3_600_000);
    expect(again.applied).toBe(0);

    // Reopened in Jira, still without a webhook: the forced sync (seed 002's route) reopens the finding.
    fixture.jira.admin.transitionIssueDirectly(key, 'To Do', human);
    const forced = await fixture.service.app.inject({ method: 'POST', url: `/api/jira/tickets/${ticketId}/sync`, headers: fixture.auth });
    expect(forced.statusCode).toBe(200);
    const reopened = await row(ticketId);
    expect(reopened).toMatchObject({ external_status: 'To Do', state: 'todo', finding_state: 'todo', resolved_at: null });
    expect(reopened.state_reason).toMatch(/^reopened: /);
  });

  it('PR merged → the ticket walks the workflow to Done with a comment naming the merge commit → the finding is resolved; our transitions are not bounced back', async () => {
    fixture.jira.admin.registerWebhook({ url: hooks.jira.url, secret: hooks.jira.secret!, jiraSignatureHeader: true });
    const { ticketId, key, findingId } = await ticketFor();
    const prUrl = await fixPr(ticketId, findingId, 101);
    const sha = 'a1b2c3d4'.repeat(5);
    await sendPullRequestClosed(101, true, sha);

    const done = await waitFor(async () => {
      const current = await row(ticketId);
      return current.finding_state === 'done' ? current : null;
    });
    expect(done).toMatchObject({ external_status: 'Done', state: 'done', finding_state: 'done' });
    expect(done.state_reason).toContain(prUrl);
    // Jira: no transition goes from To Do to Done; the walk took every step, never "Won't Do".
    expect(fixture.jira.admin.transitions(key).map((step) => step.to)).toEqual(['In Progress', 'In Review', 'Done']);
    expect(commentsText(key)).toContain(sha);
    expect(commentsText(key)).toContain(prUrl);

    // The webhooks our three transitions caused were recognised as ours and moved nothing.
    await fixture.jira.admin.waitForWebhooks();
    const ours = await waitFor(async () => {
      const page = await deliveriesOf(listening, hooks.jira.id, '?limit=200');
      const mine = page.deliveries.filter((delivery) => delivery.detail?.includes(key) || delivery.error?.includes(key));
      return mine.length >= 4 && mine.every((delivery) => ['processed', 'ignored', 'failed'].includes(delivery.outcome)) ? mine : null;
    });
    expect(ours.every((delivery) => delivery.outcome === 'ignored')).toBe(true);
    expect(await row(ticketId)).toMatchObject({ state: 'done', finding_state: 'done' });

    // A re-delivered merge (new delivery id) posts no second comment and changes nothing.
    const comments = fixture.jira.admin.comments(key).length;
    await sendPullRequestClosed(101, true, sha);
    await waitFor(async () => {
      const page = await deliveriesOf(listening, hooks.github.id, '?limit=200');
      return page.deliveries.every((delivery) => !['received', 'queued', 'processing'].includes(delivery.outcome)) ? true : null;
    });
    expect(fixture.jira.admin.comments(key).length).toBe(comments);

    // The finding comes back (a scan reopened it): the ticket is reopened in Jira.
    await db().query("update findings set state = 'todo', resolved_at = null where id = $1::uuid", [findingId]);
    expect(await queueTicketReopens(fixture.service.context, orgId, [findingId], 'scan s1 of acme/app')).toBe(1);
    await waitFor(async () => (fixture.jira.admin.transitions(key).at(-1)?.to === 'To Do' ? true : null));
    await waitFor(async () => ((await row(ticketId)).state === 'todo' ? true : null));
  });

  it('PR closed without merge → a comment; the ticket stays open', async () => {
    const { ticketId, key, findingId } = await ticketFor();
    const prUrl = await fixPr(ticketId, findingId, 102);
    await sendPullRequestClosed(102, false, 'e'.repeat(40));
    await waitFor(async () => (commentsText(key).includes(prUrl) ? true : null));
    expect(commentsText(key)).toMatch(/closed without merging/);
    expect(fixture.jira.admin.transitions(key)).toEqual([]);
    expect(await row(ticketId)).toMatchObject({ finding_state: 'backlog' });
  });
});
