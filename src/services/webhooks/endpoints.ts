/**
 * Webhook endpoints: one per organization and provider, each with its own shared secret sealed like
 * connection secrets (AES-256-GCM, bound to the row). Created on first need (the summary, the
 * endpoint list, or the first delivery to the default organization's seed 003 routes), so a fresh
 * install shows a secret to paste into Jira or a Business Rule. Rotation keeps the previous secret
 * valid for an overlap window, so deliveries signed before the sender was updated still verify.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, max } from 'drizzle-orm';
import type { KeyRing } from '../../crypto/index.ts';
import type { Orm } from '../../db/database.ts';
import { deliveries, webhookEndpoints } from '../../db/schema.ts';
import { openSecret, sealSecret } from '../secret-columns.ts';
import { defaultSignatureHeader, type WebhookProvider, webhookProviders } from './signatures.ts';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;

/** A new shared secret: 32 random bytes as hex (safe to paste into a shell, a header, a script). */
export function newWebhookSecret(): string {
  return randomBytes(32).toString('hex');
}

export function isWebhookProvider(value: string): value is WebhookProvider {
  return (webhookProviders as readonly string[]).includes(value);
}

/**
 * How long the ingest path trusts an endpoint row it read (its secrets and signing settings) before
 * reading it again. A change made through this process (rotate, configure) replaces the cached row at
 * once; a delivery that fails verification against a cached row is checked again against a fresh
 * read before it is refused, so a secret rotated by another process verifies at once. What may lag by
 * up to this long in another process is only a revocation: a previous secret whose overlap was ended
 * early keeps verifying there until the row is read again.
 */
const ENDPOINT_CACHE_MS = 5_000;

/** At most this many endpoints (and opened secrets) are kept; beyond it the oldest go first. */
const CACHE_LIMIT = 10_000;

interface CachedEndpoint {
  row: EndpointRow;
  readAt: number;
}

export class WebhookEndpoints {
  readonly #orm: Orm;
  readonly #ring: KeyRing;
  /** Ingest's endpoint reads, by id and by `org\0provider` (the seed 003 routes). */
  readonly #byId = new Map<string, CachedEndpoint>();
  readonly #byProvider = new Map<string, CachedEndpoint>();
  /** Opened secrets by ciphertext (bound to its row by the AAD, so the ciphertext names one secret). */
  readonly #opened = new Map<string, string>();

  constructor(orm: Orm, ring: KeyRing) {
    this.#orm = orm;
    this.#ring = ring;
  }

  /**
   * The endpoint an ingest request names by id, from the cache while fresh (ENDPOINT_CACHE_MS): the
   * request path reads no row per delivery. Null when there is none.
   */
  async forIngestById(id: string, now: number = Date.now()): Promise<EndpointRow | null> {
    const cached = this.#byId.get(id);
    if (cached && now - cached.readAt < ENDPOINT_CACHE_MS) return cached.row;
    const row = await this.byId(id);
    if (row) this.#remember(row, now);
    else this.#byId.delete(id);
    return row;
  }

  /** The organization's endpoint for a provider (created on first need), from the cache while fresh. */
  async forIngest(orgId: string, provider: WebhookProvider, now: number = Date.now()): Promise<EndpointRow> {
    const cached = this.#byProvider.get(`${orgId}\u0000${provider}`);
    if (cached && now - cached.readAt < ENDPOINT_CACHE_MS) return cached.row;
    const row = await this.ensure(orgId, provider);
    this.#remember(row, now);
    return row;
  }

  /** The row read again (a delivery that did not verify against the cached one); null when it is gone. */
  async reload(row: EndpointRow, now: number = Date.now()): Promise<EndpointRow | null> {
    const fresh = await this.byId(row.id);
    if (fresh) this.#remember(fresh, now);
    else this.#forget(row);
    return fresh;
  }

