/**
 * The ticketing interface every ticket tracker implements inside its own folder (Jira Cloud and
 * Jira Server/DC in src/providers/jira/ticketing.ts; ServiceNow next): plan a ticket per finding,
 * create many with per-item results, find our tickets again by our dedupe key, read one, update
 * fields, move it to an internal state through the connection's mapping, comment (at most once per
 * key), link a URL, render a description from our finding, and preview the exact requests of a dry
 * run. Services use only this (through src/providers/registry.ts); nothing here names a provider.
 * test/providers/ticketing/contract.case.ts is the suite every implementation passes.
 */
import type { InternalState, MappingKind, MappingRow, Severity } from '../../domain/mapping.ts';
import type { ErrorCode } from '../../errors/catalogue.ts';
import type { Credential } from '../credentials/index.ts';
import type { ConnectionTarget, ProviderDeps } from '../descriptor/connection.ts';

/** A finding as a ticket shows it (our domain model, flattened; providers render it their way). */
export interface TicketFinding {
  kind: 'vulnerability' | 'violation';
  title: string;
  description?: string | null;
  severity?: string | null;
  ecosystem?: string | null;
  packageName?: string | null;
  installedVersion?: string | null;
  fixedVersion?: string | null;
  /** CVE-… / GHSA-… (others are listed without a link). */
  advisoryIds?: string[];
  cvssScore?: number | null;
  repoUrl?: string | null;
  manifestPath?: string | null;
  framework?: string | null;
  controlId?: string | null;
  caseName?: string | null;
  fingerprint?: string | null;
  remediation?: string[];
  /** Where the full finding lives (our UI or API). */
  detailsUrl?: string | null;
}

/** What an `update` job pushes from our finding to its ticket. */
export type TicketUpdateField = 'priority' | 'summary' | 'due_date';

/** One finding to file a ticket for. */
export interface TicketSubject {
  findingId: string;
  fingerprint: string;
  severity: Severity;
  finding: TicketFinding & { fingerprint: string };
  /** `yyyy-MM-dd` from our SLA policy, or null for none. */
  dueDate?: string | null;
}

/** What a request may say about the tickets it files (seed 002, /api/v1/tickets, seed 000's `jira`). */
export interface TicketOptions {
  /** Where tickets go: the Jira project key (a ServiceNow connection's table is its own setting). */
  projectKey?: string | null;
  issueType?: string | null;
  /** The provider's own priority name; overrides the severity mapping. */
  priority?: string | null;
  /** An email address, looked up to the provider's user. */
  assignee?: string | null;
  components?: string[];
  labels?: string[];
  customFields?: Record<string, unknown>;
}

/** A planned create: complete, including our dedupe key, ready to send as it is. */
export interface TicketDraft {
  findingId: string;
  fingerprint: string;
  /** The value the provider stores to find this ticket again (Jira: a label; ServiceNow: correlation_id). */
  dedupeKey: string;
  /** What scopes the dedupe search (Jira: the project key; ServiceNow: the table). */
  container: string;
  /** The provider's create payload. */
  fields: Record<string, unknown>;
}

export type DraftResult =
  | { ok: true; draft: TicketDraft }
  | { ok: false; code: ErrorCode; message: string; field?: string; retryAfterMs?: number; provider?: string };

/** A ticket on the provider: its id, the key people use, and the page a person opens. */
export interface TicketRef {
  id: string;
  key: string;
  url: string;
}

export type CreateItemResult =
  | { ok: true; ref: TicketRef }
  /**
   * `error` is the provider's coded error. `notCreated`: the provider certainly created nothing (the
   * item was refused, or never sent), so the intent can be cleared; false when it may exist.
   */
  | { ok: false; error: Error; notCreated: boolean };

export interface TicketState {
  ref: TicketRef;
  /** The provider's status name, and its hint for our mapping (Jira: status category key; ServiceNow: state code). */
  status: { name: string; category: string | null };
  priority: string | null;
  /** When the provider last changed it (ISO 8601), when it says. */
  updated: string | null;
}

export interface RequestPreview {
  method: string;
  url: string;
  /** Authorization is masked. */
  headers: Record<string, string>;
  body: unknown;
}

export interface TicketComment {
  /** Plain text, paragraphs split on blank lines. */
  text: string;
  links?: { text: string; url: string }[];
}

/** A mapping row's value the provider does not have (PUT /connections/{id}/mappings answers 422 naming it). */
export interface MappingValueProblem {
  kind: string;
  source: string;
  /** The side of the row that names the provider's value (`kind`: the provider takes no rows of that kind). */
  field: 'kind' | 'source' | 'target';
  value: string;
  /** Says what is unknown and, briefly, what the provider has. */
  message: string;
}

export interface TicketingCapabilities {
  /** Largest create call; 1 when the provider has no bulk create (its creates run concurrently). */
  maxCreateBatch: number;
  /** Whether findByDedupeKey may miss a ticket created moments ago (consistencyWindowMs says how long). */
  searchLags: boolean;
  /** Remote links (Jira); otherwise linkUrl records the URL as a comment or work note. */
  remoteLinks: boolean;
  /** The description format renderDescription produces. */
  descriptionFormat: 'adf' | 'wiki' | 'text' | 'html';
}

