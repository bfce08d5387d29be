/**
 * Admin-webhook delivery. Store events become Jira-shaped payloads (REST-v2-shaped issue, wiki/string
 * description, numeric epoch-ms `timestamp`, the acting `user` so receivers can drop their own changes),
 * signed `X-Hub-Signature: sha256=<hex>` over the exact bytes sent (and optionally seed 003's
 * `X-Jira-Signature: <hex>`). Failed deliveries (408/409/425/429/5xx or no connection) are retried with
 * backoff; `X-Atlassian-Webhook-Identifier` stays the same across retries and `X-Atlassian-Webhook-Retry`
 * counts them. `setDrop(true)` loses deliveries (recorded with `dropped: true`, never sent), as when
 * Jira gives up or an outage eats them: the receiver's periodic sync must catch up.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Flavor } from './model.ts';
import { type RenderContext, issueFields, renderComment, renderUser } from './render.ts';
import type { IssueEvent, JiraStore } from './store.ts';

export type WebhookEventName = 'jira:issue_created' | 'jira:issue_updated' | 'jira:issue_deleted' | 'comment_created';

export interface WebhookRegistration {
  url: string;
  secret?: string;
  /** Event names to deliver; empty or absent = all. */
  events?: WebhookEventName[];
  /** Also send seed 003's `X-Jira-Signature: <hex>`. */
  jiraSignatureHeader?: boolean;
}

export interface Webhook extends WebhookRegistration {
  id: number;
}

export interface Delivery {
  webhookId: number;
  identifier: string;
  event: WebhookEventName;
  attempt: number;
  status: number | null;
  error: string | null;
  at: number;
  headers: Record<string, string>;
  body: string;
  /** Lost on purpose (setDrop): not sent, not retried. */
  dropped?: boolean;
}

export interface WebhookOptions {
  store: JiraStore;
  flavor: Flavor;
  siteUrl: () => string;
  /** Wait before retry n (1-based); the list length is the number of retries. */
  retryDelaysMs?: number[];
  timeoutMs?: number;
}

export interface WebhookDispatcher {
  register(registration: WebhookRegistration): Webhook;
  unregister(id: number): void;
  list(): Webhook[];
  deliveries: Delivery[];
  /** Resolves when no delivery or retry is pending. */
  idle(): Promise<void>;
  /** Lose every delivery from now on (true), or deliver again (false). */
  setDrop(drop: boolean): void;
  close(): void;
}

const RETRYABLE = (status: number): boolean => [408, 409, 425, 429].includes(status) || status >= 500;

function eventName(event: IssueEvent): WebhookEventName {
  switch (event.type) {
    case 'issue_created':
      return 'jira:issue_created';
    case 'issue_updated':
      return 'jira:issue_updated';
    case 'issue_deleted':
      return 'jira:issue_deleted';
    case 'comment_created':
      return 'comment_created';
  }
}

export function buildPayload(ctx: RenderContext, event: IssueEvent, timestamp: number): Record<string, unknown> {
  const issueSelf = `${ctx.base}/rest/api/2/issue/${event.issue.id}`;
  const user = renderUser(ctx, event.actor, false);
  const fields = issueFields(ctx, event.issue);
  delete fields.comment;
  const issue = { id: event.issue.id, self: issueSelf, key: event.issue.key, fields };
  const lastChangelogId = event.issue.changelog.at(-1)?.id ?? event.issue.id;
  switch (event.type) {
    case 'issue_created':
      return {
        timestamp,
        webhookEvent: 'jira:issue_created',
        issue_event_type_name: 'issue_created',
        user,
        issue,
        changelog: { id: event.issue.id, items: event.changes },
      };
    case 'issue_updated':
      return {
        timestamp,
        webhookEvent: 'jira:issue_updated',
        issue_event_type_name: event.eventTypeName,
        user,
        issue,
        ...(event.changes.length > 0 ? { changelog: { id: lastChangelogId, items: event.changes } } : {}),
        ...(event.comment ? { comment: renderComment(ctx, event.issue, event.comment) } : {}),
      };
    case 'issue_deleted':
      return { timestamp, webhookEvent: 'jira:issue_deleted', user, issue };
    case 'comment_created':
      return {
        timestamp,
        webhookEvent: 'comment_created',
        comment: renderComment(ctx, event.issue, event.comment),
        issue: {
          id: event.issue.id,
          self: issueSelf,
          key: event.issue.key,
          fields: { summary: fields.summary, status: fields.status, issuetype: fields.issuetype, project: fields.project, priority: fields.priority, assignee: fields.assignee },
        },
      };
  }
}

