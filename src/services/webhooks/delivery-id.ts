/**
 * What identifies a delivery, so a provider's retry (same id) is acknowledged and not processed
 * again: Jira's `X-Atlassian-Webhook-Identifier`, GitHub's `X-GitHub-Delivery`, ServiceNow's record
 * `sys_id` with its `sys_updated_on` (and `sys_mod_count` when the script sends it: two saves in the
 * same second differ there); anything else by the SHA-256 of the body.
 */
import { createHash } from 'node:crypto';
import type { WebhookProvider } from './signatures.ts';

export interface DeliveryIdentity {
  deliveryId: string;
  source: 'header' | 'body' | 'body_hash';
  bodySha256: string;
  event: string | null;
}

const header = (headers: Record<string, string | string[] | undefined>, name: string): string | null => {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text && text.trim().length > 0 ? text.trim().slice(0, 200) : null;
};

const field = (value: unknown): string | null => (typeof value === 'string' || typeof value === 'number' ? String(value).slice(0, 200) : null);

/** The record a ServiceNow delivery is about: the body itself, or seed 003's `{record: {…}}`. */
export function serviceNowRecord(body: unknown): Record<string, unknown> | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const object = body as Record<string, unknown>;
  const record = object.record;
  if (record && typeof record === 'object' && !Array.isArray(record)) return { ...object, ...(record as Record<string, unknown>) };
  return object;
}

export function identifyDelivery(provider: WebhookProvider, headers: Record<string, string | string[] | undefined>, raw: Buffer, body: unknown): DeliveryIdentity {
  const bodySha256 = createHash('sha256').update(raw).digest('hex');
  const object = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  switch (provider) {
    case 'jira': {
      const event = field(object.webhookEvent);
      const id = header(headers, 'x-atlassian-webhook-identifier');
      return id ? { deliveryId: id, source: 'header', bodySha256, event } : { deliveryId: `sha256:${bodySha256}`, source: 'body_hash', bodySha256, event };
    }
    case 'github': {
      const name = header(headers, 'x-github-event');
      const action = field(object.action);
      const event = name ? (action ? `${name}.${action}` : name) : null;
      const id = header(headers, 'x-github-delivery');
      return id ? { deliveryId: id, source: 'header', bodySha256, event } : { deliveryId: `sha256:${bodySha256}`, source: 'body_hash', bodySha256, event };
    }
    case 'servicenow': {
      const record = serviceNowRecord(body) ?? {};
      const sysId = field(record.sys_id);
      const updatedOn = field(record.sys_updated_on);
      const modCount = field(record.sys_mod_count);
      const event = field(record.event) ?? field(record.operation);
      if (sysId && (updatedOn || modCount)) {
        return { deliveryId: `${sysId}@${updatedOn ?? ''}${modCount ? `#${modCount}` : ''}`, source: 'body', bodySha256, event };
      }
      return { deliveryId: `sha256:${bodySha256}`, source: 'body_hash', bodySha256, event };
    }
  }
}
