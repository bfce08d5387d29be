/**
 * Connections: an organization's (or one user's, seed 002) link to a provider account. Secrets are
 * sealed with the key ring before they touch the database and only opened to make a provider call;
 * nothing here ever returns one. A user-supplied site or API URL passes the outbound guard before it
 * is stored, so a connection can never point at a private or metadata address.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { KeyRing } from '../crypto/index.ts';
import type { MappingKind } from '../domain/mapping.ts';
import type { Orm } from '../db/database.ts';
import { connections, users } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import { hostOf, type OutboundGuard, OutboundError } from '../http-client/index.ts';
import {
  type Credential,
  type CredentialRefresher,
  credentialFromStored,
  type CredentialSource,
  parseStoredSecrets,
  staticCredentials,
  storedCredentials,
} from '../providers/credentials/index.ts';
import { type AuthModeDescriptor, type ConnectionInput, type ConnectionTarget, authModeOf, pastedModes, providerEntry, resolveUrl, ticketingFor } from '../providers/registry.ts';
import { createMemorySharedState, type SharedState } from '../shared-state/index.ts';
import { recordAudit } from './audit.ts';
import { openSecret, sealSecret } from './secret-columns.ts';
import { ensureUser } from './tenancy.ts';

export type { ConnectionInput } from '../providers/registry.ts';

export interface ConnectionView {
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
  /** The mapping kinds this connection takes: its ticketing provider's; none for other connections. */
  mapping_kinds: MappingKind[];
  /**
   * Set by resolveFor when this organization connection stands in for the user's own one, which
   * needs a new consent: which one and why (for the ticket's audit trail).
   */
  fallback_from?: { connection_id: string; reason: string };
}

/** A connection opened for a provider call: its credential (null: none stored). Never returned over HTTP. */
export interface ConnectionRecord extends ConnectionView {
  orgId: string;
  cloudId: string | null;
  settings: Record<string, string>;
  credential: Credential | null;
}

/** Configuration overrides of descriptor URLs (ATLASSIAN_API_URL, …); the descriptors' defaults otherwise. */
export type EndpointSettings = Readonly<Record<string, string | undefined>>;

/** Trims the trailing slash so `${site_url}/rest/api/3` is always well-formed. */
function normalizeBaseUrl(value: string): string {
  return value.replace(/\/+$/, '');
}

/** The stored form of a site URL: parsed (host lower-cased, default port dropped), no trailing slash. */
function canonicalBaseUrl(value: string): string {
  try {
    return normalizeBaseUrl(new URL(value).toString());
  } catch {
    return normalizeBaseUrl(value);
  }
}

export async function checkUrl(guard: OutboundGuard, value: string, field: string): Promise<string> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError('VALIDATION_FAILED', `${field} is not a URL`, { field });
  }
  if (url.username || url.password) throw new AppError('VALIDATION_FAILED', `${field} must not contain credentials`, { field });
  if (url.search || url.hash) throw new AppError('VALIDATION_FAILED', `${field} must not have a query or fragment`, { field });
  try {
    await guard.check(url.toString());
  } catch (error) {
    if (error instanceof OutboundError) {
      throw new AppError('VALIDATION_FAILED', `${field} is refused: ${error.reason ?? error.message}`, { field });
    }
    throw error;
  }
  return normalizeBaseUrl(url.toString());
}

/**
 * Who may use (open, test, file tickets with) a connection: an organization-wide one, everyone in the
 * organization; a user's personal one (seed 002), that user, or an admin or service acting for them.
 * Anyone else is told it does not exist.
 */
export function usableBy(view: Pick<ConnectionView, 'user_id'>, subject: string | null, privileged: boolean): boolean {
  return view.user_id === null || privileged || view.user_id === subject;
}

/**
 * The hosts a connection's secrets may be sent to, from its descriptor: the host of each listed URL
 * field (its default when unset) and, with `stripApiPrefix`, that host without `api.` (GitHub:
 * api.github.com → github.com, where git pushes go; Enterprise https://ghe.example/api/v3 → the same
 * host). An OAuth connection adds its API gateway (api.atlassian.com).
 */
