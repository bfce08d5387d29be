/**
 * Shapes of the public API's answers the UI reads. Where the server has them in src/contracts (the
 * one contracts module of routes, services and UI) they are imported from there as types only
 * (`import type`: erased by the build, so no zod in the bundle; ESLint allows nothing else from
 * src/). The few written out here (connection test, bulk tickets) are as /openapi.json describes
 * them, until their routes' schemas move to src/contracts.
 */

import type { AuditCaseView, ConnectionView, FindingView, MappingKind as MappingKindView, MappingView, OAuthStatusView, RequestPreviewView, SessionView, TicketView } from '../../../src/contracts/views.ts';

// The server's response shapes (src/contracts/views.ts, z.infer types): one definition for the
// routes, the OpenAPI document and the UI; a field the service renames is a type error here.
export type Finding = FindingView;
export type Severity = FindingView['severity'];
export type FindingState = FindingView['state'];
export type Session = SessionView;
export type SessionUser = SessionView['user'];
export type Connection = ConnectionView;
export type Mapping = MappingView;
export type Ticket = TicketView;
export type RequestPreview = RequestPreviewView;
export type AuditCase = AuditCaseView;

/** The kinds of mapping row the API takes (it answers `kind` as a string). */
export type MappingKind = MappingKindView;

export interface ConnectionTest {
  ok: boolean;
  code: string | null;
  message: string;
  account: { display_name: string; account_id: string | null; email: string | null } | null;
}

export interface BulkTicketsResult {
  dry_run: boolean;
  results: { finding_id: string; status: 'created' | 'existing' | 'planned' | 'failed'; ticket: Ticket | null; error: { code: string; message: string } | null }[];
  requests: RequestPreview[] | null;
  notes: string[];
  summary: { total: number; created: number; existing: number; planned: number; failed: number };
}

/** GET /api/v1/analytics. */
export type { AnalyticsView } from '../../../src/contracts/analytics.ts';

/** GET /api/v1/audit-log: operations with their audit events and outbound calls. */
export type { AuditEventView, AuditLogPage, AuditOperationView, OutboundCallView } from '../../../src/contracts/audit-log.ts';

/** GET /api/v1/pull-requests. */
export type { PullRequestPage, PullRequestState, PullRequestView } from '../../../src/contracts/pull-requests.ts';

/** GET /api/v1/jobs. */
export type { JobApiView as Job } from '../../../src/contracts/jobs.ts';

/** GET /api/v1/webhooks and GET /api/v1/webhooks/{id}/deliveries. */
export type { WebhookDeliveryView as WebhookDelivery, WebhookEndpointView as WebhookEndpoint } from '../../../src/contracts/webhooks.ts';

export type OAuthStatus = OAuthStatusView;

/** POST /api/v1/findings/import. */
export type { ImportSummaryView as ImportSummary } from '../../../src/contracts/imports.ts';

/** A page of a cursor-paged list: the items under the resource's name and the next cursor. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
