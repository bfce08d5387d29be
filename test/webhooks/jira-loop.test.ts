/**
 * Jira → us, through the Jira Cloud simulator's signed admin webhooks over real HTTP: a person moving
 * an issue to Done updates our ticket (status, priority, internal state through the mapping) and
 * resolves its finding; Reopen reopens it; the category fallback maps an unknown done status; our own
 * changes (made with the connection's account, or reporting what we last wrote) move nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { recordOwnWrite } from '../../src/services/webhooks/loop-guard.ts';
import { type JiraFixture, seedCase, startJiraFixture } from '../helpers/jira.ts';
import { waitFor } from '../helpers/wait.ts';
import { USERS } from '../simulators/jira/shared/seed.ts';
import { deliveriesOf, type DeliveryJson, endpoints, hmacHex, type ListeningService, post } from './helpers.ts';

const human = USERS.find((user) => user.name === 'alice')!;

describe('Jira webhooks move tickets and findings', () => {
  let fixture: JiraFixture;
  let listening: ListeningService;
  let endpointId: string;

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded');
    await fixture.service.app.listen({ host: '127.0.0.1', port: 0 });
    const address = fixture.service.app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    listening = { service: fixture.service, url, admin: fixture.auth, member: fixture.auth, close: async () => {} };
    await fixture.service.context.queue.work(productHandlers(fixture.service.context), 2);
    const jira = (await endpoints(listening)).jira;
    endpointId = jira.id;
    // Registered like a Jira admin would: the URL and secret from our summary, seed 003's header too.
    fixture.jira.admin.registerWebhook({ url: jira.url, secret: jira.secret!, jiraSignatureHeader: true });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const ticketFor = async () => {
    const { violationIds } = await seedCase(fixture, 1);
    const created = await fixture.service.app.inject({ method: 'POST', url: '/api/jira/tickets', headers: fixture.auth, payload: { violation_id: violationIds[0], project_key: 'SEC', issue_type: 'Bug' } });
    expect(created.statusCode).toBeLessThan(300);
    const ticket = created.json() as { id: string; jira_ticket_key: string; jira_ticket_id: string };
    return { ticket, findingId: violationIds[0]! };
  };

  const row = async (ticketId: string) =>
    (await fixture.service.context.db.query<{ external_status: string; external_priority: string | null; state: string; finding_state: string; resolved_at: string | null; state_reason: string | null }>(
      `select t.external_status, t.external_priority, t.state, f.state as finding_state, f.resolved_at::text as resolved_at, f.state_reason
         from tickets t join findings f on f.id = t.finding_id where t.id = $1::uuid`,
      [ticketId],
    ))[0]!;

  /** Waits until every delivery about this issue key is settled, and returns them (oldest first). */
  const settled = async (issueKey: string, count: number): Promise<DeliveryJson[]> => {
    await fixture.jira.admin.waitForWebhooks();
    return waitFor(async () => {
      const page = await deliveriesOf(listening, endpointId, '?limit=200');
      const mine = page.deliveries.filter((delivery) => delivery.detail?.includes(issueKey) || delivery.error?.includes(issueKey));
      const done = mine.filter((delivery) => ['processed', 'ignored', 'failed'].includes(delivery.outcome));
      return done.length >= count && done.length === mine.length ? mine.reverse() : null;
    });
  };

  it('a person moving the issue to Done updates the ticket and resolves the finding; Reopen reopens it', async () => {
    const { ticket } = await ticketFor();
    const key = ticket.jira_ticket_key;
    // Our own create came back (issue_created by the integration's account): nothing moved.
    const [createdEcho] = await settled(key, 1);
    expect(createdEcho!.outcome).toBe('ignored');
    expect(createdEcho!.detail).toMatch(/our own change \(made by the connection’s own account\)/);

    fixture.jira.admin.transitionIssueDirectly(key, 'In Progress', human);
    fixture.jira.admin.transitionIssueDirectly(key, 'In Review', human);
    fixture.jira.admin.transitionIssueDirectly(key, 'Done', human);
    const after = await settled(key, 4);
    // Jira does not promise order, nor do concurrent jobs: a change that comes after a newer one was
    // applied is recognised as older and not applied; the newest (Done) always is.
    for (const delivery of after.slice(1)) {
      if (delivery.outcome !== 'processed') expect(delivery).toMatchObject({ outcome: 'ignored', detail: expect.stringMatching(/older than the change already applied/) });
    }
    expect(after.slice(1).find((delivery) => delivery.detail?.includes('Done →'))?.outcome).toBe('processed');
    expect(after.every((delivery) => delivery.signature_valid && delivery.delivery_id_source === 'header')).toBe(true);
    const done = await row(ticket.id);
    expect(done).toMatchObject({ external_status: 'Done', state: 'done', finding_state: 'done' });
    expect(done.resolved_at).not.toBeNull();
    expect(done.state_reason).toContain(`Jira issue ${key} is Done`);

    fixture.jira.admin.transitionIssueDirectly(key, 'To Do', human);
    await settled(key, 5);
    const reopened = await row(ticket.id);
    expect(reopened).toMatchObject({ external_status: 'To Do', state: 'todo', finding_state: 'todo', resolved_at: null });
    expect(reopened.state_reason).toMatch(/^reopened: /);
  });

  it('a change delivered after a newer one is not applied: ordered by the issue’s updated time, then its changelog id (they used to apply in arrival order and leave a stale status)', async () => {
    const { ticket } = await ticketFor();
    const key = ticket.jira_ticket_key;
    await settled(key, 1);
    fixture.jira.admin.transitionIssueDirectly(key, 'In Progress', human);
    await settled(key, 2);
    const base = JSON.parse(fixture.jira.admin.deliveries().filter((delivery) => delivery.body.includes(`"key":"${key}"`)).at(-1)!.body) as {
      timestamp: number;
      issue: { fields: { status: Record<string, unknown>; updated: string } };
      changelog: { id: string; items: unknown[] };
    };
    const secret = (await endpoints(listening)).jira.secret!;
    const start = Date.parse(base.issue.fields.updated.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    expect(Number.isFinite(start)).toBe(true);
    // Jira's own shapes: `updated` with a zone without colon, changelog ids as decimal strings.
    const jiraTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
    let sent = 2;
    const send = async (status: string, category: string, offsetMs: number, changelogId: number) => {
      const payload = structuredClone(base);
      payload.timestamp = start + offsetMs + 5;
      payload.issue.fields.status = { name: status, statusCategory: { key: category } };
      payload.issue.fields.updated = jiraTime(start + offsetMs);
      payload.changelog = { id: String(changelogId), items: [{ field: 'status', fieldId: 'status', toString: status }] };
      const body = JSON.stringify(payload);
      const answer = await post(`${listening.url}/api/integrations/jira/webhook`, body, { 'x-hub-signature': `sha256=${hmacHex(secret, body)}`, 'x-atlassian-webhook-identifier': randomUUID() });
      expect(answer.status).toBe(202);
      sent += 1;
      return (await settled(key, sent)).at(-1)!;
    };
    const changelog = Number(base.changelog.id) + 1000;

    expect((await send('Done', 'done', 2000, changelog + 2)).outcome).toBe('processed');
    expect(await row(ticket.id)).toMatchObject({ external_status: 'Done', state: 'done', finding_state: 'done' });
    // Retried late by Jira: an earlier time.
    const late = await send('In Review', 'indeterminate', 1000, changelog + 1);
    expect(late).toMatchObject({ outcome: 'ignored', detail: expect.stringMatching(/older than the change already applied/) });
    // The same millisecond as Done, an earlier changelog entry.
    const sameInstant = await send('In Review', 'indeterminate', 2000, changelog + 1);
    expect(sameInstant).toMatchObject({ outcome: 'ignored', detail: expect.stringMatching(/older than the change already applied/) });
    expect(await row(ticket.id)).toMatchObject({ external_status: 'Done', state: 'done', finding_state: 'done' });
    // The same millisecond, a later changelog entry: applied (reopens).
    expect((await send('To Do', 'new', 2000, changelog + 3)).outcome).toBe('processed');
    expect(await row(ticket.id)).toMatchObject({ external_status: 'To Do', state: 'todo', finding_state: 'todo' });
    const [kept] = await fixture.service.context.db.query<{ at: string; sequence: string }>(
      'select remote_changed_at as at, remote_sequence::text as sequence from tickets where id = $1::uuid',
      [ticket.id],
    );
    expect(new Date(kept!.at).getTime()).toBe(start + 2000);
    expect(kept!.sequence).toBe(String(changelog + 3));
  });

  it("maps a status by the connection's mapping rows, and an unknown done-category status to done", async () => {
    const { ticket } = await ticketFor();
    const key = ticket.jira_ticket_key;
    await settled(key, 1);
    // "Won't Do" is a done-category status; a mapping row sends it to done instead of wont_fix.
    await fixture.service.context.db.query(
      "insert into mappings (org_id, connection_id, kind, source, target) select org_id, id, 'status', 'In Review', 'in_review' from connections where id = $1::uuid on conflict do nothing",
      [fixture.connectionId],
    );
    fixture.jira.admin.transitionIssueDirectly(key, 'In Review', human);
    await settled(key, 2);
    expect(await row(ticket.id)).toMatchObject({ state: 'in_review', finding_state: 'in_review' });
    // A status name no rule knows, in the done category (a site's own workflow): statusCategory done ⇒ done.
    // The simulator's last delivery for the issue, re-sent as Jira would for that status.
    const last = fixture.jira.admin.deliveries().filter((delivery) => delivery.body.includes(`"key":"${key}"`)).at(-1)!;
    const payload = JSON.parse(last.body) as { issue: { fields: { status: Record<string, unknown> } }; changelog?: unknown };
    payload.issue.fields.status = { name: 'Shipped to prod', id: '10099', statusCategory: { id: 3, key: 'done', name: 'Done' } };
    const body = JSON.stringify(payload);
    const secret = (await endpoints(listening)).jira.secret!;
    const sent = await post(`${listening.url}/api/integrations/jira/webhook`, body, { 'x-hub-signature': `sha256=${hmacHex(secret, body)}`, 'x-atlassian-webhook-identifier': randomUUID() });
    expect(sent.status).toBe(202);
    await settled(key, 3);
    expect(await row(ticket.id)).toMatchObject({ external_status: 'Shipped to prod', state: 'done', finding_state: 'done' });
  });

  it('loop guard: a change made with the connection’s account, or reporting what we last wrote, moves nothing', async () => {
    const { ticket } = await ticketFor();
    const key = ticket.jira_ticket_key;
    await settled(key, 1);
    const bot = USERS[0]!;
    // Our own transition (the integration's account), e.g. the closed loop moving the issue.
    fixture.jira.admin.transitionIssueDirectly(key, 'In Progress', bot);
    const [, own] = await settled(key, 2);
    expect(own!.outcome).toBe('ignored');
    expect(own!.detail).toMatch(/own account/);
    const unchanged = await row(ticket.id);
    expect(unchanged.external_status).not.toBe('In Progress');
    expect(unchanged.finding_state).toBe('backlog');

    // What we wrote (recorded before the provider call), echoed back by another actor (an automation rule).
    await fixture.service.context.db.query("update tickets set external_status = 'In Review', state = 'in_review' where id = $1::uuid", [ticket.id]);
    await recordOwnWrite(fixture.service.context.db.orm, ticket.id, { status: 'In Review' });
    fixture.jira.admin.transitionIssueDirectly(key, 'In Review', human);
    const [, , echo] = await settled(key, 3);
    expect(echo!.outcome).toBe('ignored');
    expect(echo!.detail).toMatch(/reports what we last wrote/);
    expect((await row(ticket.id)).finding_state).toBe('backlog');

    // A real change by a person after that is applied.
    fixture.jira.admin.transitionIssueDirectly(key, 'Done', human);
    const [, , , real] = await settled(key, 4);
    expect(real!.outcome).toBe('processed');
    expect(await row(ticket.id)).toMatchObject({ state: 'done', finding_state: 'done' });
  });

  it('loop guard: comments and field edits come back and start nothing, whoever the actor (our comment echoed back used to reopen a resolved finding)', async () => {
    const { ticket, findingId } = await ticketFor();
    const key = ticket.jira_ticket_key;
    await settled(key, 1);
    // The finding was resolved without the ticket (a scan no longer saw it); the issue is still To Do.
    await fixture.service.context.db.query("update findings set state = 'done', resolved_at = now() where id = $1::uuid", [findingId]);
    const jobsBefore = (await fixture.service.context.db.query<{ n: number }>("select count(*)::int as n from job_records where kind <> 'webhook_delivery'"))[0]!.n;

    // Our comment ("no longer detected …"), echoed back by an actor we cannot tell is us (a shared
    // account, an automation rule copying it): comment_created and issue_updated with the comment.
    fixture.jira.admin.addCommentDirectly(key, 'The finding was no longer detected in scan s-9 of acme/app.', human);
    // Our field edit echoed back the same way: only labels changed.
    fixture.jira.admin.updateIssueDirectly(key, { labels: ['security', 'integration-service', 'scan-s-9'] }, human);
    const echoes = (await settled(key, 3)).slice(1);
    expect(echoes.length).toBeGreaterThanOrEqual(2);
    expect(echoes.map((delivery) => delivery.outcome)).toEqual(echoes.map(() => 'ignored'));
    expect(echoes.map((delivery) => delivery.detail).join(' ')).toMatch(/comment/);
    expect(echoes.map((delivery) => delivery.detail).join(' ')).toMatch(/changed labels, not status or priority/);
    expect(await row(ticket.id)).toMatchObject({ finding_state: 'done' });
    expect((await row(ticket.id)).resolved_at).not.toBeNull();
    const jobsAfter = (await fixture.service.context.db.query<{ n: number }>("select count(*)::int as n from job_records where kind <> 'webhook_delivery'"))[0]!.n;
    expect(jobsAfter).toBe(jobsBefore);
  });
});