export function credentialHosts(view: Pick<ConnectionView, 'provider' | 'auth_kind' | 'site_url' | 'api_url'>, endpoints: EndpointSettings = {}): string[] {
  const entry = providerEntry(view.provider);
  const hosts = new Set<string>();
  const add = (url: string | null | undefined) => {
    const host = url ? hostOf(url) : null;
    if (host) hosts.add(host);
  };
  if (!entry) {
    add(view.site_url ?? view.api_url);
    return [...hosts];
  }
  const { descriptor } = entry;
  for (const name of descriptor.credentialHosts.fields) {
    const field = descriptor.fields.find((candidate) => candidate.name === name);
    if (!field) continue;
    const stored = field.store === 'site_url' ? view.site_url : field.store === 'api_url' ? view.api_url : null;
    add(stored ?? field.default);
  }
  if (descriptor.credentialHosts.stripApiPrefix) for (const host of [...hosts]) if (host.startsWith('api.')) hosts.add(host.slice('api.'.length));
  const mode = authModeOf(view.provider, view.auth_kind);
  if (mode?.kind === 'oauth2' && mode.apiBaseUrl) add(resolveUrl(mode.apiBaseUrl, endpoints));
  return [...hosts];
}

/** The provider-neutral target of a stored connection: URLs resolved, its credential source. */
export function connectionTargetOf(record: ConnectionRecord, credentials: CredentialSource, endpoints: EndpointSettings = {}): ConnectionTarget {
  const mode = authModeOf(record.provider, record.auth_kind);
  const apiUrlField = providerEntry(record.provider)?.descriptor.fields.find((field) => field.store === 'api_url');
  const apiBaseUrl =
    mode?.kind === 'oauth2' && mode.apiBaseUrl ? resolveUrl(mode.apiBaseUrl, endpoints, record.cloudId ? { cloud_id: record.cloudId } : {}) : null;
  if (apiBaseUrl?.includes('{cloud_id}')) throw new AppError('NOT_CONNECTED', `connection ${record.name} has no cloud id; reconnect it`);
  return {
    connectionId: record.id,
    orgId: record.orgId,
    siteUrl: record.site_url,
    apiUrl: record.api_url ?? apiUrlField?.default ?? null,
    apiBaseUrl,
    settings: record.settings,
    credentials,
  };
}

/** A request-supplied credential (seeds 000/001): used for this request only, never stored. */
export function requestCredentials(credential: Credential): CredentialSource {
  return staticCredentials(credential);
}

/**
 * What a runtime plugs into every ConnectionService built on its database (src/runtime.ts registers
 * it): refreshers per auth kind and the configured endpoint overrides (ATLASSIAN_API_URL, …). Options
 * given to the constructor win.
 */
export interface ConnectionRuntime {
  refreshers: ReadonlyMap<string, CredentialRefresher>;
  endpoints: EndpointSettings;
  sharedState: SharedState;
}

const runtimes = new WeakMap<object, ConnectionRuntime>();

export function registerConnectionRuntime(orm: Orm, runtime: ConnectionRuntime): void {
  runtimes.set(orm, runtime);
}

export class ConnectionService {
  readonly #orm: Orm;
  readonly #ring: KeyRing;
  readonly #guard: OutboundGuard;
  readonly #sharedState: SharedState;
  readonly #refreshers: ReadonlyMap<string, CredentialRefresher>;
  readonly #endpoints: EndpointSettings;

  /**
   * `sharedState` holds the refresh lock (Redis when REDIS_URL is set, so one refresh runs across
   * every process); without it the lock is per process. `refreshers`: per auth kind (the OAuth
   * machinery registers `oauth2`).
   */
  constructor(orm: Orm, ring: KeyRing, guard: OutboundGuard, options: { sharedState?: SharedState; refreshers?: ReadonlyMap<string, CredentialRefresher>; endpoints?: EndpointSettings } = {}) {
    this.#orm = orm;
    this.#ring = ring;
    this.#guard = guard;
    const runtime = runtimes.get(orm);
    this.#sharedState = options.sharedState ?? runtime?.sharedState ?? createMemorySharedState();
    this.#refreshers = options.refreshers ?? runtime?.refreshers ?? new Map();
    this.#endpoints = options.endpoints ?? runtime?.endpoints ?? {};
  }

