/**
 * The response shapes of the API's resources (findings, tickets, connections and mappings, audit
 * cases, the web session, Atlassian OAuth status): the routes answer with them (and /openapi.json documents them), the
 * services build them, and the web UI imports their types (`import type`, src/api/types.ts).
 */
import { z } from 'zod';
import { mappingKinds } from '../domain/mapping.ts';
import { severityLevels } from '../domain/severity.ts';
import { internalStates } from '../domain/states.ts';

export const findingView = z
  .object({
    id: z.string(),
    kind: z.enum(['vulnerability', 'violation']),
    fingerprint: z.string(),
    title: z.string(),
    description: z.string().nullable(),
    severity: z.enum(severityLevels),
    state: z.enum(internalStates),
    state_reason: z.string().nullable(),
    cvss_score: z.number().nullable(),
    ecosystem: z.string().nullable(),
    package_name: z.string().nullable(),
    current_version: z.string().nullable(),
    fixed_version: z.string().nullable(),
    advisory_ids: z.array(z.string()),
    repo_url: z.string().nullable(),
    manifest_path: z.string().nullable(),
    framework: z.string().nullable(),
    control_id: z.string().nullable(),
    case_id: z.string().nullable(),
    source: z.string().nullable(),
    external_ref: z.string().nullable(),
    first_seen_at: z.string(),
    last_seen_at: z.string(),
    resolved_at: z.string().nullable(),
    due_at: z.string().nullable().describe("SLA due date: first seen + the organization policy's days for the severity; null = no SLA"),
    sla_breached: z.boolean().describe('true while the finding is open past due_at'),
    sla_breached_at: z.string().nullable().describe('When the SLA scan marked the breach (and commented on the tickets)'),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Finding' });

export type FindingView = z.infer<typeof findingView>;

export const ticketView = z
  .object({
    id: z.string(),
    finding_id: z.string(),
    connection_id: z.string(),
    provider: z.string(),
    external_id: z.string().nullable(),
    external_key: z.string().nullable(),
    url: z.string().nullable(),
    external_status: z.string().nullable(),
    external_priority: z.string().nullable(),
    state: z.string(),
    sync_state: z.string(),
    last_error: z.string().nullable(),
    last_synced_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'Ticket' });

export type TicketView = z.infer<typeof ticketView>;

export const requestPreview = z.object({ method: z.string(), url: z.string(), headers: z.record(z.string(), z.string()), body: z.unknown() }).meta({ id: 'RequestPreview' });
export type RequestPreviewView = z.infer<typeof requestPreview>;

/** A mapping row's kind, as PUT /api/v1/connections/{id}/mappings takes it (which ones a connection takes is its provider's). */
export const mappingKind = z.enum(mappingKinds).meta({ id: 'MappingKind' });

export type MappingKind = z.infer<typeof mappingKind>;

export const connectionView = z
  .object({
    id: z.string(),
    provider: z.string(),
    name: z.string(),
    auth_kind: z.string(),
    site_url: z.string().nullable(),
    api_url: z.string().nullable(),
    account_email: z.string().nullable(),
    status: z.string(),
    last_error: z.string().nullable(),
    user_id: z.string().nullable(),
    created_at: z.string(),
    mapping_kinds: z.array(mappingKind).describe('The mapping kinds this connection takes (its provider’s); empty: no mappings'),
  })
  .meta({ id: 'Connection' });

export type ConnectionView = z.infer<typeof connectionView>;

export const mappingView = z
  .object({ id: z.string(), kind: z.string(), source: z.string(), target: z.string(), removable: z.boolean() })
  .meta({ id: 'Mapping' });

export type MappingView = z.infer<typeof mappingView>;

export const caseView = z
  .object({
    id: z.string(),
    name: z.string(),
    framework: z.string().nullable(),
    description: z.string().nullable(),
    status: z.string(),
    created_at: z.string(),
    violation_count: z.number().int(),
  })
  .meta({ id: 'AuditCase' });

export type AuditCaseView = z.infer<typeof caseView>;

export const sessionBody = z
  .object({
    user: z.object({
      id: z.string(),
      username: z.string(),
      roles: z.array(z.string()),
      org: z.string().describe('organization slug'),
    }),
    csrf_token: z.string().describe('send as X-CSRF-Token on every POST, PUT, PATCH and DELETE made with the session cookie'),
    expires_at: z.string().describe('the session ends at this time at the latest (or after SESSION_IDLE_MINUTES without a request)'),
  })
  .meta({ id: 'Session' });

export type SessionView = z.infer<typeof sessionBody>;

/** `GET /api/v1/auth/status` and seed 002's `/api/jira/status`: the Atlassian OAuth connections. */
export const oauthConnection = z
  .object({
    id: z.string(),
    cloud_id: z.string(),
    site_url: z.string().nullable(),
    site_name: z.string().nullable(),
    account_id: z.string().nullable(),
    account_email: z.string().nullable(),
    scopes: z.array(z.string()),
    status: z.string().describe('active, reauth_required (connect again), error, disconnected'),
    last_error: z.string().nullable(),
    expires_at: z.string().nullable().describe('When the current access token expires (it is refreshed automatically)'),
    refresh_token_issued_at: z.string().nullable(),
    owner: z.enum(['user', 'organization']),
    user_id: z.string().nullable(),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'OAuthConnection' });

export const oauthStatusBody = z
  .object({
    connected: z.boolean(),
    site_url: z.string().nullable(),
    site_name: z.string().nullable(),
    expires_at: z.string().nullable(),
    status: z.string().describe('not_connected, active, reauth_required, disconnected'),
    action: z.string().nullable().describe('What the user must do, when anything'),
    owner: z.enum(['user', 'organization']).nullable(),
    user_id: z.string().nullable(),
    account_id: z.string().nullable(),
    scopes: z.array(z.string()),
    connections: z.array(oauthConnection),
  })
  .meta({ id: 'OAuthStatus' });
export type OAuthStatusView = z.infer<typeof oauthStatusBody>;
