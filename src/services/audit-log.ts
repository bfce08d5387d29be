/**
 * The organization's audit log: operations (requests and jobs, newest first, keyset-paged like
 * every list) with their audit events and outbound calls. Search, action and since filters are
 * conditions on the operation and on what it holds (EXISTS), so a page is always whole operations.
 */
import { and, desc, eq, gte, inArray, type SQL, sql } from 'drizzle-orm';
import {
  type AuditLogPage,
  type AuditLogQuery,
  type AuditOperationView,
  MAX_AUDIT_EVENTS_PER_OPERATION,
  MAX_OUTBOUND_CALLS_PER_OPERATION,
} from '../contracts/audit-log.ts';
import { afterCursor, cursorTime, decodeCursor, encodeCursor } from '../db/cursor.ts';
import type { Orm } from '../db/database.ts';
import { auditEvents, operations, outboundCalls } from '../db/schema.ts';

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function listAuditLog(orm: Orm, orgId: string, query: AuditLogQuery): Promise<AuditLogPage> {
  const conditions: SQL[] = [eq(operations.orgId, orgId)];
  if (query.since) conditions.push(gte(operations.createdAt, new Date(query.since)));
  if (query.action) {
    conditions.push(
      sql`exists (select 1 from ${auditEvents} where ${auditEvents.operationId} = ${operations.id} and ${auditEvents.orgId} = ${orgId} and ${auditEvents.action} = ${query.action})`,
    );
  }
  if (query.q) {
    const pattern = likePattern(query.q);
    conditions.push(sql`(
      ${operations.name} ilike ${pattern} or ${operations.actor} ilike ${pattern} or ${operations.requestId} ilike ${pattern}
      or exists (select 1 from ${auditEvents} where ${auditEvents.operationId} = ${operations.id} and ${auditEvents.orgId} = ${orgId}
        and (${auditEvents.action} ilike ${pattern} or ${auditEvents.targetId} ilike ${pattern} or ${auditEvents.targetType} ilike ${pattern} or ${auditEvents.status} ilike ${pattern}))
      or exists (select 1 from ${outboundCalls} where ${outboundCalls.operationId} = ${operations.id} and ${outboundCalls.orgId} = ${orgId}
        and (${outboundCalls.host} ilike ${pattern} or ${outboundCalls.path} ilike ${pattern} or ${outboundCalls.provider} ilike ${pattern}))
    )`);
  }
  if (query.cursor) conditions.push(afterCursor(operations.createdAt, operations.id, decodeCursor(query.cursor)));

  const rows = await orm
    .select({
      id: operations.id,
      kind: operations.kind,
      name: operations.name,
      actor: operations.actor,
      requestId: operations.requestId,
      createdAt: operations.createdAt,
      cursorAt: cursorTime(operations.createdAt),
    })
    .from(operations)
    .where(and(...conditions))
    .orderBy(desc(operations.createdAt), desc(operations.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > query.limit && last ? encodeCursor({ at: last.cursorAt, id: last.id }) : null;
  if (page.length === 0) return { operations: [], next_cursor: nextCursor };

  const ids = page.map((row) => row.id);
  const [events, calls, eventCounts, callCounts] = await Promise.all([
    orm
      .select()
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.orgId, orgId),
          inArray(auditEvents.operationId, ids),
          sql`${auditEvents.id} in (select id from (select id, row_number() over (partition by operation_id order by id) as n from ${auditEvents} where ${inArray(auditEvents.operationId, ids)}) ranked where n <= ${MAX_AUDIT_EVENTS_PER_OPERATION})`,
        ),
      )
      .orderBy(auditEvents.id),
    orm
      .select()
      .from(outboundCalls)
      .where(
        and(
          eq(outboundCalls.orgId, orgId),
          sql`${outboundCalls.id} in (select id from (select id, row_number() over (partition by operation_id order by at, id) as n from ${outboundCalls} where ${inArray(outboundCalls.operationId, ids)}) ranked where n <= ${MAX_OUTBOUND_CALLS_PER_OPERATION})`,
        ),
      )
      .orderBy(outboundCalls.at, outboundCalls.id),
    orm
      .select({ operationId: auditEvents.operationId, count: sql<number>`count(*)::int` })
      .from(auditEvents)
      .where(and(eq(auditEvents.orgId, orgId), inArray(auditEvents.operationId, ids)))
      .groupBy(auditEvents.operationId),
    orm
      .select({ operationId: outboundCalls.operationId, count: sql<number>`count(*)::int` })
      .from(outboundCalls)
      .where(and(eq(outboundCalls.orgId, orgId), inArray(outboundCalls.operationId, ids)))
      .groupBy(outboundCalls.operationId),
  ]);

  const views = new Map<string, AuditOperationView>(
    page.map((row) => [
      row.id,
      {
        id: row.id,
        kind: row.kind as AuditOperationView['kind'],
        name: row.name,
        actor: row.actor,
        request_id: row.requestId,
        started_at: row.createdAt.toISOString(),
        events: [],
        events_total: 0,
        outbound_calls: [],
        outbound_calls_total: 0,
      },
    ]),
  );
  for (const event of events) {
    views.get(event.operationId!)?.events.push({
      id: String(event.id),
      actor: event.actor,
      action: event.action,
      target_type: event.targetType,
      target_id: event.targetId,
      status: event.status,
      duration_ms: event.durationMs,
      detail: (event.detail ?? {}) as Record<string, unknown>,
      at: event.createdAt.toISOString(),
    });
  }
  for (const call of calls) {
    views.get(call.operationId)?.outbound_calls.push({
      id: call.id,
      provider: call.provider,
      connection_id: call.connectionId,
      method: call.method,
      host: call.host,
      path: call.path,
      status: call.status,
      error: call.error,
      duration_ms: call.durationMs,
      attempt: call.attempt,
      at: call.at.toISOString(),
    });
  }
  for (const { operationId, count } of eventCounts) {
    const view = operationId ? views.get(operationId) : undefined;
    if (view) view.events_total = Number(count);
  }
  for (const { operationId, count } of callCounts) {
    const view = views.get(operationId);
    if (view) view.outbound_calls_total = Number(count);
  }
  return { operations: [...views.values()], next_cursor: nextCursor };
}
