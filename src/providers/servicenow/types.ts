/**
 * The ServiceNow client contract: the Table API (`/api/now/table/{table}`) for one instance. Any table
 * works (default `incident`; `sn_vul_vulnerable_item` or a custom `u_…` table per connection), so every
 * record call names its table. Values are strings as ServiceNow sends them; references are
 * `{link, value}` (or `{display_value, link}` in display mode). Callers depend on this file only.
 */
import type { Logger } from 'pino';
import type { OutboundClient } from '../../http-client/index.ts';
import type { SharedState } from '../../shared-state/index.ts';
import type { CredentialSource } from '../credentials/index.ts';
import type { ServiceNowLimiterRegistry } from './limiter.ts';

export const DEFAULT_TABLE = 'incident';

export interface ServiceNowTarget {
  /** https://{instance}.service-now.com (a simulator in tests). */
  instanceUrl: string;
  /** The connection's table (default `incident`): what the ticketing adapter writes to. */
  table: string;
  /** Asked for the credential at each call (Basic or OAuth bearer); a 401 is retried once when the source renews it. */
  credentials: CredentialSource;
  connectionId?: string;
  orgId?: string;
}

/** A record as the Table API returns it: field → string, reference object or display object. */
export type ServiceNowFields = Record<string, unknown>;

export interface ServiceNowRecord {
  sysId: string;
  /** INC0010001 …; empty on tables without a number. */
  number: string;
  /** {instance}/nav_to.do?uri={table}.do?sys_id={sys_id}: the record in the instance's UI. */
  url: string;
  table: string;
  fields: ServiceNowFields;
}

export type DisplayValue = boolean | 'all';

export interface ReadOptions {
  /** `sysparm_fields`: only these (dot-walking allowed, unknown names ignored by ServiceNow). */
  fields?: string[];
  /** `sysparm_display_value`: false (values, default), true (labels), 'all' (both). */
  displayValue?: DisplayValue;
  /** `sysparm_exclude_reference_link`. */
  excludeReferenceLink?: boolean;
}

export interface ListOptions extends ReadOptions {
  /** An encoded query (`sysparm_query`), e.g. `active=true^ORDERBYsys_created_on`. */
  query?: string;
  /** Records per request (`sysparm_limit`; default 1000 — ServiceNow's own default is 10,000). */
  pageSize?: number;
  /** Upper bound across all pages (default 10,000). */
  maxRecords?: number;
}

export interface WriteOptions {
  /** `sysparm_input_display_value=true`: references and choices may be given by display value. */
  inputDisplayValue?: boolean;
  /** Fields to read back (`sysparm_fields`); default all. */
  fields?: string[];
}

export interface CreateOnceResult {
  record: ServiceNowRecord;
  /** False when a record with this correlation id already existed (found before or after a lost answer). */
  created: boolean;
  /** Lookups by correlation id made because an answer was lost. */
  reconciled: number;
}

export interface ServiceNowGroup {
  sysId: string;
  name: string;
}

export interface ServiceNowUser {
  sysId: string;
  userName: string;
  name: string;
  email: string | null;
}

export interface ServiceNowClient {
  readonly target: ServiceNowTarget;
  /** POST /api/now/table/{table}: 201 with the record. Not resent: a lost answer is `outcomeUnknown`. */
  create(table: string, fields: ServiceNowFields, options?: WriteOptions): Promise<ServiceNowRecord>;
  /**
   * Exactly-once create for records keyed by `correlation_id` (our stable finding key): looks the key
   * up first; creates; when the answer is lost (outcome unknown), looks the key up again before
   * resending, so a record stored before the connection dropped is returned, not duplicated.
   * `fields.correlation_id` is set to `key`.
   */
  createOnce(table: string, key: string, fields: ServiceNowFields, options?: WriteOptions & { maxAttempts?: number; lookupFirst?: boolean }): Promise<CreateOnceResult>;
  /** GET by sys_id; TICKET_NOT_FOUND on 404. */
  get(table: string, sysId: string, options?: ReadOptions): Promise<ServiceNowRecord>;
  /** PATCH by sys_id (fields only, no journal entries: safe to resend). */
  update(table: string, sysId: string, fields: ServiceNowFields, options?: WriteOptions): Promise<ServiceNowRecord>;
  /** Every page of a query, following the Link header's rel="next". */
  list(table: string, options?: ListOptions): Promise<ServiceNowRecord[]>;
  /** Records whose correlation_id equals `key` (oldest first); [] when none. */
  findByCorrelationId(table: string, key: string, options?: ReadOptions): Promise<ServiceNowRecord[]>;
  /** Appends a work note (journal field, internal). Not resent on a lost answer: a resend would add it twice. */
  addWorkNote(table: string, sysId: string, text: string): Promise<void>;
  /** Appends an additional comment (journal field, customer-visible). */
  addComment(table: string, sysId: string, text: string): Promise<void>;
  /** The active group in sys_user_group with this name (case-insensitive), or null. */
  findGroupByName(name: string): Promise<ServiceNowGroup | null>;
  /** The sys_user with this user name, or null. */
  findUserByName(userName: string): Promise<ServiceNowUser | null>;
}

export interface ServiceNowLimits {
  /** Concurrent calls per connection in this process. */
  maxConcurrent: number;
  /** Longest a call waits in total for rate-limit pauses before failing with PROVIDER_RATE_LIMITED. */
  maxRateLimitWaitMs: number;
  /** Request timeout per attempt. */
  timeoutMs: number;
  /** Attempts (first + retries) for idempotent calls on 5xx/timeouts, done by the outbound client. */
  maxAttempts: number;
}

export interface ServiceNowClientDeps {
  http: OutboundClient;
  sharedState: SharedState;
  logger: Logger;
  /** Per-process concurrency slots; tests pass their own to act as another process. */
  limiters?: ServiceNowLimiterRegistry;
  limits?: Partial<ServiceNowLimits>;
}
