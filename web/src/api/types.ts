/**
 * Shapes of the public API's answers the UI reads, as /openapi.json describes them (components
 * Connection, Mapping, Ticket, Finding, …). Kept by hand: the UI reads a subset, and a field the
 * service renames shows up as a type error here and in the browser tests.
 */

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export type FindingState = 'backlog' | 'todo' | 'in_progress' | 'in_review' | 'done' | 'wont_fix';

export interface SessionUser {
  id: string;
  username: string;
  roles: string[];
  org: string;
}

export interface Session {
  user: SessionUser;
  csrf_token: string;
}

export interface Connection {
  id: string;
  provider: string;
  name: string;
  auth_kind: string;
  site_url: string | null;
  api_url: string | null;
  account_email: string | null;
  status: string;
  last_error: string | null;
  user_id: string | null;
  created_at: string;
}

export interface ConnectionTest {
  ok: boolean;
  code: string | null;
  message: string;
  account: { display_name: string; account_id: string | null; email: string | null } | null;
}

export type MappingKind = 'status' | 'priority' | 'project' | 'issue_type' | 'assignment_group';

export interface Mapping {
  id: string;
  kind: MappingKind;
  source: string;
  target: string;
  removable: boolean;
}

export interface Ticket {
  id: string;
  finding_id: string;
  connection_id: string;
  provider: string;
  external_id: string | null;
  external_key: string | null;
  url: string | null;
  external_status: string | null;
  external_priority: string | null;
  state: string;
  sync_state: string;
  last_error: string | null;
  last_synced_at: string | null;
  created_at: string;
}

export interface RequestPreview {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface BulkTicketsResult {
  dry_run: boolean;
  results: { finding_id: string; status: 'created' | 'existing' | 'planned' | 'failed'; ticket: Ticket | null; error: { code: string; message: string } | null }[];
  requests: RequestPreview[] | null;
  notes: string[];
  summary: { total: number; created: number; existing: number; planned: number; failed: number };
}

export interface Finding {
  id: string;
  kind: 'vulnerability' | 'violation';
  fingerprint: string;
  title: string;
  description: string | null;
  severity: Severity;
  state: FindingState;
  state_reason: string | null;
  cvss_score: number | null;
  ecosystem: string | null;
  package_name: string | null;
  current_version: string | null;
  fixed_version: string | null;
  advisory_ids: string[];
  repo_url: string | null;
  manifest_path: string | null;
  framework: string | null;
  control_id: string | null;
  case_id: string | null;
  source: string | null;
  external_ref: string | null;
  first_seen_at: string;
  last_seen_at: string;
  resolved_at: string | null;
  /** SLA due date from the organization's policy (absent on services before the policies API). */
  due_at?: string | null;
  sla_breached?: boolean;
  created_at: string;
  updated_at: string;
}

/** GET /api/v1/analytics. */
export type { AnalyticsView } from '../../../src/contracts/analytics.ts';

/** GET /api/v1/audit-log: operations with their audit events and outbound calls. */
export type { AuditEventView, AuditLogPage, AuditOperationView, OutboundCallView } from '../../../src/contracts/audit-log.ts';

/** GET /api/v1/pull-requests. */
export type { PullRequestPage, PullRequestState, PullRequestView } from '../../../src/contracts/pull-requests.ts';

export interface AuditCase {
  id: string;
  name: string;
  framework: string | null;
  description?: string | null;
  status: string;
  created_at: string;
  violation_count: number;
}

export interface Job {
  id: string;
  kind: string;
  state: string;
  attempts: number;
  max_attempts: number;
  next_run_at: string | null;
  last_error: string | null;
  created_at: string;
  completed_at: string | null;
}

export interface WebhookEndpoint {
  id: string;
  provider: 'jira' | 'servicenow' | 'github';
  url: string;
  endpoint_url: string;
  signature_header: string;
  algorithm: string;
  encoding: string;
  secret?: string;
  previous_secret_expires_at: string | null;
  last_delivery_at: string | null;
  created_at: string;
}

export interface WebhookDelivery {
  id: string;
  delivery_id: string | null;
  delivery_id_source: string | null;
  event: string | null;
  received_at: string;
  signature_valid: boolean;
  outcome: string;
  repeats: number;
  detail: string | null;
  error: string | null;
  processed_at: string | null;
}

export interface OAuthStatus {
  connected: boolean;
  site_url: string | null;
  site_name: string | null;
  expires_at: string | null;
  status: string;
  action: string | null;
  owner: 'user' | 'organization' | null;
  user_id: string | null;
  account_id: string | null;
  scopes: string[];
}

export interface ImportSummary {
  scan_id: string | null;
  format: string;
  target: string;
  partial: boolean;
  dry_run: boolean;
  received: number;
  new: number;
  updated: number;
  unchanged: number;
  resolved: number;
  reopened: number;
  skipped: { reason: string; count: number }[];
}

/** A page of a cursor-paged list: the items under the resource's name and the next cursor. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
