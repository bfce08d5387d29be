/**
 * Webhook delivery as GitHub's Hookshot does it: JSON body (or, for a `form` hook,
 * `payload=<url-encoded JSON>` as application/x-www-form-urlencoded) POSTed to each registered URL whose event
 * list matches, signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, exact raw body)>` (and
 * the legacy sha1 `X-Hub-Signature`) only when a secret is set, with X-GitHub-Event, X-GitHub-Delivery
 * (a GUID), X-GitHub-Hook-ID, the installation-target headers, the GHES host/version headers and a
 * `GitHub-Hookshot/<id>` user agent. Every delivery is recorded for the admin API.
 *
 * GitHub does not retry a failed delivery by itself; it is redelivered on request ("Redeliver" in the
 * hook's settings, or `POST /repos/{o}/{r}/hooks/{id}/deliveries/{delivery_id}/attempts`), with the
 * same X-GitHub-Delivery GUID and the same body. So by default nothing is retried; `redeliver(id)`
 * is that request, and `setRedelivery([ms, …])` models an operator's script that redelivers each
 * failed delivery (no answer or non-2xx) after those waits. `setDrop(true)` loses deliveries (a
 * GitHub outage): recorded with `dropped: true`, never sent, never redelivered.
 */
import { createHmac, randomUUID } from 'node:crypto';

export interface WebhookTarget {
  url: string;
  secret?: string;
  /** Event names, or ['*'] for all. Default: ['*']. */
  events?: string[];
  /** Limit to one repository (full name); default all repositories. */
  repo?: string;
  /** The hook's content type: `json`, or `form` (`payload=<url-encoded JSON>`, GitHub's API default). Default here: json. */
  contentType?: 'json' | 'form';
}

export interface HookRecord {
  id: number;
  url: string;
  secret: string | undefined;
  events: string[];
  repo: string | undefined;
  contentType: 'json' | 'form';
  active: boolean;
}

export interface DeliveryRecord {
  id: number;
  guid: string;
  hookId: number;
  event: string;
  action: string | null;
  url: string;
  repo: string | null;
  requestHeaders: Record<string, string>;
  body: string;
  status: number | null;
  responseBody: string | null;
  error: string | null;
  durationMs: number | null;
  deliveredAt: string;
  /** A redelivery of an earlier delivery (same guid and body). */
  redelivery: boolean;
  /** Lost on purpose (setDrop): not sent. */
  dropped: boolean;
}

export interface WebhookDispatcher {
  readonly hooks: HookRecord[];
  readonly deliveries: DeliveryRecord[];
  add(target: WebhookTarget): HookRecord;
  remove(id: number): boolean;
  /** Sends `event` to every matching hook; resolves when all attempts finished. */
  dispatch(event: string, payload: Record<string, unknown>, repo: string | null): Promise<void>;
  /** Resolves once every delivery started so far has finished, redeliveries included (tests wait on this). */
  idle(): Promise<void>;
  /** Sends a recorded delivery again: same guid, same body (GitHub's "Redeliver"). */
  redeliver(deliveryId: number): Promise<DeliveryRecord | null>;
  /** Waits before automatic redeliveries of a failed delivery; [] (the default) = none, as on GitHub. */
  setRedelivery(delaysMs: number[]): void;
  setDrop(drop: boolean): void;
  /** Stops pending redeliveries. */
  close(): void;
}

export function signBody(secret: string, body: string): { sha256: string; sha1: string } {
  return {
    sha256: `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    sha1: `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
  };
}

