/**
 * The append-only audit trail (SPEC section 2): every operation, with who, what, when, target,
 * status and duration; outbound API calls are recorded next to it (src/services/outbound-calls.ts),
 * and both are filed under the request or job they happened in (`operations`, read by
 * src/services/audit-log.ts). Details pass through the same redaction as logs, so a secret that
 * slips into a detail object is masked before it is stored.
 */
import { randomUUID } from 'node:crypto';
import type { Orm } from '../db/database.ts';
import { auditEvents, operations } from '../db/schema.ts';
import { currentOperation } from '../lib/operation-context.ts';
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

/**
 * Writes the event (in the caller's transaction when `orm` is one) with the operation row it
 * belongs to: the current request's or job's, or one of its own when it happens outside both.
 */
export async function recordAudit(orm: Orm, entry: AuditEntry): Promise<void> {
  let operationId: string | null = null;
  if (entry.orgId) {
    const operation = currentOperation();
    operationId = operation?.id ?? randomUUID();
    await orm
      .insert(operations)
      .values({
        id: operationId,
        orgId: operation?.orgId ?? entry.orgId,
        kind: operation?.kind ?? 'background',
        name: operation?.name ?? entry.action,
        actor: operation?.actor ?? entry.actor,
        requestId: operation?.requestId ?? null,
        ...(operation ? { createdAt: operation.startedAt } : {}),
      })
      .onConflictDoNothing();
  }
  await orm.insert(auditEvents).values({
    orgId: entry.orgId,
    actor: entry.actor,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    status: entry.status,
    durationMs: entry.durationMs === undefined ? null : Math.round(entry.durationMs),
    detail: (redactDeep(entry.detail ?? {}) as Record<string, unknown>) ?? {},
    operationId,
  });
}
