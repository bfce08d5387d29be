/**
 * The relational model of SPEC section 2, one schema for the embedded database (PGlite) and
 * PostgreSQL. Every tenant row carries org_id; the unique constraints are what make duplicates
 * impossible (one ticket per finding per connection, one open PR per repo and branch, one accepted
 * delivery per provider delivery id). Jobs live in pg-boss's own tables (schema `pgboss`,
 * written only through pg-boss's API); `job_records` is our tenant-scoped index of them.
 * Triggers that cannot be expressed here (default mapping rows, append-only audit) are in
 * migrations/0001_*.sql.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  foreignKey,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { mappingKinds } from '../domain/mapping.ts';
import { severityLevels } from '../domain/severity.ts';
import { internalStates } from '../domain/states.ts';

const id = () => uuid('id').primaryKey().defaultRandom();
/** Bytes as stored (node-postgres reads them as a Buffer, PGlite as a Uint8Array). */
const bytea = customType<{ data: Buffer; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
});
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
const orgId = () =>
  uuid('org_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' });

// The domain owns these lists; the check constraints below are written from them.
export const severities = severityLevels;
export { internalStates };
export const providers = ['jira-cloud', 'jira-server', 'servicenow', 'github', 'confluence'] as const;
export const authKinds = ['oauth2', 'pat', 'api-token', 'basic', 'app-installation'] as const;
/** `reauth_required`: the provider refused the refresh token; the owner must connect again. */
export const connectionStatuses = ['active', 'error', 'disconnected', 'reauth_required'] as const;
export { mappingKinds };

const inList = (column: string, values: readonly string[]) =>
  sql.raw(`${column} in (${values.map((value) => `'${value}'`).join(', ')})`);

export const organizations = pgTable('organizations', {
  id: id(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});

export const users = pgTable(
  'users',
  {
    id: id(),
    orgId: orgId(),
    subject: text('subject').notNull(),
    email: text('email'),
    displayName: text('display_name'),
    /** Local sign-in name (web UI); unique across organizations, null for token-only users. */
    username: text('username'),
    /** scrypt hash with its salt and parameters (src/services/users.ts); null: no password sign-in. */
    passwordHash: text('password_hash'),
    /** Roles of a local account's sessions (admin, member); token users carry theirs in the token. */
    roles: text('roles').array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex('users_org_subject_uq').on(table.orgId, table.subject), uniqueIndex('users_username_uq').on(table.username)],
);

/**
 * Web UI sessions. The cookie's value is never stored: `id_hash` is its SHA-256, so reading this
 * table yields no live session. A session ends at `expires_at` (absolute) or after
 * SESSION_IDLE_MINUTES without a request (`last_seen_at`).
 */
export const sessions = pgTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    orgId: orgId(),
    csrfToken: text('csrf_token').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (table) => [index('sessions_user_idx').on(table.userId), index('sessions_expires_idx').on(table.expiresAt)],
);