export function createWebhookDispatcher(options: { host: () => string; timeoutMs?: number }): WebhookDispatcher {
  const hooks: HookRecord[] = [];
  const deliveries: DeliveryRecord[] = [];
  const pending = new Set<Promise<void>>();
  let nextHookId = 400_000_000;
  let nextDeliveryId = 1;

  let redeliveryDelays: number[] = [];
  let drop = false;
  let closed = false;
  const timers = new Map<NodeJS.Timeout, () => void>();

  function headersFor(hook: HookRecord, event: string, guid: string, payload: Record<string, unknown>, body: string): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': hook.contentType === 'form' ? 'application/x-www-form-urlencoded' : 'application/json',
      'user-agent': 'GitHub-Hookshot/5d4a1c7',
      'x-github-delivery': guid,
      'x-github-event': event,
      'x-github-hook-id': String(hook.id),
      'x-github-hook-installation-target-type': 'repository',
      'x-github-hook-installation-target-id': String(payload.repository && typeof payload.repository === 'object' ? (payload.repository as { id?: number }).id ?? 0 : 0),
      'x-github-enterprise-version': '3.14.0',
      'x-github-enterprise-host': options.host(),
    };
    if (hook.secret) {
      const signatures = signBody(hook.secret, body);
      headers['x-hub-signature'] = signatures.sha1;
      headers['x-hub-signature-256'] = signatures.sha256;
    }
    return headers;
  }

  /** One attempt of a delivery; `previous` is the delivery it redelivers. */
  async function send(hook: HookRecord, event: string, action: string | null, repo: string | null, guid: string, headers: Record<string, string>, body: string, redelivery: boolean): Promise<DeliveryRecord> {
    const record: DeliveryRecord = {
      id: nextDeliveryId++,
      guid,
      hookId: hook.id,
      event,
      action,
      url: hook.url,
      repo,
      requestHeaders: headers,
      body,
      status: null,
      responseBody: null,
      error: null,
      durationMs: null,
      deliveredAt: new Date().toISOString(),
      redelivery,
      dropped: drop,
    };
    deliveries.push(record);
    if (record.dropped) return record;
    const started = Date.now();
    try {
      const response = await fetch(hook.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
      record.status = response.status;
      record.responseBody = (await response.text()).slice(0, 10_000);
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
    } finally {
      record.durationMs = Date.now() - started;
    }
    return record;
  }

  const failed = (record: DeliveryRecord) => !record.dropped && (record.status === null || record.status < 200 || record.status >= 300);

  async function deliver(hook: HookRecord, event: string, payload: Record<string, unknown>, repo: string | null): Promise<void> {
    const json = JSON.stringify(payload);
    // Signed as sent: the form's bytes for a form hook.
    const body = hook.contentType === 'form' ? new URLSearchParams({ payload: json }).toString() : json;
    const guid = randomUUID();
    const headers = headersFor(hook, event, guid, payload, body);
    const action = typeof payload.action === 'string' ? payload.action : null;
    let record = await send(hook, event, action, repo, guid, headers, body, false);
    for (const delay of redeliveryDelays) {
      if (!failed(record) || closed) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, delay);
        timers.set(timer, resolve);
      });
      if (closed) return;
      record = await send(hook, event, action, repo, guid, headers, body, true);
    }
  }

  function track(promise: Promise<void>): Promise<void> {
    pending.add(promise);
    void promise.finally(() => pending.delete(promise));
    return promise;
  }

  return {
    hooks,
    deliveries,
    add(target) {
      const hook: HookRecord = {
        id: nextHookId++,
        url: target.url,
        secret: target.secret,
        events: target.events && target.events.length > 0 ? target.events : ['*'],
        repo: target.repo?.toLowerCase(),
        contentType: target.contentType ?? 'json',
        active: true,
      };
      hooks.push(hook);
      // GitHub pings a new hook straight away.
      void track(deliver(hook, 'ping', { zen: 'Keep it logically awesome.', hook_id: hook.id, hook: { type: 'Repository', id: hook.id, events: hook.events, active: true, config: { url: hook.url, content_type: hook.contentType, insecure_ssl: '0' } } }, null));
      return hook;
    },
    remove(id) {
      const index = hooks.findIndex((h) => h.id === id);
      if (index < 0) return false;
      hooks.splice(index, 1);
      return true;
    },
    async dispatch(event, payload, repo) {
      const targets = hooks.filter((h) => h.active && (h.events.includes('*') || h.events.includes(event)) && (!h.repo || h.repo === repo?.toLowerCase()));
      await Promise.all(targets.map((hook) => track(deliver(hook, event, payload, repo))));
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async redeliver(deliveryId) {
      const original = deliveries.find((delivery) => delivery.id === deliveryId);
      const hook = original ? hooks.find((candidate) => candidate.id === original.hookId) : undefined;
      if (!original || !hook) return null;
      const task = send(hook, original.event, original.action, original.repo, original.guid, original.requestHeaders, original.body, true);
      void track(task.then(() => undefined));
      return task;
    },
    setRedelivery(delaysMs) {
      redeliveryDelays = [...delaysMs];
    },
    setDrop(value) {
      drop = value;
    },
    close() {
      closed = true;
      for (const [timer, wake] of timers) {
        clearTimeout(timer);
        wake();
      }
      timers.clear();
    },
  };
}
