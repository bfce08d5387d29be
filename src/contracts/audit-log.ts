/**
 * `GET /api/v1/audit-log`: the organization's operations (API requests and jobs, newest first),
 * each with its audit events and its outbound calls (method, host, path, status, duration).
 * Shared by the route, the service (src/services/audit-log.ts) and the web UI.
 */
import { z } from 'zod';
import { identifier, safeLine } from './primitives.ts';

/** At most this many audit events and outbound calls per operation in one answer (the totals say how many there are). */
export const MAX_AUDIT_EVENTS_PER_OPERATION = 100;
export const MAX_OUTBOUND_CALLS_PER_OPERATION = 200;

export const auditLogQuery = z.object({
  q: safeLine(200)
    .optional()
    .describe('Case-insensitive text searched in the operation name, actor and request id, its audit actions and targets, and its calls\' hosts and paths'),
  action: identifier(100).optional().describe('Only operations with an audit event of this action (e.g. `tickets.create`)'),
  since: z.iso.datetime({ offset: true }).optional().describe('Only operations started at or after this time (ISO 8601)'),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: identifier(200).optional().describe('next_cursor of the previous page'),
});
export type AuditLogQuery = z.infer<typeof auditLogQuery>;

export const outboundCallView = z
  .object({
    id: z.string(),
    provider: z.string(),
    connection_id: z.string().nullable(),
    method: z.string(),
    host: z.string(),
    path: z.string().describe('Without query string; redacted like the logs'),
    status: z.number().int().nullable().describe('Null when no response arrived (see error)'),
    error: z.string().nullable().describe('An OUTBOUND_* code or the network error when there was no response'),
    duration_ms: z.number().int(),
    attempt: z.number().int(),
    at: z.string(),
  })
  .meta({ id: 'OutboundCall' });
export type OutboundCallView = z.infer<typeof outboundCallView>;

export const auditEventView = z
  .object({
    id: z.string(),
    actor: z.string(),
    action: z.string(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    status: z.string(),
    duration_ms: z.number().int().nullable(),
    detail: z.record(z.string(), z.unknown()),
    at: z.string(),
  })
  .meta({ id: 'AuditEvent' });
export type AuditEventView = z.infer<typeof auditEventView>;

export const auditOperationKinds = ['request', 'job', 'background'] as const;

export const auditOperationView = z
  .object({
    id: z.string().describe('A request\'s own id, or the job\'s id'),
    kind: z.enum(auditOperationKinds),
    name: z.string().describe('`POST /api/v1/tickets` (route pattern) or the job kind'),
    actor: z.string().nullable(),
    request_id: z.string().nullable().describe('X-Request-Id of a request'),
    started_at: z.string(),
    events: z.array(auditEventView),
    events_total: z.number().int(),
    outbound_calls: z.array(outboundCallView).describe(`In order; at most ${MAX_OUTBOUND_CALLS_PER_OPERATION}`),
    outbound_calls_total: z.number().int(),
  })
  .meta({ id: 'AuditOperation' });
export type AuditOperationView = z.infer<typeof auditOperationView>;

export const auditLogPage = z.object({ operations: z.array(auditOperationView), next_cursor: z.string().nullable() });
export type AuditLogPage = z.infer<typeof auditLogPage>;
