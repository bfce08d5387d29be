/**
 * The one client contract for Jira, whichever flavour answers: Jira Cloud (REST v3, ADF rich text,
 * people by accountId) and Jira Server / Data Center (REST v2, wiki strings, people by name). Callers
 * (the ticket service, jobs) depend on this file only; flavour differences stay inside this folder.
 */
import type { Logger } from 'pino';
import type { OutboundClient } from '../../http-client/index.ts';
import type { SharedState } from '../../shared-state/index.ts';
import type { CredentialSource } from '../credentials/index.ts';
import type { JiraError } from './errors.ts';
import type { JiraLimiterRegistry } from './limiter.ts';

export type JiraFlavor = 'cloud' | 'server';

export interface JiraTarget {
  flavor: JiraFlavor;
  /** Site URL, or https://api.atlassian.com/ex/jira/{cloudId} for OAuth; Server may have a context path. */
  baseUrl: string;
  /**
   * Asked for the credential at each call (Cloud: api-token or OAuth; Server/DC: PAT or basic), so
   * a refreshed token is used by the next call; a 401 is retried once when the source renews it.
   */
  credentials: CredentialSource;
  connectionId?: string;
  orgId?: string;
  /** Site URL for human links when baseUrl is the API gateway. */
  browseUrl?: string;
}

export interface JiraIssueRef {
  id: string;
  key: string;
  /** {site}/browse/{key} */
  url: string;
}

export interface JiraIssue extends JiraIssueRef {
  status: { name: string; categoryKey: string };
  priority: string | null;
  labels: string[];
  summary: string;
  updated: string;
  fields: Record<string, unknown>;
}

export interface JiraIssueProperty {
  key: string;
  value: unknown;
}

export interface BulkCreateItem {
  fields: Record<string, unknown>;
  properties?: JiraIssueProperty[];
}

export interface BulkFailure {
  /** Index into the input array. */
  index: number;
  /** Jira's status for this item (400 for a per-item refusal), or the whole chunk's status; 0 when no answer came. */
  status: number;
  error: JiraError;
  /**
   * False when the chunk holding this item was never sent (an earlier chunk failed as a whole), so the
   * item certainly does not exist. True when it was sent: check `error.outcomeUnknown` before retrying.
   */
  attempted: boolean;
}

export interface BulkResult {
  created: (JiraIssueRef & { index: number })[];
  failed: BulkFailure[];
}

/** Plain text (paragraphs split on blank lines) plus links, rendered as ADF on Cloud and wiki on Server. */
export interface CommentBody {
  text: string;
  links?: { text: string; url: string }[];
}

export interface CreateField {
  fieldId: string;
  name: string;
  required: boolean;
  hasDefaultValue: boolean;
  schema: { type: string; items?: string; system?: string; custom?: string; customId?: number };
  /** Options for select, priority, etc., as Jira lists them (id plus name or value). */
  allowedValues?: { id?: string; name?: string; value?: string }[];
}

export interface JiraTransition {
  id: string;
  name: string;
  to: { name: string; categoryKey: string };
}

export interface JiraUserRef {
  /** Cloud: use as `assignee: { accountId }`. */
  accountId: string | null;
  /** Server/DC: use as `assignee: { name }`. */
  name: string | null;
}

export interface SearchOptions {
  /** Fields to return besides the ones JiraIssue always carries (summary, status, priority, labels, updated). */
  fields?: string[];
  /** Upper bound on issues returned across all pages (default 10,000). */
  maxResults?: number;
  /** Issues per request (default 100; Jira may return fewer). */
  pageSize?: number;
  /** Cloud: issue ids that must be read-after-write consistent (chunked by 50). Ignored on Server, which indexes synchronously. */
  reconcileIssues?: number[];
}

export interface RemoteLinkInput {
  /** Upsert key: posting the same globalId again replaces the link. */
  globalId: string;
  url: string;
  title: string;
  summary?: string;
  iconUrl?: string;
}

export interface JiraClient {
  readonly flavor: JiraFlavor;
  /** The connection's account; `timeZone` (IANA) is the zone Jira reads the account's JQL dates in. */
  myself(): Promise<{ accountId: string | null; name: string | null; displayName: string; emailAddress: string | null; timeZone: string | null }>;
  getProject(key: string): Promise<{ id: string; key: string; name: string; issueTypes: { id: string; name: string }[] }>;
  /** Create-screen metadata, cached per connection + project + issue type in SharedState (~10 min). */
  createFields(projectKey: string, issueTypeName: string): Promise<CreateField[]>;
  createIssue(fields: Record<string, unknown>, options?: { properties?: JiraIssueProperty[] }): Promise<JiraIssueRef>;
  /** Chunks of at most 50; per-item failures mapped to indexes of the input. Never throws for Jira answers. */
  bulkCreate(items: BulkCreateItem[]): Promise<BulkResult>;
  getIssue(idOrKey: string, options?: { fields?: string[] }): Promise<JiraIssue>;
  /** Every page: Cloud /rest/api/3/search/jql (nextPageToken), Server /rest/api/2/search (startAt). */
  search(jql: string, options?: SearchOptions): Promise<JiraIssue[]>;
  addComment(idOrKey: string, body: CommentBody): Promise<{ id: string }>;
  listTransitions(idOrKey: string): Promise<JiraTransition[]>;
  transition(idOrKey: string, transitionId: string): Promise<void>;
  /** Upsert by globalId. */
  addRemoteLink(idOrKey: string, link: RemoteLinkInput): Promise<void>;
  /** Cloud → accountId; Server → name. Null when no single user matches. */
  findUser(email: string): Promise<JiraUserRef | null>;
  priorities(): Promise<{ id: string; name: string }[]>;
  /** Issue properties (entity properties): 201/200 upsert. */
  setIssueProperty(idOrKey: string, key: string, value: unknown): Promise<void>;
  /** Null when the issue has no such property. */
  getIssueProperty(idOrKey: string, key: string): Promise<unknown | null>;
}

export interface JiraClientDeps {
  http: OutboundClient;
  sharedState: SharedState;
  logger: Logger;
  /** Per-process concurrency slots; defaults to one registry per process. Tests pass their own to act as another process. */
  limiters?: JiraLimiterRegistry;
  /** Settings for the rate-limit behaviour; defaults suit production. */
  limits?: Partial<JiraLimits>;
}

export interface JiraLimits {
  /** Concurrent calls per connection in this process. */
  maxConcurrent: number;
  /** Longest a call waits in total for rate-limit pauses before failing with JIRA_RATE_LIMITED. */
  maxRateLimitWaitMs: number;
  /** Request timeout per attempt. */
  timeoutMs: number;
  /** Attempts (first + retries) for idempotent calls on 5xx/timeouts, done by the outbound client. */
  maxAttempts: number;
  /** createmeta cache lifetime. */
  createMetaTtlMs: number;
}