export function createWebhookDispatcher(options: WebhookOptions): WebhookDispatcher {
  const hooks: Webhook[] = [];
  const deliveries: Delivery[] = [];
  const pending = new Set<Promise<void>>();
  const timers = new Map<NodeJS.Timeout, () => void>();
  const delays = options.retryDelaysMs ?? [100, 500, 2000];
  const timeoutMs = options.timeoutMs ?? 5000;
  let nextId = 1;
  let closed = false;
  let drop = false;
  // Payloads are v2-shaped on both flavours (Cloud's webhooks embed REST v2 issues).
  const payloadFlavor: Flavor = { kind: options.flavor.kind, apiVersion: '2', richText: 'wiki' };

  const attempt = async (hook: Webhook, event: WebhookEventName, identifier: string, body: string, n: number): Promise<void> => {
    if (closed) return;
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Atlassian Webhook HTTP Client',
      'x-atlassian-webhook-identifier': identifier,
      'x-atlassian-webhook-flow': 'Primary',
    };
    if (n > 0) headers['x-atlassian-webhook-retry'] = String(n);
    if (hook.secret) {
      const hex = createHmac('sha256', hook.secret).update(body).digest('hex');
      headers['x-hub-signature'] = `sha256=${hex}`;
      if (hook.jiraSignatureHeader) headers['x-jira-signature'] = hex;
    }
    const record: Delivery = { webhookId: hook.id, identifier, event, attempt: n, status: null, error: null, at: Date.now(), headers, body };
    deliveries.push(record);
    if (drop) {
      record.dropped = true;
      return;
    }
    let retry: boolean;
    try {
      const response = await fetch(hook.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer().catch(() => undefined);
      record.status = response.status;
      retry = RETRYABLE(response.status);
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
      retry = true;
    }
    const delay = delays[n];
    if (retry && delay !== undefined && !closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, delay);
        timers.set(timer, resolve);
      });
      await attempt(hook, event, identifier, body, n + 1);
    }
  };

  options.store.onEvent((event) => {
    const name = eventName(event);
    const targets = hooks.filter((h) => !h.events || h.events.length === 0 || h.events.includes(name));
    if (targets.length === 0) return;
    const ctx: RenderContext = { store: options.store, flavor: payloadFlavor, base: options.siteUrl() };
    // Serialize now: the issue keeps changing, a retry must resend the same bytes.
    const body = JSON.stringify(buildPayload(ctx, event, options.store.now()));
    for (const hook of targets) {
      const task = attempt(hook, name, randomUUID(), body, 0).finally(() => pending.delete(task));
      pending.add(task);
    }
  });

  return {
    register(registration) {
      const hook: Webhook = { ...registration, id: nextId++ };
      hooks.push(hook);
      return hook;
    },
    unregister(id) {
      const index = hooks.findIndex((h) => h.id === id);
      if (index >= 0) hooks.splice(index, 1);
    },
    list: () => hooks.map((h) => ({ ...h })),
    deliveries,
    setDrop(value) {
      drop = value;
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    close() {
      closed = true;
      // Wake pending retries so they see `closed` and stop; idle() then resolves.
      for (const [timer, wake] of timers) {
        clearTimeout(timer);
        wake();
      }
      timers.clear();
    },
  };
}