  async create(orgId: string, input: ConnectionInput): Promise<ConnectionView> {
    const id = randomUUID();
    const entry = providerEntry(input.provider);
    const modes = entry ? pastedModes(entry) : [];
    const mode = input.auth_kind === undefined ? modes[0] : modes.find((candidate) => candidate.kind === input.auth_kind);
    if (!entry || !mode) {
      throw new AppError('VALIDATION_FAILED', `${input.provider} connections with ${input.auth_kind ?? 'these credentials'} cannot be created here`, { field: input.auth_kind ? 'auth_kind' : 'provider' });
    }
    let siteUrl: string | null = null;
    let apiUrl: string | null = null;
    let email: string | null = null;
    const authKind = mode.kind;
    const settings: Record<string, string> = {};
    const secrets: Record<string, string> = {};
    for (const field of [...entry.descriptor.fields, ...mode.fields]) {
      const given = input[field.name];
      let value = typeof given === 'string' ? given : field.default;
      if (value === undefined) continue;
      if (field.type === 'url') value = await checkUrl(this.#guard, value, field.name);
      if (field.store === 'site_url') siteUrl = value;
      else if (field.store === 'api_url') apiUrl = value;
      else if (field.store === 'account_email') email = value;
      else if (field.store === 'setting') settings[field.name] = value;
      else secrets[field.name] = value;
    }
    const userId = input.user_id ? await ensureUser(this.#orm, orgId, input.user_id) : null;
    // Reconnecting the same site revives the disconnected row, so its tickets (and the
    // one-ticket-per-finding rule) carry over instead of starting again under a new id.
    const [revivable] = await this.#orm
      .select({ id: connections.id })
      .from(connections)
      .where(
        and(
          eq(connections.orgId, orgId),
          eq(connections.provider, input.provider),
          eq(connections.status, 'disconnected'),
          siteUrl ? eq(connections.siteUrl, siteUrl) : eq(connections.apiUrl, apiUrl ?? ''),
          userId ? eq(connections.userId, userId) : isNull(connections.userId),
        ),
      )
      .limit(1);
    if (revivable) {
      await this.#orm
        .update(connections)
        .set({
          name: input.name,
          authKind,
          accountEmail: email,
          settings,
          secretsEncrypted: sealSecret(this.#ring, 'connections', revivable.id, JSON.stringify(secrets)),
          status: 'active',
          lastError: null,
          updatedAt: new Date(),
        })
        .where(eq(connections.id, revivable.id));
      return (await this.get(orgId, revivable.id))!;
    }
    await this.#orm.insert(connections).values({
      id,
      orgId,
      userId,
      provider: input.provider,
      name: input.name,
      authKind,
      siteUrl,
      apiUrl,
      accountEmail: email,
      settings,
      secretsEncrypted: sealSecret(this.#ring, 'connections', id, JSON.stringify(secrets)),
    });
    const created = await this.get(orgId, id);
    if (!created) throw new Error('connection vanished after insert');
    return created;
  }

  /**
   * The connection row that stands for credentials supplied with requests (seeds 000/001) to one
   * site and account of a ticketing provider (the registry says which one claims the site): it carries no secret, and gives those tickets the (finding, connection)
   * identity that keeps a re-posted request from creating a second issue.
   */
  async findRequestConnection(orgId: string, provider: string, siteUrl: string, account: string | null): Promise<ConnectionView | null> {
    const rows = await this.#select().where(
      and(
        eq(connections.orgId, orgId),
        eq(connections.provider, provider),
        eq(connections.siteUrl, canonicalBaseUrl(siteUrl)),
        isNull(connections.secretsEncrypted),
        eq(connections.status, 'active'),
        account === null ? isNull(connections.accountEmail) : eq(connections.accountEmail, account),
      ),
    );
    return rows[0] ? toView(rows[0]) : null;
  }

  async ensureRequestConnection(orgId: string, provider: string, siteUrl: string, account: string | null): Promise<ConnectionView> {
    const normalized = await checkUrl(this.#guard, siteUrl, 'jira_url');
    const existing = await this.findRequestConnection(orgId, provider, normalized, account);
    if (existing) return existing;
    // A concurrent request may insert the same row first: the unique index keeps one, we read it back.
    await this.#orm
      .insert(connections)
      .values({
        id: randomUUID(),
        orgId,
        provider,
        name: `${new URL(normalized).host} (credentials sent per request)`,
        authKind: defaultAuthKind(provider),
        siteUrl: normalized,
        accountEmail: account,
        secretsEncrypted: null,
      })
      .onConflictDoNothing();
    const row = await this.findRequestConnection(orgId, provider, normalized, account);
    if (!row) throw new Error('request connection vanished after insert');
    return row;
  }

  async list(orgId: string, filter: { provider?: string } = {}): Promise<ConnectionView[]> {
    const rows = await this.#select()
      .where(and(eq(connections.orgId, orgId), filter.provider ? eq(connections.provider, filter.provider) : undefined))
      .orderBy(desc(connections.createdAt));
    return rows.map(toView);
  }

  async get(orgId: string, id: string): Promise<ConnectionView | null> {
    const [row] = await this.#select().where(and(eq(connections.orgId, orgId), eq(connections.id, id)));
    return row ? toView(row) : null;
  }

  /**
   * The connection with its credential opened, for a provider call. Never returned over HTTP. Use
   * `credentialSource` to hand it to a client (bound to the connection's hosts, refreshed).
   */
  async withCredentials(orgId: string, id: string): Promise<ConnectionRecord | null> {
    const [row] = await this.#select().where(and(eq(connections.orgId, orgId), eq(connections.id, id)));
    return row ? this.#record(orgId, row) : null;
  }

  /**
   * The credential source of a stored connection: bound to its hosts, re-read from the row under
   * the refresh lock, refreshed before expiry and after a 401 when a refresher for its kind exists.
   */
  credentialSource(record: ConnectionRecord): CredentialSource {
    const mode = authModeOf(record.provider, record.auth_kind);
    if (!record.credential || !mode) throw new AppError('NOT_CONNECTED', `connection ${record.name} has no credentials; update them or reconnect`);
    const refresher = this.#refreshers.get(mode.kind);
    const refreshBeforeSeconds = mode.kind === 'oauth2' ? mode.refresh.refreshBeforeExpirySeconds : mode.kind === 'app-installation' ? mode.refreshBeforeExpirySeconds : 0;
    return storedCredentials({
      connectionId: record.id,
      owner: { orgId: record.orgId, connectionId: record.id, provider: record.provider },
      kind: mode.kind,
      hosts: credentialHosts(record, this.#endpoints),
      initial: record.credential,
      load: async () => (await this.withCredentials(record.orgId, record.id))?.credential ?? null,
      ...(refresher ? { refresher } : {}),
      sharedState: this.#sharedState,
      refreshBeforeMs: refreshBeforeSeconds * 1000,
    });
  }

  /** The provider-neutral target of a stored connection (URLs resolved, credential source). */
  targetOf(record: ConnectionRecord): ConnectionTarget {
    return connectionTargetOf(record, this.credentialSource(record), this.#endpoints);
  }

  #record(orgId: string, row: ConnectionRow & { cloudId: string | null; secretsEncrypted: string | null; settings: Record<string, string>; expiresAt: Date | null; scopes: string[] }): ConnectionRecord {
    const view = toView(row);
    const mode: AuthModeDescriptor | null = authModeOf(row.provider, row.authKind);
    const credential =
      row.secretsEncrypted && mode
        ? credentialFromStored(mode, {
            secrets: parseStoredSecrets(openSecret(this.#ring, 'connections', row.id, row.secretsEncrypted)),
            accountEmail: row.accountEmail,
            settings: row.settings,
            expiresAt: row.expiresAt,
            scopes: row.scopes,
          })
        : null;
    return { ...view, orgId, cloudId: row.cloudId, settings: row.settings, credential };
  }

  /**
   * The connection a request should use for a provider family: the user's own (seed 002) when the
   * user has one, else the organization's newest active one.
   */
  async resolveFor(orgId: string, providers: string[], subject: string | null): Promise<ConnectionView | null> {
    // A connection whose last test failed is still tried (the failure may be passing) and its error
    // reported; only disconnected ones are skipped.
    const rows = await this.#select()
      .where(
        and(
          eq(connections.orgId, orgId),
          sql`${connections.status} <> 'disconnected'`,
          or(...providers.map((provider) => eq(connections.provider, provider))),
        ),
      )
      .orderBy(desc(connections.createdAt));
    // Rows without stored secrets stand for credentials sent per request; they cannot be used here.
    const usable = rows.filter((row) => row.secretsEncrypted !== null);
    const views = usable.map(toView);
    const own = subject ? views.filter((view) => view.user_id === subject) : [];
    const shared = views.filter((view) => view.user_id === null);
    const pick = (list: ConnectionView[]) => list.find((view) => view.status === 'active') ?? list[0] ?? null;
    const mine = pick(own);
    if (mine?.status === 'reauth_required') {
      // The user's connection needs a new consent: the organization's one stands in where the org
      // allows it (the org connection's user_fallback setting, default off).
      const fallback = shared.find((view) => view.status === 'active' && usable.find((row) => row.id === view.id)?.settings.user_fallback === 'on');
      if (fallback) {
        const fallbackFrom = { connection_id: mine.id, reason: mine.last_error ?? 'the connection must be connected again' };
        // The audit trail says whose access did the work: the org connection stood in for the user's.
        await recordAudit(this.#orm, {
          orgId,
          actor: subject ?? 'system',
          action: 'connections.user_fallback',
          targetType: 'connection',
          targetId: fallback.id,
          status: 'ok',
          detail: { fallback_from: fallbackFrom, provider: fallback.provider },
        });
        return { ...fallback, fallback_from: fallbackFrom };
      }
    }
    return mine ?? pick(shared);
  }

  /** Whether users whose own connection needs a new consent fall back to this organization-wide one. */
  async setUserFallback(orgId: string, id: string, enabled: boolean): Promise<void> {
    const [row] = await this.#orm.select({ settings: connections.settings }).from(connections).where(and(eq(connections.orgId, orgId), eq(connections.id, id)));
    if (!row) throw new AppError('NOT_FOUND', 'no such connection', { field: 'id' });
    const settings: Record<string, string> = { ...row.settings };
    if (enabled) settings.user_fallback = 'on';
    else delete settings.user_fallback;
    await this.#orm.update(connections).set({ settings, updatedAt: new Date() }).where(and(eq(connections.orgId, orgId), eq(connections.id, id)));
  }

  async setStatus(orgId: string, id: string, status: 'active' | 'error' | 'disconnected', lastError: string | null): Promise<void> {
    await this.#orm
      .update(connections)
      .set({ status, lastError, updatedAt: new Date() })
      .where(and(eq(connections.orgId, orgId), eq(connections.id, id)));
  }

  /**
   * Disconnects: the secrets are erased and the row kept as `disconnected`, so its tickets keep
   * their issue keys and a reconnect never files a finding a second time.
   */
  async remove(orgId: string, id: string): Promise<boolean> {
    const updated = await this.#orm
      .update(connections)
      .set({ status: 'disconnected', secretsEncrypted: null, updatedAt: new Date() })
      .where(and(eq(connections.orgId, orgId), eq(connections.id, id), sql`${connections.status} <> 'disconnected'`))
      .returning({ id: connections.id });
    return updated.length > 0;
  }


  #select() {
    return this.#orm
      .select({
        id: connections.id,
        provider: connections.provider,
        name: connections.name,
        authKind: connections.authKind,
        siteUrl: connections.siteUrl,
        apiUrl: connections.apiUrl,
        accountEmail: connections.accountEmail,
        cloudId: connections.cloudId,
        settings: connections.settings,
        expiresAt: connections.expiresAt,
        scopes: connections.scopes,
        status: connections.status,
        lastError: connections.lastError,
        secretsEncrypted: connections.secretsEncrypted,
        createdAt: connections.createdAt,
        userSubject: users.subject,
      })
      .from(connections)
      .leftJoin(users, eq(users.id, connections.userId))
      .$dynamic();
  }
}

/** The auth kind of a provider's first (default) mode. */
function defaultAuthKind(provider: string): string {
  const entry = providerEntry(provider);
  const mode = entry ? (pastedModes(entry)[0] ?? entry.descriptor.auth[0]) : undefined;
  if (!mode) throw new AppError('VALIDATION_FAILED', `unknown provider ${provider}`, { field: 'provider' });
  return mode.kind;
}

interface ConnectionRow {
  id: string;
  provider: string;
  name: string;
  authKind: string;
  siteUrl: string | null;
  apiUrl: string | null;
  accountEmail: string | null;
  status: string;
  lastError: string | null;
  createdAt: Date;
  userSubject: string | null;
}

function toView(row: ConnectionRow): ConnectionView {
  return {
    id: row.id,
    provider: row.provider,
    name: row.name,
    auth_kind: row.authKind,
    site_url: row.siteUrl,
    api_url: row.apiUrl,
    account_email: row.accountEmail,
    status: row.status,
    last_error: row.lastError,
    user_id: row.userSubject,
    created_at: row.createdAt.toISOString(),
    mapping_kinds: [...(ticketingFor(row.provider)?.mappingKinds ?? [])],
  };
}

/**
 * Inside a transaction: the row an OAuth consent (re)connects — the owner's (a user's, or the
 * organization's when `userId` is null) oauth2 connection of `provider` that `site` picks out (Jira:
 * the cloud id; ServiceNow: the instance URL) — locked for update; null when there is none yet.
 */
export async function lockOAuthConnection(
  tx: Pick<Orm, 'select'>,
  owner: { orgId: string; userId: string | null },
  provider: string,
  site: SQL,
): Promise<string | null> {
  const [existing] = await tx
    .select({ id: connections.id })
    .from(connections)
    .where(
      and(
        eq(connections.orgId, owner.orgId),
        eq(connections.provider, provider),
        eq(connections.authKind, 'oauth2'),
        site,
        owner.userId ? eq(connections.userId, owner.userId) : isNull(connections.userId),
      ),
    )
    .for('update');
  return existing?.id ?? null;
}
