/**
 * The Business-Rule-like outbound call. ServiceNow has no signed webhook of its own: a customer writes an
 * after insert/update Business Rule that posts the record to us (SPEC "Facts about the real providers").
 * This models that script: on every committed insert/update of the watched tables (by the API or the
 * admin side) it POSTs a JSON body (see docs/simulators-servicenow.md, "Outbound call") signed with a
 * configured header and HMAC algorithm (default `X-ServiceNow-Signature: <hex HMAC-SHA256 of the raw
 * body>`), retries failures (no answer, 408/429/5xx) after the configured delays, and can drop
 * deliveries (the instance "forgets" to call) to exercise the product's reconciliation.
 */
import { createHmac } from 'node:crypto';
import { choiceLabel } from './schema.ts';
import type { ServiceNowStore, WriteEvent } from './store.ts';

export interface OutboundConfig {
  url: string;
  secret: string;
  /** Header carrying the signature (default `X-ServiceNow-Signature`). */
  headerName?: string;
  /** HMAC hash (default sha256). */
  algorithm?: 'sha1' | 'sha256' | 'sha512';
  /** Signature text encoding (default hex). */
  encoding?: 'hex' | 'base64';
  /** Tables watched (default incident and the custom table). */
  tables?: string[];
  /** Operations delivered (default both). */
  events?: ('insert' | 'update')[];
  /** Waits before retry n (1-based); the list length is the number of retries. Default [100, 500, 2000]. */
  retryDelaysMs?: number[];
  timeoutMs?: number;
  /** Drop deliveries instead of sending them (they are recorded with `dropped: true`). */
  drop?: boolean;
}

export interface OutboundDelivery {
  table: string;
  sysId: string;
  event: 'insert' | 'update';
  attempt: number;
  status: number | null;
  error: string | null;
  dropped: boolean;
  at: number;
  headers: Record<string, string>;
  body: string;
}

export interface OutboundDispatcher {
  config: OutboundConfig | null;
  configure(config: OutboundConfig | null): void;
  setDrop(drop: boolean): void;
  deliveries: OutboundDelivery[];
  idle(): Promise<void>;
  close(): void;
}

export function signBody(body: string, secret: string, algorithm: OutboundConfig['algorithm'] = 'sha256', encoding: OutboundConfig['encoding'] = 'hex'): string {
  return createHmac(algorithm ?? 'sha256', secret).update(body).digest(encoding ?? 'hex');
}

/** The body a customer's Business Rule posts: current's values as strings (current.getValue()). */
export function outboundBody(store: ServiceNowStore, event: WriteEvent): Record<string, unknown> {
  const v = event.record.values;
  const table = store.table(event.table)!;
  const stateField = table.fields.get('state');
  return {
    event: event.type,
    table: event.table,
    sys_id: v.sys_id ?? '',
    number: v.number ?? '',
    state: v.state ?? '',
    state_label: stateField ? choiceLabel(stateField, v.state ?? '') : '',
    priority: v.priority ?? '',
    impact: v.impact ?? '',
    urgency: v.urgency ?? '',
    short_description: v.short_description ?? '',
    assignment_group: v.assignment_group ?? '',
    assignment_group_name: v.assignment_group ? store.displayValueOf('sys_user_group', v.assignment_group) : '',
    correlation_id: v.correlation_id ?? '',
    correlation_display: v.correlation_display ?? '',
    close_code: v.close_code ?? '',
    close_notes: v.close_notes ?? '',
    active: v.active ?? '',
    sys_mod_count: v.sys_mod_count ?? '',
    sys_updated_on: v.sys_updated_on ?? '',
    sys_updated_by: v.sys_updated_by ?? '',
    changed_fields: [...event.changed].sort(),
    work_notes: event.journal.work_notes ?? '',
    comments: event.journal.comments ?? '',
  };
}

const RETRYABLE = (status: number): boolean => status === 408 || status === 429 || status >= 500;

export function createOutboundDispatcher(store: ServiceNowStore, initial: OutboundConfig | null = null): OutboundDispatcher {
  const pending = new Set<Promise<void>>();
  const timers = new Map<NodeJS.Timeout, () => void>();
  let closed = false;

  const attempt = async (config: OutboundConfig, event: WriteEvent, body: string, n: number): Promise<void> => {
    if (closed) return;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    headers[(config.headerName ?? 'X-ServiceNow-Signature').toLowerCase()] = signBody(body, config.secret, config.algorithm, config.encoding);
    const record: OutboundDelivery = {
      table: event.table,
      sysId: event.record.values.sys_id ?? '',
      event: event.type,
      attempt: n,
      status: null,
      error: null,
      dropped: config.drop === true || dispatcher.config?.drop === true,
      at: Date.now(),
      headers,
      body,
    };
    dispatcher.deliveries.push(record);
    if (record.dropped) return;
    let retry: boolean;
    try {
      const response = await fetch(config.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(config.timeoutMs ?? 5000) });
      await response.arrayBuffer().catch(() => undefined);
      record.status = response.status;
      retry = RETRYABLE(response.status);
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
      retry = true;
    }
    const delay = (config.retryDelaysMs ?? [100, 500, 2000])[n];
    if (retry && delay !== undefined && !closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, delay);
        timers.set(timer, resolve);
      });
      await attempt(config, event, body, n + 1);
    }
  };

  const dispatcher: OutboundDispatcher = {
    config: initial,
    configure(config) {
      dispatcher.config = config;
    },
    setDrop(drop) {
      if (dispatcher.config) dispatcher.config = { ...dispatcher.config, drop };
    },
    deliveries: [],
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
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

  store.onWrite((event) => {
    const config = dispatcher.config;
    if (!config) return;
    const tables = config.tables ?? ['incident', store.customTableName];
    if (!tables.includes(event.table)) return;
    if (config.events && !config.events.includes(event.type)) return;
    // Serialized at commit time: a retry resends the same bytes even if the record changes meanwhile.
    const body = JSON.stringify(outboundBody(store, event));
    const task = attempt(config, event, body, 0).finally(() => pending.delete(task));
    pending.add(task);
  });
  return dispatcher;
}
