/**
 * autocannon `setupRequest` for the `webhook-ingest` benchmark, loaded by path in autocannon's worker
 * thread (functions cannot cross into it): every request is a new Jira `jira:issue_updated` delivery
 * with its own `X-Atlassian-Webhook-Identifier` and `X-Hub-Signature: sha256=<hex>` over the exact
 * body, as Jira Cloud sends it. The secret and an id prefix come from the environment the worker
 * inherits (BENCH_WEBHOOK_SECRET, BENCH_WEBHOOK_PREFIX); ids are `<prefix>-<thread>-<n>`.
 */
import { createHmac } from 'node:crypto';
import { threadId } from 'node:worker_threads';

export interface BenchDelivery {
  id: string;
  body: string;
  headers: Record<string, string>;
}

/** A Jira Cloud issue_updated body (about 1.5 KB, the size of a real one without rendered fields). */
export function jiraIssueUpdated(id: string, n: number): string {
  return JSON.stringify({
    timestamp: 1_796_000_000_000 + n,
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_generic',
    user: { accountId: '557058:bench-human', displayName: 'Bench Human', active: true, timeZone: 'UTC', accountType: 'atlassian' },
    issue: {
      id: String(10_000 + (n % 5000)),
      self: `https://bench.atlassian.net/rest/api/2/issue/${10_000 + (n % 5000)}`,
      key: `SEC-${n % 5000}`,
      fields: {
        summary: `Prototype pollution in pkg-${n % 5000} (${id})`,
        status: { name: 'In Progress', id: '3', statusCategory: { key: 'indeterminate', name: 'In Progress', id: 4 } },
        priority: { name: 'High', id: '2' },
        issuetype: { name: 'Bug', id: '10004', subtask: false },
        project: { key: 'SEC', id: '10000', name: 'Security' },
        labels: ['security', 'integration-service'],
        updated: '2026-12-07T10:00:00.000+0000',
        created: '2026-12-01T10:00:00.000+0000',
        description: 'Upgrade to the fixed version. See https://github.com/advisories for details.',
      },
    },
    changelog: { id: String(20_000 + n), items: [{ field: 'status', fieldtype: 'jira', fieldId: 'status', from: '10000', fromString: 'To Do', to: '3', toString: 'In Progress' }] },
  });
}

export function signedDelivery(secret: string, id: string, n: number): BenchDelivery {
  const body = jiraIssueUpdated(id, n);
  return {
    id,
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-atlassian-webhook-identifier': id,
      'x-hub-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
  };
}

let counter = 0;

function setupRequest(request: Record<string, unknown>): Record<string, unknown> {
  const secret = process.env.BENCH_WEBHOOK_SECRET ?? '';
  const n = counter++;
  const delivery = signedDelivery(secret, `${process.env.BENCH_WEBHOOK_PREFIX ?? 'bench'}-${threadId}-${n}`, n);
  return { ...request, method: 'POST', body: delivery.body, headers: { ...((request.headers as Record<string, string>) ?? {}), ...delivery.headers } };
}

// autocannon require()s this file in its worker and calls what it gets.
export { setupRequest as 'module.exports' };