/** One connection's ticketing client; planning lookups (priorities, screens, users) are cached for its lifetime (one batch). */
export interface TicketingClient {
  readonly provider: string;
  readonly capabilities: TicketingCapabilities;
  /** How long after a create its dedupe-key search may still miss it. */
  readonly consistencyWindowMs: number;
  /**
   * One authenticated call per client at most (who the credential is): rejects with the provider's
   * error when the credentials do not work. Answers from our own records wait for it.
   */
  verify(): Promise<{ accountId: string | null }>;
  /** The credentials worked in a write (a create succeeded): verify() need not ask again. */
  markVerified(): void;
  /** Plans one create per subject from the mapping rows and options; reads from the provider, writes nothing. */
  draft(subjects: TicketSubject[], options: TicketOptions, mapping: MappingRow[]): Promise<{ results: DraftResult[]; notes: string[] }>;
  /** A caller-supplied create payload (seed 001's Jira `fields`), sent as given plus our dedupe key. */
  draftFromPayload(subject: Pick<TicketSubject, 'findingId' | 'fingerprint'>, payload: Record<string, unknown>): TicketDraft;
  /** The ticket body for a finding, in the provider's format. */
  renderDescription(finding: TicketFinding): unknown;
  /** Creates every draft, chunked as the provider allows; one result per draft, in order. Never throws for a provider's answer. */
  createMany(drafts: TicketDraft[]): Promise<CreateItemResult[]>;
  /**
   * Our tickets carrying these dedupe keys (the oldest when a key was duplicated by hand), keyed by
   * dedupe key. `knownIds`: tickets just created, which a lagging search must still see.
   */
  findByDedupeKey(keys: { container: string; dedupeKey: string }[], options?: { knownIds?: string[] }): Promise<Map<string, TicketRef>>;
  get(idOrKey: string): Promise<TicketState>;
  /**
   * Our tickets (Jira: issues carrying a fingerprint label; ServiceNow: records with a correlation_id)
   * the provider changed at or after `since`, oldest change first, at most `limit` (the periodic sync
   * keeps the last `updated` as its cursor). Minute precision on Jira, so a cursor re-reads the edge.
   */
  listChangedSince(since: Date, limit: number): Promise<TicketState[]>;
  /** Sets fields (provider field ids → values). */
  updateFields(idOrKey: string, fields: Record<string, unknown>): Promise<void>;
  /**
   * Pushes our finding's current values to its ticket (the `update` job): `priority` through the
   * severity mapping (Jira: the mapped priority name; ServiceNow: impact/urgency), `summary` from the
   * title, `due_date` from the SLA due date (null clears it). Returns the priority the ticket shows
   * afterwards as webhooks report it (for the loop guard), null when none was written.
   * `beforeWrite` is called with the priority about to be written, before the provider call (its
   * webhook may arrive before the call returns).
   */
  updateFromFinding(
    idOrKey: string,
    subject: TicketSubject,
    fields: readonly TicketUpdateField[],
    mapping: MappingRow[],
    options?: { beforeWrite?: (expected: { priority: string | null }) => Promise<void> },
  ): Promise<{ priority: string | null }>;
  /**
   * Moves the ticket to the provider status the mapping gives for `to` (Jira: the workflow
   * transition, read from the ticket, that reaches such a status, or the done category for `done`).
   * `changed` false when it already is there. Throws TRANSITION_NOT_AVAILABLE when no transition reaches one.
   */
  transition(idOrKey: string, to: InternalState, mapping: MappingRow[]): Promise<{ changed: boolean; status: string }>;
  /** With `onceKey`, posts at most once per key on this ticket (re-runs see it was posted). */
  comment(idOrKey: string, body: TicketComment, options?: { onceKey?: string }): Promise<{ posted: boolean; id: string | null }>;
  /** Links a URL on the ticket; posting the same URL again replaces the link. */
  linkUrl(idOrKey: string, link: { url: string; title: string; summary?: string }): Promise<void>;
  /** Exactly the create requests createMany would send for these drafts. */
  previewRequests(drafts: TicketDraft[]): RequestPreview[];
  /**
   * Checks the provider-side values of mapping rows against what the provider really has (Jira:
   * status names, priority names, project keys, issue types), reading its metadata (cached briefly,
   * re-read before calling a value unknown). `rows` are the rows to check; `all` the connection's
   * rows as they would be saved (context, e.g. the project an issue type must belong to). Empty when
   * every value is known; rejects with the provider's error when the provider cannot be asked.
   * Optional: a provider without it has its mapping values saved unchecked.
   */
  validateMappingValues?(rows: MappingRow[], all: MappingRow[]): Promise<MappingValueProblem[]>;
}

export interface TicketingDeps extends ProviderDeps {
  /** How long the provider's search may lag behind a create (configured; the provider's default otherwise). */
  searchConsistencyMs?: number;
}

/** What a ticketing provider folder registers (src/providers/registry.ts, the `ticketing` slot). */
export interface TicketingProvider {
  create(target: ConnectionTarget, deps: TicketingDeps): TicketingClient;
  /**
   * The mapping kinds this provider's connections take (src/domain/mapping.ts): a row of another kind
   * is refused when it is saved (PUT /api/v1/connections/{id}/mappings: 422), as nothing would read it.
   */
  mappingKinds: readonly MappingKind[];
  /**
   * Seeds 000/001 send a site URL, an optional account and a token with the request: the credential
   * this provider would use for that site, or null when the site is not this provider's.
   */
  requestCredential?(input: { siteUrl: string; account: string | null; token: string }): Credential | null;
}
