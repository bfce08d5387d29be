/**
 * The closed loop end to end through the simulators' own signed webhooks, nothing signed by hand:
 * a finding → its Jira ticket and fix PR (seed 000's call, the PR opened in the GitHub simulator and
 * linked to the ticket) → the PR merged in the GitHub simulator (REST merge, as a person clicking
 * "Merge") → GitHub's `pull_request` closed+merged delivery (X-Hub-Signature-256, X-GitHub-Delivery)
 * → the ticket walked to Done in the Jira simulator → the finding resolved; Jira's own deliveries
 * of those transitions come back signed (X-Hub-Signature) and move nothing. A first failed delivery
 * is redelivered with the same X-GitHub-Delivery and processed once. Then with both simulators told
 * to drop deliveries, a merge and its transitions never reach us, and the periodic sync heals it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productHandlers } from '../../src/jobs/handlers/index.ts';
import { queueTicketSyncs } from '../../src/services/sync/index.ts';
import { type JiraFixture, startJiraFixture } from '../helpers/jira.ts';
import { waitFor } from '../helpers/wait.ts';
import { type GitHubSimulator, startGitHubSimulator } from '../simulators/github/index.ts';
import { deliveriesOf, endpoints, type EndpointJson, type ListeningService } from '../webhooks/helpers.ts';

describe('closed loop through the simulators’ own webhooks (Jira + GitHub)', () => {
  let fixture: JiraFixture;
  let github: GitHubSimulator;
  let listening: ListeningService;
  let hooks: Record<'jira' | 'servicenow' | 'github', EndpointJson>;
  let door: Server;
  let refuseNextMerge = false;

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded');
    github = await startGitHubSimulator();
    await fixture.service.app.listen({ host: '127.0.0.1', port: 0 });
    const address = fixture.service.app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    listening = { service: fixture.service, url, admin: fixture.auth, member: fixture.auth, close: async () => {} };
    await fixture.service.context.queue.work(productHandlers(fixture.service.context), 2);
    hooks = await endpoints(listening);
    // Registered as an admin would: the URLs and secrets from GET /api/v1/webhooks.
    fixture.jira.admin.registerWebhook({ url: hooks.jira.url, secret: hooks.jira.secret! });
    // GitHub posts through a front door that can refuse one merge delivery with 503.
    door = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (refuseNextMerge && request.headers['x-github-event'] === 'pull_request') {
          refuseNextMerge = false;
          response.writeHead(503).end('{"message":"try later"}');
          return;
        }
        const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name))) as Record<string, string>;
        void fetch(hooks.github.endpoint_url, { method: 'POST', headers, body: Buffer.concat(chunks) })
          .then(async (answer) => response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()))
          .catch(() => response.writeHead(502).end());
      });
    });
    await new Promise<void>((resolve) => door.listen(0, '127.0.0.1', resolve));
    github.admin.addWebhook({ url: `http://127.0.0.1:${(door.address() as AddressInfo).port}/github`, secret: hooks.github.secret!, events: ['pull_request'] });
    github.admin.setWebhookRedelivery([200, 500]);
  }, 60_000);
  afterAll(async () => {
    door?.close();
    await github?.close();
    await fixture?.close();
  });

  const db = () => fixture.service.context.db;
  let counter = 0;

  /** Seed 000's call with the stored Jira connection and a PAT for the GitHub simulator. */
  const packages = [
    { package_name: 'lodash', current_version: '4.17.15', fixed_version: '4.17.21', cve: 'CVE-2021-23337' },
    { package_name: 'minimist', current_version: '1.2.5', fixed_version: '1.2.6', cve: 'CVE-2021-44906' },
    { package_name: 'axios', current_version: '0.21.1', fixed_version: '0.21.2', cve: 'CVE-2021-3749' },
  ];

  const findingWithTicketAndPr = async () => {
    const dependency = packages[counter % packages.length]!;
    counter += 1;
    const response = await fixture.service.app.inject({
      method: 'POST',
      url: '/internal/create-issues-and-prs',
      headers: fixture.auth,
      payload: {
        vulnerabilities: [
          {
            id: `loop-${counter}`,
            title: `${dependency.cve} in ${dependency.package_name}`,
            description: `${dependency.package_name} ${dependency.current_version} is affected by ${dependency.cve}; upgrade to ${dependency.fixed_version}.`,
            severity: 'high',
            ecosystem: 'npm',
            package_name: dependency.package_name,
            current_version: dependency.current_version,
            fixed_version: dependency.fixed_version,
            cve_ids: [dependency.cve],
            manifest_path: 'package.json',
          },
        ],
        jira: { project_key: 'SEC', issue_type: 'Bug' },
        github: { repo_url: `${github.url}/acme/web`, github_pat: github.token, base_branch: 'main', branch_name: `fix/${dependency.package_name}-loop` },
      },
    });
    expect(response.statusCode, response.body).toBe(200);
    const [result] = (response.json() as { results: { jira: { issue_key: string }; github: { pr_number: number; pr_url: string; status: string } }[] }).results;
    expect(result!.github.pr_number).toBeGreaterThan(0);
    const [ticket] = await db().query<{ id: string; finding_id: string }>(
      'select t.id::text as id, t.finding_id::text as finding_id from tickets t join pull_request_tickets l on l.ticket_id = t.id join pull_requests p on p.id = l.pull_request_id where p.url = $1',
      [result!.github.pr_url],
    );
    expect(ticket, 'the fix PR is linked to its ticket').toBeDefined();
    return { key: result!.jira.issue_key, prNumber: result!.github.pr_number, prUrl: result!.github.pr_url, ticketId: ticket!.id, findingId: ticket!.finding_id };
  };

  const merge = async (number: number) => {
    const response = await fetch(`${github.apiUrl}/repos/acme/web/pulls/${number}/merge`, {
      method: 'PUT',
      headers: { authorization: `token ${github.token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' },
      body: JSON.stringify({ merge_method: 'squash' }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { sha: string }).sha;
  };

  const row = async (ticketId: string) =>
    (await db().query<{ external_status: string; state: string; finding_state: string; resolved_at: string | null }>(
      'select t.external_status, t.state, f.state as finding_state, f.resolved_at::text as resolved_at from tickets t join findings f on f.id = t.finding_id where t.id = $1::uuid',
      [ticketId],
    ))[0]!;

  it('merge in the GitHub simulator → its signed delivery (redelivered once after a 503) → ticket Done in Jira → finding resolved; Jira’s echoes move nothing', async () => {
    const { key, prNumber, prUrl, ticketId } = await findingWithTicketAndPr();
    // The first delivery of the merge meets a 503 on the way in (a deploy, say): GitHub's redelivery
    // carries the same X-GitHub-Delivery and is processed once.
    refuseNextMerge = true;
    const sha = await merge(prNumber);
    const done = await waitFor(async () => {
      const current = await row(ticketId);
      return current.finding_state === 'done' ? current : null;
    }, 30_000);
    expect(done).toMatchObject({ external_status: 'Done', state: 'done', finding_state: 'done' });
    expect(done.resolved_at).not.toBeNull();
    expect(fixture.jira.admin.transitions(key).at(-1)?.to).toBe('Done');
    expect(JSON.stringify(fixture.jira.admin.comments(key).map((comment) => comment.body))).toContain(sha);

    const sent = github.admin.deliveries().filter((delivery) => delivery.event === 'pull_request' && delivery.action === 'closed');
    expect(sent.map((delivery) => delivery.status)).toEqual([503, 202]);
    expect(new Set(sent.map((delivery) => delivery.guid)).size).toBe(1);
    expect(sent[1]!.requestHeaders['x-hub-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);
    const received = (await deliveriesOf(listening, hooks.github.id, '?limit=200')).deliveries.filter((delivery) => delivery.delivery_id === sent[0]!.guid);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ outcome: 'processed', repeats: 0 });
    expect(received[0]!.detail).toContain(prUrl);

    // Jira's deliveries of our transitions came back signed, and were recognised as ours.
    await fixture.jira.admin.waitForWebhooks();
    const echoes = await waitFor(async () => {
      const mine = (await deliveriesOf(listening, hooks.jira.id, '?limit=200')).deliveries.filter((delivery) => delivery.detail?.includes(key));
      return mine.length > 0 && mine.every((delivery) => ['processed', 'ignored', 'failed'].includes(delivery.outcome)) ? mine : null;
    });
    expect(echoes.every((delivery) => delivery.outcome === 'ignored' && delivery.signature_valid)).toBe(true);
    expect(await row(ticketId)).toMatchObject({ state: 'done', finding_state: 'done' });
  }, 60_000);

  it('deliveries dropped by both simulators: the merge and the transitions never arrive; the periodic sync heals the ticket and the finding', async () => {
    const { key, prNumber, ticketId } = await findingWithTicketAndPr();
    github.admin.dropWebhooks(true);
    fixture.jira.admin.dropWebhooks(true);
    try {
      await merge(prNumber);
      await github.admin.settle();
      expect(github.admin.deliveries().filter((delivery) => delivery.dropped && delivery.action === 'closed')).toHaveLength(1);
      // The merge never reached us: a person closes the issue in Jira, and that delivery is lost too.
      fixture.jira.admin.transitionIssueDirectly(key, 'In Progress');
      fixture.jira.admin.transitionIssueDirectly(key, 'In Review');
      fixture.jira.admin.transitionIssueDirectly(key, 'Done');
      await fixture.jira.admin.waitForWebhooks();
      expect(fixture.jira.admin.deliveries().filter((delivery) => delivery.dropped).length).toBeGreaterThanOrEqual(3);
      expect((await row(ticketId)).finding_state).not.toBe('done');

      // The scheduler's tick: the worker's sync job reads what changed in Jira and applies it.
      expect(await queueTicketSyncs(fixture.service.context)).toBeGreaterThanOrEqual(1);
      const healed = await waitFor(async () => {
        const current = await row(ticketId);
        return current.finding_state === 'done' ? current : null;
      }, 30_000);
      expect(healed).toMatchObject({ external_status: 'Done', state: 'done', finding_state: 'done' });
    } finally {
      github.admin.dropWebhooks(false);
      fixture.jira.admin.dropWebhooks(false);
    }
  }, 60_000);
});
