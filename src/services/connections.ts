/**
 * Connections: an organization's (or one user's, seed 002) link to a provider account. Secrets are
 * sealed with the key ring before they touch the database and only opened to make a provider call;
 * nothing here ever returns one. A user-supplied site or API URL passes the outbound guard before it
 * is stored, so a connection can never point at a private or metadata address.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNull, or, sql } from 'drizzle-orm';
import type { KeyRing } from '../crypto/index.ts';
import type { Orm } from '../db/database.ts';
import { connections, users } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import { bindCredential, hostOf, type OutboundGuard, OutboundError } from '../http-client/index.ts';
import { openSecret, sealSecret } from './secret-columns.ts';
import { ensureUser } from './tenancy.ts';

export type ConnectionInput =
  | { provider: 'jira-cloud'; name: string; site_url: string; email: string; api_token: string; user_id?: string | null }
  | { provider: 'jira-server'; name: string; site_url: string; pat: string; user_id?: string | null }
  | { provider: 'github'; name: string; api_url?: string; token: string; user_id?: string | null };

export interface ConnectionSecrets {
  api_token?: string;
  pat?: string;
  token?: string;
  access_token?: string;
  refresh_token?: string;
}

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
}

export interface ConnectionRecord extends ConnectionView {
  orgId: string;
  cloudId: string | null;
  secrets: ConnectionSecrets;
}

const DEFAULT_GITHUB_API = 'https://api.github.com';
const ATLASSIAN_API = 'https://api.atlassian.com';

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
 * The hosts a connection's secrets may be sent to: its own API or site host and, for GitHub, the git
 * host that goes with the API (api.github.com → github.com; Enterprise https://ghe.example/api/v3 →
 * ghe.example, the same host). Jira over OAuth talks to api.atlassian.com.
 */
export function credentialHosts(view: Pick<ConnectionView, 'provider' | 'auth_kind' | 'site_url' | 'api_url'>): string[] {
  const hosts = new Set<string>();
  const add = (url: string | null) => {
    const host = url ? hostOf(url) : null;
    if (host) hosts.add(host);
  };
  if (view.provider === 'github') {
    add(view.api_url ?? DEFAULT_GITHUB_API);
    for (const host of [...hosts]) if (host.startsWith('api.')) hosts.add(host.slice('api.'.length));
  } else {
    add(view.site_url);
    if (view.auth_kind === 'oauth2') add(ATLASSIAN_API);
  }
  return [...hosts];
}

export class ConnectionService {
  readonly #orm: Orm;
  readonly #ring: KeyRing;
  readonly #guard: OutboundGuard;

  constructor(orm: Orm, ring: KeyRing, guard: OutboundGuard) {
    this.#orm = orm;
    this.#ring = ring;
    this.#guard = guard;
  }

  async create(orgId: string, input: ConnectionInput): Promise<ConnectionView> {
    const id = randomUUID();
    let siteUrl: string | null = null;
    let apiUrl: string | null = null;
    let authKind: string;
    let email: string | null = null;
    let secrets: ConnectionSecrets;
    switch (input.provider) {
      case 'jira-cloud':
        siteUrl = await checkUrl(this.#guard, input.site_url, 'site_url');
        authKind = 'api-token';
        email = input.email;
        secrets = { api_token: input.api_token };
        break;
      case 'jira-server':
        siteUrl = await checkUrl(this.#guard, input.site_url, 'site_url');
        authKind = 'pat';
        secrets = { pat: input.pat };
        break;
      case 'github':
        apiUrl = await checkUrl(this.#guard, input.api_url ?? DEFAULT_GITHUB_API, 'api_url');
        authKind = 'pat';
        secrets = { token: input.token };
        break;
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
      secretsEncrypted: sealSecret(this.#ring, 'connections', id, JSON.stringify(secrets)),
    });
    const created = await this.get(orgId, id);
    if (!created) throw new Error('connection vanished after insert');
    return created;
  }

  /**
   * The connection row that stands for credentials supplied with requests (seeds 000/001) to one
   * Jira site and account: it carries no secret, and gives those tickets the (finding, connection)
   * identity that keeps a re-posted request from creating a second issue.
   */
  async findRequestConnection(orgId: string, provider: 'jira-cloud' | 'jira-server', siteUrl: string, account: string | null): Promise<ConnectionView | null> {
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

  async ensureRequestConnection(orgId: string, provider: 'jira-cloud' | 'jira-server', siteUrl: string, account: string | null): Promise<ConnectionView> {
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
        authKind: provider === 'jira-cloud' ? 'api-token' : 'pat',
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

  /** The connection with its secrets opened, for a provider call. Never returned over HTTP. */
  async withSecrets(orgId: string, id: string): Promise<ConnectionRecord | null> {
    const [row] = await this.#select().where(and(eq(connections.orgId, orgId), eq(connections.id, id)));
    if (!row) return null;
    const secrets = row.secretsEncrypted
      ? (JSON.parse(openSecret(this.#ring, 'connections', row.id, row.secretsEncrypted)) as ConnectionSecrets)
      : {};
    const view = toView(row);
    // From here on the outbound client refuses to send these secrets to any other host.
    const hosts = credentialHosts(view);
    for (const secret of [secrets.api_token, secrets.pat, secrets.token, secrets.access_token]) if (secret) bindCredential(secret, hosts);
    return { ...view, orgId, cloudId: row.cloudId, secrets };
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
    const views = rows.filter((row) => row.secretsEncrypted !== null).map(toView);
    const own = subject ? views.filter((view) => view.user_id === subject) : [];
    const shared = views.filter((view) => view.user_id === null);
    const pick = (list: ConnectionView[]) => list.find((view) => view.status === 'active') ?? list[0] ?? null;
    return pick(own) ?? pick(shared);
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
  };
}
