import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraCloudSimulator, startJiraCloudSimulator } from './cloud/index.ts';
import { adf, call } from './helpers.ts';
import { type JiraServerSimulator, startJiraServerSimulator } from './server/index.ts';

interface Received {
  headers: IncomingMessage['headers'];
  raw: string;
}

let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** Status codes the receiver answers with, in order; then 200. */
const script: number[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    request.on('end', () => {
      received.push({ headers: request.headers, raw });
      response.statusCode = script.shift() ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

describe('Jira Cloud webhooks', () => {
  let sim: JiraCloudSimulator;
  beforeAll(async () => {
    sim = await startJiraCloudSimulator({ webhookRetryDelaysMs: [20, 20, 20] });
  });
  afterAll(() => sim.close());

  it('signs issue_created with X-Hub-Signature over the raw body and names the acting user', async () => {
    received.length = 0;
    sim.admin.registerWebhook({ url: receiverUrl, secret: 's3cret', events: ['jira:issue_created'], jiraSignatureHeader: true });
    const res = await call(`${sim.url}/rest/api/3/issue`, {
      auth: sim.credentials.basicAuthHeader,
      body: { fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'hooked', description: adf('Body text') } },
    });
    expect(res.status).toBe(201);
    await sim.admin.waitForWebhooks();
    expect(received).toHaveLength(1);
    const delivery = received[0] as Received;
    const hex = createHmac('sha256', 's3cret').update(delivery.raw).digest('hex');
    expect(delivery.headers['x-hub-signature']).toBe(`sha256=${hex}`);
    expect(delivery.headers['x-jira-signature']).toBe(hex);
    expect(delivery.headers['x-atlassian-webhook-identifier']).toBeTruthy();
    expect(delivery.headers['x-atlassian-webhook-retry']).toBeUndefined();
    const payload = JSON.parse(delivery.raw) as { timestamp: number; webhookEvent: string; issue_event_type_name: string; user: { accountId: string }; issue: { key: string; self: string; fields: { description: string } }; changelog: { items: unknown[] } };
    expect(payload.webhookEvent).toBe('jira:issue_created');
    expect(payload.issue_event_type_name).toBe('issue_created');
    expect(typeof payload.timestamp).toBe('number');
    // the loop guard can tell our own changes apart
    expect(payload.user.accountId).toBe(sim.credentials.accountId);
    // webhook issues are REST-v2 shaped with string descriptions
    expect(payload.issue.self).toContain('/rest/api/2/issue/');
    expect(payload.issue.fields.description).toBe('Body text');
    expect(payload.changelog.items.length).toBeGreaterThan(0);
  });

  it('retries failed deliveries with the same identifier and a retry counter', async () => {
    received.length = 0;
    sim.admin.registerWebhook({ url: receiverUrl, secret: 'k', events: ['jira:issue_updated'] });
    const issue = sim.admin.createIssueDirectly({ project: 'SEC', summary: 'to be moved' });
    await sim.admin.waitForWebhooks();
    received.length = 0;
    script.push(503, 500);
    sim.admin.transitionIssueDirectly(issue.key, 'In Progress');
    await sim.admin.waitForWebhooks();
    const updates = received.filter((r) => (JSON.parse(r.raw) as { webhookEvent: string }).webhookEvent === 'jira:issue_updated');
    expect(updates).toHaveLength(3);
    const ids = new Set(updates.map((r) => r.headers['x-atlassian-webhook-identifier']));
    expect(ids.size).toBe(1);
    expect(updates.map((r) => r.headers['x-atlassian-webhook-retry'])).toEqual([undefined, '1', '2']);
    expect(new Set(updates.map((r) => r.raw)).size).toBe(1);
    const payload = JSON.parse(updates[0]?.raw ?? '{}') as { user: { accountId: string }; changelog: { items: { fieldId: string; toString: string }[] } };
    // changed by a human (the admin helper's default actor), not by the integration
    expect(payload.user.accountId).toBe(sim.admin.defaultActor.accountId);
    expect(payload.user.accountId).not.toBe(sim.credentials.accountId);
    expect(payload.changelog.items).toContainEqual(expect.objectContaining({ fieldId: 'status', toString: 'In Progress' }));
  });

  it('fires comment_created and gives up after the configured retries on connection errors', async () => {
    received.length = 0;
    sim.admin.registerWebhook({ url: receiverUrl, events: ['comment_created'] });
    sim.admin.registerWebhook({ url: 'http://127.0.0.1:9/unreachable', events: ['comment_created'] });
    const issue = sim.admin.createIssueDirectly({ project: 'SEC', summary: 'comment me' });
    await call(`${sim.url}/rest/api/3/issue/${issue.key}/comment`, { auth: sim.credentials.basicAuthHeader, body: { body: adf('hello') } });
    await sim.admin.waitForWebhooks();
    const comments = received.filter((r) => (JSON.parse(r.raw) as { webhookEvent: string }).webhookEvent === 'comment_created');
    expect(comments).toHaveLength(1);
    expect(comments[0]?.headers['x-hub-signature']).toBeUndefined();
    const failed = sim.admin.deliveries().filter((d) => d.webhookId === 4);
    expect(failed.map((d) => d.attempt)).toEqual([0, 1, 2, 3]);
    expect(failed.every((d) => d.error !== null)).toBe(true);
  });
});

describe('Jira Server webhooks', () => {
  let sim: JiraServerSimulator;
  beforeAll(async () => {
    sim = await startJiraServerSimulator();
  });
  afterAll(() => sim.close());

  it('fires issue_deleted with the user by name', async () => {
    received.length = 0;
    sim.admin.registerWebhook({ url: receiverUrl, secret: 'x', events: ['jira:issue_deleted'] });
    const issue = sim.admin.createIssueDirectly({ project: 'SEC', summary: 'gone soon', description: 'wiki' });
    const res = await call(`${sim.url}/rest/api/2/issue/${issue.key}`, { method: 'DELETE', auth: sim.credentials.bearerAuthHeader });
    expect(res.status).toBe(204);
    await sim.admin.waitForWebhooks();
    const payload = JSON.parse(received[0]?.raw ?? '{}') as { webhookEvent: string; user: { name: string } };
    expect(payload.webhookEvent).toBe('jira:issue_deleted');
    expect(payload.user.name).toBe('integration-bot');
  });
});
