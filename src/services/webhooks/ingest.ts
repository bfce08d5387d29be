/**
 * The request path of a webhook: verify the signature over the raw bytes, record the delivery
 * durably, enqueue its processing, answer. Nothing slow happens here (no provider call).
 *
 * - A missing or bad signature records only a rejected delivery (no payload kept) and answers 401.
 * - A verified delivery claims its provider delivery id (unique per endpoint among verified
 *   deliveries) with INSERT … ON CONFLICT DO NOTHING RETURNING; the first is stored with its payload
 *   and its `webhook_delivery` job in the same transaction (one commit, shared with the deliveries
 *   that arrived meanwhile: DeliveryWriter); a repeat only bumps `repeats` and is acknowledged. The
 *   answer is sent only after the commit.
 * - Nothing else is written per delivery: the endpoint's last delivery time is read from the
 *   deliveries (WebhookEndpoints.withLastDelivery), so concurrent deliveries do not queue up on one
 *   endpoint row's lock (bench: webhook-ingest).
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import type { Orm } from '../../db/database.ts';
import { deliveries } from '../../db/schema.ts';
import { AppError } from '../../errors/app-error.ts';
import { identifyDelivery } from './delivery-id.ts';
import type { EndpointRow, WebhookEndpoints } from './endpoints.ts';
import { schemesFor, verifySignature, type WebhookProvider } from './signatures.ts';

export interface IngestRequest {
  endpoint: EndpointRow;
  provider: WebhookProvider;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  body: unknown;
}

export interface IngestResult {
  status: 'accepted' | 'duplicate';
  /** Our delivery record's id. */
  id: string;
  delivery_id: string;
}

export async function ingestDelivery(context: AppContext, endpoints: WebhookEndpoints, request: IngestRequest, now: Date = new Date()): Promise<IngestResult> {
  const { endpoint, provider } = request;
  const orm = context.db.orm;
  const identity = identifyDelivery(provider, request.headers, request.raw, request.body);
  const check = verifySignature(schemesFor(provider, endpoint), request.headers, request.raw, endpoints.acceptedSecrets(endpoint, now));
  if (!check.valid) {
    await orm.insert(deliveries).values({
      orgId: endpoint.orgId,
      endpointId: endpoint.id,
      provider,
      deliveryId: identity.deliveryId,
      event: identity.event,
      signatureValid: false,
      outcome: 'rejected',
      error: check.reason,
      bodySha256: identity.bodySha256,
      deliveryIdSource: identity.source,
      receivedAt: now,
    });
    throw new AppError('WEBHOOK_SIGNATURE_INVALID', `webhook signature refused: ${check.reason}`);
  }
  const row: NewDelivery = {
    id: randomUUID(),
    orgId: endpoint.orgId,
    endpointId: endpoint.id,
    provider,
    deliveryId: identity.deliveryId,
    event: identity.event,
    signatureValid: true,
    outcome: 'queued',
    bodySha256: identity.bodySha256,
    deliveryIdSource: identity.source,
    payload: request.body ?? null,
    receivedAt: now,
  };
  if (await writerFor(context).write(row)) return { status: 'accepted', id: row.id as string, delivery_id: identity.deliveryId };
  const [repeat] = await orm
    .update(deliveries)
    .set({ repeats: sql`${deliveries.repeats} + 1` })
    .where(and(eq(deliveries.endpointId, endpoint.id), eq(deliveries.deliveryId, identity.deliveryId), eq(deliveries.signatureValid, true)))
    .returning({ id: deliveries.id, outcome: deliveries.outcome });
  if (!repeat) throw new Error('the delivery conflicted but could not be found');
  // Stored by an older version that queued after the insert, and never got as far as queueing it.
  if (repeat.outcome === 'received') await enqueueStored(context, endpoint.orgId, repeat.id);
  return { status: 'duplicate', id: repeat.id, delivery_id: identity.deliveryId };
}

type NewDelivery = typeof deliveries.$inferInsert;

interface PendingWrite {
  row: NewDelivery;
  resolve(inserted: boolean): void;
  reject(error: unknown): void;
}

/**
 * Group commit for verified deliveries. Requests that arrive while a batch is being written wait
 * for the next one; each batch is one transaction: one multi-row INSERT … ON CONFLICT DO NOTHING
 * RETURNING id (a repeat of a stored delivery id, or of one earlier in the batch, is skipped), the
 * inserted rows' `webhook_delivery` jobs (one pg-boss insert, one NOTIFY), one commit. A single
 * request still goes alone and at once. Each request is answered after its batch committed. When a
 * batch fails, its rows are written one by one, so one bad row fails only its own request.
 */
class DeliveryWriter {
  readonly #context: AppContext;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #waiting: PendingWrite[] = [];
  #inFlight = 0;
  #prepared: Promise<void> | null = null;

  constructor(context: AppContext, options: { maxBatch?: number; maxInFlight?: number } = {}) {
    this.#context = context;
    this.#maxBatch = options.maxBatch ?? 200;
    // PGlite is one connection; PostgreSQL overlaps a few commits (the pool holds 10 clients).
    this.#maxInFlight = options.maxInFlight ?? (context.db.kind === 'postgres' ? 3 : 1);
  }

  /** True when stored (with its job), false when the delivery id was already stored. */
  write(row: NewDelivery): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#waiting.push({ row, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#maxBatch);
      this.#inFlight += 1;
      void this.#flush(batch).finally(() => {
        this.#inFlight -= 1;
        this.#pump();
      });
    }
  }

  async #flush(batch: PendingWrite[]): Promise<void> {
    try {
      const inserted = await this.#commit(batch.map((pending) => pending.row));
      for (const pending of batch) pending.resolve(inserted.has(pending.row.id as string));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      for (const pending of batch) {
        try {
          pending.resolve((await this.#commit([pending.row])).has(pending.row.id as string));
        } catch (single) {
          pending.reject(single);
        }
      }
    }
  }

  async #commit(rows: NewDelivery[]): Promise<Set<string>> {
    this.#prepared ??= this.#context.queue.prepareEnqueueIn('webhook_delivery').catch((error: unknown) => {
      this.#prepared = null;
      throw error;
    });
    await this.#prepared;
    return this.#context.db.orm.transaction(async (tx) => {
      const inserted = await tx
        .insert(deliveries)
        .values(rows)
        .onConflictDoNothing({ target: [deliveries.endpointId, deliveries.deliveryId], where: sql`signature_valid` })
        .returning({ id: deliveries.id, orgId: deliveries.orgId });
      await this.#context.queue.enqueueIn(
        tx as unknown as Orm,
        'webhook_delivery',
        inserted.map((row) => ({ org_id: row.orgId, delivery_id: row.id })),
      );
      return new Set(inserted.map((row) => row.id));
    });
  }
}

const writers = new WeakMap<AppContext['db'], DeliveryWriter>();

function writerFor(context: AppContext): DeliveryWriter {
  let writer = writers.get(context.db);
  if (!writer) {
    writer = new DeliveryWriter(context);
    writers.set(context.db, writer);
  }
  return writer;
}

async function enqueueStored(context: AppContext, orgId: string, id: string): Promise<void> {
  await context.queue.enqueue('webhook_delivery', { org_id: orgId, delivery_id: id });
  await context.db.orm
    .update(deliveries)
    .set({ outcome: 'queued' })
    .where(and(eq(deliveries.id, id), eq(deliveries.outcome, 'received')));
}
