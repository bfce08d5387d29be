/**
 * The append-only audit trail (SPEC section 2): every operation and every outbound API call, with
 * who, what, when, target, status and duration. Details pass through the same redaction as logs, so
 * a secret that slips into a detail object is masked before it is stored.
 */
import type { Orm } from '../db/database.ts';
import { auditEvents } from '../db/schema.ts';
import type { OutboundCallEvent } from '../http-client/index.ts';
import { redactDeep } from '../logging/redact.ts';

export interface AuditEntry {
  orgId: string | null;
  actor: string;
  action: string;
  targetType?: string;
  targetId?: string;
  status: string;
  durationMs?: number;
  detail?: Record<string, unknown>;
}

export async function recordAudit(orm: Orm, entry: AuditEntry): Promise<void> {
  await orm.insert(auditEvents).values({
    orgId: entry.orgId,
    actor: entry.actor,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    status: entry.status,
    durationMs: entry.durationMs === undefined ? null : Math.round(entry.durationMs),
    detail: (redactDeep(entry.detail ?? {}) as Record<string, unknown>) ?? {},
  });
}

export function auditOutboundCall(orm: Orm): (event: OutboundCallEvent) => Promise<void> {
  return (event) =>
    recordAudit(orm, {
      orgId: event.orgId ?? null,
      actor: 'service',
      action: 'outbound.call',
      targetType: event.provider,
      targetId: `${event.method} ${event.host}${event.path}`,
      status: event.status === null ? (event.error ?? 'error') : String(event.status),
      durationMs: event.durationMs,
      detail: { attempt: event.attempt, ...(event.connectionId ? { connection_id: event.connectionId } : {}), ...(event.error ? { error: event.error } : {}) },
    });
}