  #remember(row: EndpointRow, now: number): void {
    if (this.#byId.size >= CACHE_LIMIT) {
      this.#byId.clear();
      this.#byProvider.clear();
    }
    const entry = { row, readAt: now };
    this.#byId.set(row.id, entry);
    this.#byProvider.set(`${row.orgId}\u0000${row.provider}`, entry);
  }

  #forget(row: EndpointRow): void {
    this.#byId.delete(row.id);
    this.#byProvider.delete(`${row.orgId}\u0000${row.provider}`);
  }

  #open(row: EndpointRow, ciphertext: string): string {
    let plaintext = this.#opened.get(ciphertext);
    if (plaintext === undefined) {
      plaintext = openSecret(this.#ring, 'webhook_endpoints', row.id, ciphertext);
      if (this.#opened.size >= CACHE_LIMIT) this.#opened.clear();
      this.#opened.set(ciphertext, plaintext);
    }
    return plaintext;
  }

  /** The organization's endpoint for a provider, created with a fresh secret when there is none. */
  async ensure(orgId: string, provider: WebhookProvider): Promise<EndpointRow> {
    const existing = await this.byProvider(orgId, provider);
    if (existing) return existing;
    const id = randomUUID();
    // A concurrent first request may insert first: the unique (org, provider) index keeps one.
    await this.#orm
      .insert(webhookEndpoints)
      .values({
        id,
        orgId,
        provider,
        secretEncrypted: sealSecret(this.#ring, 'webhook_endpoints', id, newWebhookSecret()),
        signatureHeader: defaultSignatureHeader(provider),
      })
      .onConflictDoNothing();
    const row = await this.byProvider(orgId, provider);
    if (!row) throw new Error('webhook endpoint vanished after insert');
    return row;
  }

  /** With each endpoint's last delivery time (withLastDelivery). */
  async ensureAll(orgId: string, providers: readonly WebhookProvider[] = webhookProviders): Promise<EndpointRow[]> {
    const rows: EndpointRow[] = [];
    for (const provider of providers) rows.push(await this.ensure(orgId, provider));
    return this.withLastDelivery(rows);
  }

  async byProvider(orgId: string, provider: WebhookProvider): Promise<EndpointRow | null> {
    const [row] = await this.#orm
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.provider, provider)));
    return row ?? null;
  }

  /** By id in any organization: the public `/api/integrations/{provider}/webhook/{id}` route. */
  async byId(id: string): Promise<EndpointRow | null> {
    const [row] = await this.#orm.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    return row ?? null;
  }

  /** With its last delivery time (withLastDelivery). */
  async get(orgId: string, id: string): Promise<EndpointRow | null> {
    const [row] = await this.#orm.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.id, id)));
    return row ? ((await this.withLastDelivery([row]))[0] ?? null) : null;
  }

  async list(orgId: string): Promise<EndpointRow[]> {
    return this.#orm.select().from(webhookEndpoints).where(eq(webhookEndpoints.orgId, orgId)).orderBy(asc(webhookEndpoints.provider));
  }

  secret(row: EndpointRow): string {
    return this.#open(row, row.secretEncrypted);
  }

  /** The secrets a delivery may be signed with now: the current one, and the previous one inside its overlap. */
  acceptedSecrets(row: EndpointRow, now: Date = new Date()): string[] {
    const secrets = [this.secret(row)];
    if (row.previousSecretEncrypted && row.previousSecretExpiresAt && row.previousSecretExpiresAt > now) {
      secrets.push(this.#open(row, row.previousSecretEncrypted));
    }
    return secrets;
  }

  /**
   * A new secret; the current one stays valid for `overlapSeconds`. Compare-and-set on the current
   * ciphertext, so two concurrent rotations cannot both demote the same secret. Null when the row
   * changed meanwhile (the caller retries or reports a conflict).
   */
  async rotate(row: EndpointRow, overlapSeconds: number, now: Date = new Date()): Promise<{ row: EndpointRow; secret: string } | null> {
    const secret = newWebhookSecret();
    const [updated] = await this.#orm
      .update(webhookEndpoints)
      .set({
        secretEncrypted: sealSecret(this.#ring, 'webhook_endpoints', row.id, secret),
        previousSecretEncrypted: overlapSeconds > 0 ? row.secretEncrypted : null,
        previousSecretExpiresAt: overlapSeconds > 0 ? new Date(now.getTime() + overlapSeconds * 1000) : null,
        updatedAt: now,
      })
      .where(and(eq(webhookEndpoints.id, row.id), eq(webhookEndpoints.secretEncrypted, row.secretEncrypted)))
      .returning();
    if (!updated) return null;
    this.#remember(updated, Date.now());
    return { row: { ...updated, lastDeliveryAt: row.lastDeliveryAt }, secret };
  }

  /** How deliveries are signed (ServiceNow: the Business Rule's header name, HMAC algorithm and digest encoding). */
  async configure(row: EndpointRow, settings: { signatureHeader?: string; algorithm?: string; signatureEncoding?: string }): Promise<EndpointRow> {
    const [updated] = await this.#orm
      .update(webhookEndpoints)
      .set({ ...settings, updatedAt: new Date() })
      .where(eq(webhookEndpoints.id, row.id))
      .returning();
    if (!updated) throw new Error('webhook endpoint vanished during configure');
    this.#remember(updated, Date.now());
    return { ...updated, lastDeliveryAt: row.lastDeliveryAt };
  }

  /**
   * The rows with `lastDeliveryAt` as the newest verified delivery's receipt (or the column, kept by
   * older versions, when later). Read, not written per delivery: one hot row updated by every
   * delivery serialized the ingest path on its lock.
   */
  async withLastDelivery<T extends EndpointRow>(rows: T[]): Promise<T[]> {
    if (rows.length === 0) return rows;
    const newest = await this.#orm
      .select({ endpointId: deliveries.endpointId, at: max(deliveries.receivedAt) })
      .from(deliveries)
      .where(and(inArray(deliveries.endpointId, rows.map((row) => row.id)), eq(deliveries.signatureValid, true)))
      .groupBy(deliveries.endpointId);
    const byId = new Map(newest.map((entry) => [entry.endpointId, entry.at]));
    return rows.map((row) => {
      const at = byId.get(row.id) ?? null;
      const latest = at && (!row.lastDeliveryAt || at > row.lastDeliveryAt) ? at : row.lastDeliveryAt;
      return { ...row, lastDeliveryAt: latest };
    });
  }
}