export const connections = pgTable(
  'connections',
  {
    id: id(),
    orgId: orgId(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    name: text('name').notNull(),
    authKind: text('auth_kind').notNull(),
    siteUrl: text('site_url'),
    apiUrl: text('api_url'),
    cloudId: text('cloud_id'),
    siteName: text('site_name'),
    accountEmail: text('account_email'),
    scopes: text('scopes').array().notNull().default(sql`'{}'::text[]`),
    /** Non-secret connection fields a descriptor stores as settings (ServiceNow table, GitHub App ids). */
    settings: jsonb('settings').$type<Record<string, string>>().notNull().default({}),
    /** AES-256-GCM ciphertext (src/crypto) of a JSON object with every secret of the connection. */
    secretsEncrypted: text('secrets_encrypted'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    /** OAuth 2.0: the provider's account id of the person who consented (Atlassian `account_id`). */
    accountId: text('account_id'),
    /** OAuth 2.0: when the stored refresh token was issued (Atlassian: 90 days idle limit). */
    refreshTokenIssuedAt: timestamp('refresh_token_issued_at', { withTimezone: true }),
    /** OAuth 2.0: when the user consented, i.e. the refresh-token family began (Atlassian: 365 days absolute limit). */
    grantStartedAt: timestamp('grant_started_at', { withTimezone: true }),
    /**
     * OAuth 2.0: the consent these tokens come from. One consent may grant several sites (a row each);
     * they share one rotating refresh token, so a refresh rewrites every row of the grant at once.
     */
    oauthGrantId: uuid('oauth_grant_id'),
    /** The periodic ticket sync's changed-since cursor (newest provider `updated` applied); every worker reads it here. */
    syncCursor: timestamp('sync_cursor', { withTimezone: true }),
    status: text('status').notNull().default('active'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    index('connections_org_provider_idx').on(table.orgId, table.provider),
    // One row per site and account for credentials sent per request (no stored secret), so two
    // concurrent requests cannot each make one and file the same finding twice.
    uniqueIndex('connections_request_credentials_uq')
      .on(table.orgId, table.provider, table.siteUrl, sql`coalesce(${table.accountEmail}, '')`)
      .where(sql`${table.secretsEncrypted} is null and ${table.status} = 'active'`),
    check('connections_provider_ck', inList('provider', providers)),
    check('connections_auth_kind_ck', inList('auth_kind', authKinds)),
    check('connections_status_ck', inList('status', connectionStatuses)),
    // One OAuth connection per site and owner (the organization, or one user): a reconnect updates it.
    uniqueIndex('connections_oauth_site_uq')
      .on(table.orgId, table.provider, table.cloudId, sql`coalesce(${table.userId}::text, '')`)
      .where(sql`${table.authKind} = 'oauth2' and ${table.cloudId} is not null`),
  ],
);

/**
 * An organization's own OAuth app (client id, encrypted secret, redirect URI) for a provider, set
 * through the admin API; the environment's app (JIRA_CLIENT_ID / ATLASSIAN_CLIENT_ID …) wins when set.
 */
export const oauthClients = pgTable(
  'oauth_clients',
  {
    id: id(),
    orgId: orgId(),
    provider: text('provider').notNull(),
    clientId: text('client_id').notNull(),
    /** AES-256-GCM ciphertext (src/crypto) of the client secret. */
    clientSecretEncrypted: text('client_secret_encrypted').notNull(),
    redirectUri: text('redirect_uri'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [uniqueIndex('oauth_clients_org_provider_uq').on(table.orgId, table.provider)],
);

export const mappings = pgTable(
  'mappings',
  {
    id: id(),
    orgId: orgId(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    source: text('source').notNull(),
    target: text('target').notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('mappings_connection_kind_source_uq').on(table.connectionId, table.kind, table.source),
    check('mappings_kind_ck', inList('kind', mappingKinds)),
  ],
);

export const auditCases = pgTable(
  'audit_cases',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    framework: text('framework'),
    description: text('description'),
    status: text('status').notNull().default('open'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [index('audit_cases_org_idx').on(table.orgId)],
);

export const findings = pgTable(
  'findings',
  {
    id: id(),
    orgId: orgId(),
    kind: text('kind').notNull(),
    fingerprint: text('fingerprint').notNull(),
    title: text('title').notNull(),
    description: text('description'),
    severity: text('severity').notNull(),
    state: text('state').notNull().default('backlog'),
    stateReason: text('state_reason'),
    ecosystem: text('ecosystem'),
    packageName: text('package_name'),
    installedVersion: text('installed_version'),
    fixedVersion: text('fixed_version'),
    advisoryIds: text('advisory_ids').array().notNull().default(sql`'{}'::text[]`),
    cvssScore: numeric('cvss_score', { precision: 3, scale: 1 }),
    repoUrl: text('repo_url'),
    manifestPath: text('manifest_path'),
    framework: text('framework'),
    controlId: text('control_id'),
    caseId: uuid('case_id').references(() => auditCases.id, { onDelete: 'set null' }),
    source: text('source'),
    externalRef: text('external_ref'),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    /** SLA due date: first_seen_at + the org policy's days for the severity (trigger findings_due_at); null = no SLA. */
    dueAt: timestamp('due_at', { withTimezone: true }),
    /** When the SLA scan (src/services/sla) found it open past due_at: marked, and commented, once. */
    breachedAt: timestamp('breached_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('findings_org_fingerprint_uq').on(table.orgId, table.fingerprint),
    index('findings_sla_due_idx').on(table.dueAt).where(sql`${table.breachedAt} is null and ${table.dueAt} is not null`),
    index('findings_org_state_idx').on(table.orgId, table.state),
    index('findings_case_idx').on(table.caseId),
    check('findings_kind_ck', inList('kind', ['vulnerability', 'violation'])),
    check('findings_severity_ck', inList('severity', severities)),
    check('findings_state_ck', inList('state', internalStates)),
  ],
);

export const tickets = pgTable(
  'tickets',
  {
    id: id(),
    orgId: orgId(),
    findingId: uuid('finding_id')
      .notNull()
      .references(() => findings.id, { onDelete: 'cascade' }),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    /** pending = intent recorded before the remote create; created once the provider answered. */
    syncState: text('sync_state').notNull().default('pending'),
    externalId: text('external_id'),
    externalKey: text('external_key'),
    url: text('url'),
    externalStatus: text('external_status'),
    externalPriority: text('external_priority'),
    state: text('state').notNull().default('backlog'),
    lastError: text('last_error'),
    /**
     * Set (compare-and-set) just before the provider's create call: the intent. A pending ticket with
     * this set may already exist remotely, so the next attempt looks it up before creating again.
     */
    createRequestedAt: timestamp('create_requested_at', { withTimezone: true }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    lastSyncedAt: timestamp('last_synced_at', { withTimezone: true }),
    /** What we last wrote to the provider's status/priority (loop guard: its webhook echo is not new work). */
    lastWrittenStatus: text('last_written_status'),
    lastWrittenPriority: text('last_written_priority'),
    lastWrittenAt: timestamp('last_written_at', { withTimezone: true }),
    /**
     * The provider's version of the newest change applied (its modification time, with Jira's
     * changelog id or ServiceNow's sys_mod_count to order changes of the same instant): a delivery
     * or sync result older than that is not applied (src/services/webhooks/remote-version.ts).
     */
    remoteChangedAt: timestamp('remote_changed_at', { withTimezone: true, precision: 3 }),
    remoteSequence: bigint('remote_sequence', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('tickets_finding_connection_uq').on(table.findingId, table.connectionId),
    uniqueIndex('tickets_connection_external_uq').on(table.connectionId, table.externalId),
    index('tickets_org_idx').on(table.orgId),
    check('tickets_state_ck', inList('state', internalStates)),
    check('tickets_sync_state_ck', inList('sync_state', ['pending', 'created', 'failed'])),
  ],
);

export const pullRequests = pgTable(
  'pull_requests',
  {
    id: id(),
    orgId: orgId(),
    connectionId: uuid('connection_id').references(() => connections.id, { onDelete: 'set null' }),
    repoUrl: text('repo_url').notNull(),
    branch: text('branch').notNull(),
    baseBranch: text('base_branch').notNull(),
    number: integer('number'),
    url: text('url'),
    title: text('title'),
    state: text('state').notNull().default('open'),
    headSha: text('head_sha'),
    mergedAt: timestamp('merged_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('pull_requests_open_branch_uq')
      .on(table.orgId, table.repoUrl, table.branch)
      .where(sql`state = 'open'`),
    check('pull_requests_state_ck', inList('state', ['open', 'closed', 'merged'])),
  ],
);

/**
 * One lease per (repository, branch) while a fix-PR job works on it (src/services/pull-requests/branch-lock.ts):
 * the primary key makes a second holder impossible; a holder that died is replaced once expires_at passed.
 */
export const prBranchLocks = pgTable('pr_branch_locks', {
  key: text('key').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  createdAt: createdAt(),
});

export const pullRequestFindings = pgTable(
  'pull_request_findings',
  {
    pullRequestId: uuid('pull_request_id')
      .notNull()
      .references(() => pullRequests.id, { onDelete: 'cascade' }),
    findingId: uuid('finding_id')
      .notNull()
      .references(() => findings.id, { onDelete: 'cascade' }),
  },
  (table) => [primaryKey({ columns: [table.pullRequestId, table.findingId] })],
);

export const pullRequestTickets = pgTable(
  'pull_request_tickets',
  {
    pullRequestId: uuid('pull_request_id')
      .notNull()
      .references(() => pullRequests.id, { onDelete: 'cascade' }),
    ticketId: uuid('ticket_id')
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
  },
  (table) => [primaryKey({ columns: [table.pullRequestId, table.ticketId] })],
);

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: id(),
    orgId: orgId(),
    provider: text('provider').notNull(),
    connectionId: uuid('connection_id').references(() => connections.id, { onDelete: 'cascade' }),
    secretEncrypted: text('secret_encrypted').notNull(),
    /** The secret before the last rotation, still accepted until previous_secret_expires_at (overlap window). */
    previousSecretEncrypted: text('previous_secret_encrypted'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
    signatureHeader: text('signature_header').notNull(),
    algorithm: text('algorithm').notNull().default('hmac-sha256'),
    /** How the digest is written in the header: hex (default) or base64 (ServiceNow scripts may use either). */
    signatureEncoding: text('signature_encoding').notNull().default('hex'),
    lastDeliveryAt: timestamp('last_delivery_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('webhook_endpoints_org_provider_uq').on(table.orgId, table.provider),
    // The target of deliveries' (endpoint_id, org_id) reference.
    unique('webhook_endpoints_id_org_uq').on(table.id, table.orgId),
  ],
);

export const deliveries = pgTable(
  'deliveries',
  {
    id: id(),
    // One reference for both, (endpoint_id, org_id) -> the endpoint (below): a delivery belongs to its
    // endpoint's organization, and each stored row costs one key check, not two (bench webhook-ingest).
    orgId: uuid('org_id').notNull(),
    endpointId: uuid('endpoint_id').notNull(),
    provider: text('provider').notNull(),
    deliveryId: text('delivery_id'),
    event: text('event'),
    signatureValid: boolean('signature_valid').notNull(),
    outcome: text('outcome').notNull(),
    error: text('error'),
    bodySha256: text('body_sha256'),
    /**
     * The verified body's bytes exactly as signed, kept for the processing job, which parses them
     * (and so it can be verified again): null on rejected deliveries (never stored unverified).
     * Bytes, not jsonb: the request path checked the JSON already, and PostgreSQL parsing every body
     * into jsonb again cost about a third of its CPU per delivery (bench webhook-ingest).
     */
    payload: bytea('payload'),
    /** Where delivery_id came from: the provider's header, the body (ServiceNow sys_id + sys_updated_on), or the body hash. */
    deliveryIdSource: text('delivery_id_source'),
    /** How many times the same delivery came again after it was accepted (acknowledged, not processed). */
    repeats: integer('repeats').notNull().default(0),
    /** What processing did, in one line (the ticket and state it moved, or why nothing was done). */
    detail: text('detail'),
    processedAt: timestamp('processed_at', { withTimezone: true }),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    // Only accepted deliveries claim the id: a forged request must not block the real one.
    uniqueIndex('deliveries_endpoint_delivery_uq')
      .on(table.endpointId, table.deliveryId)
      .where(sql`signature_valid`),
    // Deliveries are read per endpoint (listing, last delivery), and an organization's go with its
    // endpoints (cascade), so no index leads with org_id.
    index('deliveries_endpoint_received_idx').on(table.endpointId, table.receivedAt, table.id),
    foreignKey({ name: 'deliveries_endpoint_org_fk', columns: [table.endpointId, table.orgId], foreignColumns: [webhookEndpoints.id, webhookEndpoints.orgId] }).onDelete('cascade'),
  ],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orgId: uuid('org_id').references(() => organizations.id, { onDelete: 'cascade' }),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    status: text('status').notNull(),
    durationMs: integer('duration_ms'),
    detail: jsonb('detail').notNull().default(sql`'{}'::jsonb`),
    /** The request or job it happened in (`operations`); null before migration 0012 and without an org. */
    operationId: uuid('operation_id'),
    createdAt: createdAt(),
  },
  (table) => [index('audit_events_org_created_idx').on(table.orgId, table.createdAt), index('audit_events_operation_idx').on(table.operationId)],
);

/**
 * The audit log's operations (src/services/audit-log.ts): an API request or a job that recorded an
 * audit event or made an outbound call, written when it first does. Its audit events and outbound
 * calls point at it by `operation_id`.
 */
export const operations = pgTable(
  'operations',
  {
    id: uuid('id').primaryKey(),
    orgId: orgId(),
    kind: text('kind').notNull(),
    name: text('name').notNull(),
    actor: text('actor'),
    requestId: text('request_id'),
    createdAt: createdAt(),
  },
  (table) => [
    index('operations_org_created_idx').on(table.orgId, table.createdAt, table.id),
    check('operations_kind_ck', inList('kind', ['request', 'job', 'background'])),
  ],
);

/**
 * Every outbound HTTP attempt, by operation (src/services/outbound-calls.ts): written in batches
 * off the request path, kept 30 days. The path has no query string and goes
 * through the log redaction; headers and bodies are never stored.
 */
export const outboundCalls = pgTable(
  'outbound_calls',
  {
    id: id(),
    orgId: orgId(),
    operationId: uuid('operation_id').notNull(),
    provider: text('provider').notNull(),
    connectionId: uuid('connection_id'),
    method: text('method').notNull(),
    host: text('host').notNull(),
    path: text('path').notNull(),
    /** Null when no response arrived; `error` says why. */
    status: integer('status'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
    attempt: integer('attempt').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (table) => [index('outbound_calls_operation_idx').on(table.operationId, table.at), index('outbound_calls_at_idx').on(table.at)],
);

/** A batch of the internal create-issues-and-prs endpoint answered asynchronously (202 + progress). */
export const runs = pgTable(
  'runs',
  {
    id: id(),
    orgId: orgId(),
    kind: text('kind').notNull(),
    status: text('status').notNull().default('queued'),
    total: integer('total').notNull(),
    completed: integer('completed').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    /** The response body so far (results in input order, summary); never holds a credential. */
    result: jsonb('result').notNull().default(sql`'{}'::jsonb`),
    /**
     * `in-process`: the request's own credentials (never stored) are held by one process, which
     * heartbeats while it works; `queued`: stored connections only, the items are child jobs.
     */
    mode: text('mode').notNull().default('in-process'),
    /** The process working an in-process run, and when it last said it is alive. */
    ownerId: text('owner_id'),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    index('runs_org_idx').on(table.orgId, table.createdAt),
    index('runs_running_idx').on(table.status, table.mode),
    check('runs_status_ck', inList('status', ['queued', 'running', 'completed', 'failed'])),
    check('runs_mode_ck', inList('mode', ['in-process', 'queued'])),
  ],
);

/** A queued run's child jobs: one row per chunk of items, with that chunk's results once it settled. */
export const runChunks = pgTable(
  'run_chunks',
  {
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    chunk: integer('chunk').notNull(),
    /** The item positions (in the request) this chunk holds. */
    first: integer('first_item').notNull(),
    items: integer('items').notNull(),
    status: text('status').notNull().default('pending'),
    jobId: uuid('job_id'),
    /** ItemResult[] in the chunk's order, plus notes; never holds a credential. */
    result: jsonb('result'),
    updatedAt: updatedAt(),
  },
  (table) => [primaryKey({ columns: [table.runId, table.chunk] }), check('run_chunks_status_ck', inList('status', ['pending', 'done', 'failed']))],
);

/**
 * Our own record of every job we enqueue (pg-boss keeps the job itself): the organization it works
 * for and the run it belongs to, so listing, reading and retrying stay tenant-scoped without
 * reading the payload, and without writing to pg-boss's tables.
 */
export const jobRecords = pgTable(
  'job_records',
  {
    /** pg-boss's job id (we choose it before sending). */
    id: uuid('id').primaryKey(),
    orgId: orgId(),
    kind: text('kind').notNull(),
    runId: uuid('run_id').references(() => runs.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (table) => [index('job_records_org_idx').on(table.orgId, table.createdAt, table.id), index('job_records_run_idx').on(table.runId)],
);

/**
 * One import of a scanner report (src/services/imports): a snapshot of a target. A complete scan
 * resolves the target's findings it no longer reports; a partial one resolves nothing. `counts` is
 * the import's summary (new, updated, unchanged, resolved, reopened, skipped).
 */
export const scans = pgTable(
  'scans',
  {
    id: id(),
    orgId: orgId(),
    target: text('target').notNull(),
    format: text('format').notNull(),
    partial: boolean('partial').notNull().default(false),
    actor: text('actor').notNull(),
    counts: jsonb('counts').notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (table) => [index('scans_org_target_idx').on(table.orgId, table.target, table.createdAt)],
);

/** Which target each imported finding belongs to, and the last scan that reported it. */
export const scanTargetFindings = pgTable(
  'scan_target_findings',
  {
    findingId: uuid('finding_id')
      .primaryKey()
      .references(() => findings.id, { onDelete: 'cascade' }),
    orgId: orgId(),
    target: text('target').notNull(),
    lastScanId: uuid('last_scan_id')
      .notNull()
      .references(() => scans.id, { onDelete: 'cascade' }),
  },
  (table) => [index('scan_target_findings_target_idx').on(table.orgId, table.target, table.lastScanId)],
);

/**
 * Every advisory id an imported finding is known by, per target and package (`alias_key` =
 * `ecosystem|package|ID`, the id upper-cased): a report naming the advisory by any alias finds the
 * stored finding with one index lookup, so its fingerprint never depends on which alias came first.
 */
export const scanFindingAliases = pgTable(
  'scan_finding_aliases',
  {
    orgId: orgId(),
    target: text('target').notNull(),
    aliasKey: text('alias_key').notNull(),
    findingId: uuid('finding_id')
      .notNull()
      .references(() => findings.id, { onDelete: 'cascade' }),
  },
  (table) => [primaryKey({ columns: [table.orgId, table.target, table.aliasKey] }), index('scan_finding_aliases_finding_idx').on(table.findingId)],
);

/**
 * An organization's lifecycle policy (src/services/policies): which severities get tickets and fix
 * PRs by themselves after a complete scan import, on which connection, how PRs are grouped, and the
 * SLA days per severity (`sla_days`: severity → days, a missing key = no due date). No row = the
 * defaults (no automatic tickets or PRs; SLA critical 7, high 30, medium 90, low 180, info none).
 */
export const orgPolicies = pgTable(
  'org_policies',
  {
    orgId: uuid('org_id')
      .primaryKey()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    ticketSeverities: text('ticket_severities').array().notNull().default(sql`'{}'::text[]`),
    ticketConnectionId: uuid('ticket_connection_id').references(() => connections.id, { onDelete: 'set null' }),
    ticketOptions: jsonb('ticket_options').$type<Record<string, unknown>>().notNull().default({}),
    prSeverities: text('pr_severities').array().notNull().default(sql`'{}'::text[]`),
    prConnectionId: uuid('pr_connection_id').references(() => connections.id, { onDelete: 'set null' }),
    prGrouping: text('pr_grouping').notNull().default('repo_scan'),
    slaDays: jsonb('sla_days').$type<Record<string, number>>().notNull(),
    updatedBy: text('updated_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (_table) => [check('org_policies_pr_grouping_ck', inList('pr_grouping', ['repo_scan', 'package']))],
);
