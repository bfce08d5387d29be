/**
 * The request path of a webhook: verify the signature over the raw bytes, record the delivery
 * durably, enqueue its processing, answer. Nothing slow happens here (no provider call).
 *
 * - A missing or bad signature records only a rejected delivery (no payload kept) and answers 401.
 * - A verified delivery claims its provider delivery id (unique per endpoint among verified
 *   deliveries) with INSERT … ON CONFLICT DO NOTHING RETURNING; the first is stored with its payload
 *   and queued for processing in the same transaction (one commit and one `webhook_delivery` job,
 *   shared with the deliveries that arrived meanwhile: DeliveryWriter); a repeat only bumps `repeats`
 *   and is acknowledged. The answer is sent only after the commit.
 * - Nothing else is read or written per delivery: the endpoint (secrets, signing settings) comes from
 *   WebhookEndpoints' short-lived cache, and its last delivery time is read from the deliveries
 *   (WebhookEndpoints.withLastDelivery), so concurrent deliveries do not queue up on one endpoint
 *   row's lock (bench: webhook-ingest).
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { WEBHOOK_DELIVERIES_PER_JOB } from '../../jobs/kinds.ts';
import { deliveries } from '../../db/schema.ts';
import { AppError } from '../../errors/app-error.ts';
import { identifyDelivery } from './delivery-id.ts';
import type { EndpointRow, WebhookEndpoints } from './endpoints.ts';
import { schemesFor, verifySignature, type WebhookProvider } from './signatures.ts';

export interface IngestRequest {
  endpoint: EndpointRow;
  provider: WebhookProvider;
  headers: Record<string, string | string[] | undefined>;
  /** The body's bytes as signed. */
  raw: Buffer;
  /** The JSON that was parsed into `body`, as bytes: `raw` itself, or a form body's JSON field (null: no body). */
  json: Buffer | null;
  body: unknown;
}

export interface IngestResult {
  status: 'accepted' | 'duplicate';
  /** Our delivery record's id. */
  id: string;
  delivery_id: string;
}

export async function ingestDelivery(context: AppContext, endpoints: WebhookEndpoints, request: IngestRequest, now: Date = new Date()): Promise<IngestResult> {
  const { provider } = request;
  let { endpoint } = request;
  const identity = identifyDelivery(provider, request.headers, request.raw, request.body);
  const verify = (row: EndpointRow) => verifySignature(schemesFor(provider, row), request.headers, request.raw, endpoints.acceptedSecrets(row, now));
  let check = verify(endpoint);
  if (!check.valid) {
    // The endpoint may have been read before a rotation or a signing change made elsewhere: refuse
    // only what does not verify against the row as it is now.
    const fresh = await endpoints.reload(endpoint);
    if (fresh) {
      endpoint = fresh;
      check = verify(fresh);
    }
  }
  if (!check.valid) {
    await context.db.orm.insert(deliveries).values({
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
  const row: VerifiedDelivery = {
    id: randomUUID(),
    orgId: endpoint.orgId,
    endpointId: endpoint.id,
    provider,
    deliveryId: identity.deliveryId,
    event: identity.event,
    bodySha256: identity.bodySha256,
    deliveryIdSource: identity.source,
    payload: request.body === undefined || request.body === null ? null : request.json,
    receivedAt: now,
  };
  if (await writerFor(context).write(row)) return { status: 'accepted', id: row.id, delivery_id: identity.deliveryId };
  const [repeat] = await context.db.orm
    .update(deliveries)
    .set({ repeats: sql`${deliveries.repeats} + 1` })
    .where(and(eq(deliveries.endpointId, endpoint.id), eq(deliveries.deliveryId, identity.deliveryId), eq(deliveries.signatureValid, true)))
    .returning({ id: deliveries.id, outcome: deliveries.outcome });
  if (!repeat) throw new Error('the delivery conflicted but could not be found');
  // Stored by an older version that queued after the insert, and never got as far as queueing it.
  if (repeat.outcome === 'received') await enqueueStored(context, endpoint.orgId, repeat.id);
  return { status: 'duplicate', id: repeat.id, delivery_id: identity.deliveryId };
}

/** A verified delivery as the writer stores it (`queued`, signature valid). */
interface VerifiedDelivery {
  id: string;
  orgId: string;
  endpointId: string;
  provider: WebhookProvider;
  deliveryId: string;
  event: string | null;
  bodySha256: string;
  deliveryIdSource: string;
  /** The body's JSON as received (the bytes as signed, or a form body's JSON field; it parsed and passed the route's bounds), null for none. */
  payload: Buffer | null;
  receivedAt: Date;
}

interface PendingWrite {
  row: VerifiedDelivery;
  resolve(inserted: boolean): void;
  reject(error: unknown): void;
}

/**
 * One statement for a whole group: the rows go as one array per column (unnest), so the text and
 * the parameter count stay the same whatever the group's size, and the statement is prepared once
 * per connection. The payloads go as one bytea parameter, the bodies' bytes end to end (sent in
 * binary: no escaping, no re-encoding), cut apart by offset and length (a null length stands for
 * no payload). A repeat of a stored delivery id, or of one earlier in the group, is skipped (ON
 * CONFLICT DO NOTHING); RETURNING names what was stored. Rows go in in key order (then arrival
 * order), so two groups committing at once that both hold repeats of the same ids wait for each
 * other in one order and never deadlock.
 */
const INSERT_DELIVERIES = `insert into deliveries (id, org_id, endpoint_id, provider, delivery_id, event, signature_valid, outcome, body_sha256, delivery_id_source, payload, received_at)
  select id, org_id, endpoint_id, provider, delivery_id, event, true, 'queued', body_sha256, delivery_id_source, substring($9::bytea from payload_from for payload_length), received_at
    from rows from (unnest($1::uuid[]), unnest($2::uuid[]), unnest($3::uuid[]), unnest($4::text[]), unnest($5::text[]), unnest($6::text[]), unnest($7::text[]),
                    unnest($8::text[]), unnest($10::int[]), unnest($11::int[]), unnest($12::timestamptz[])) with ordinality
      as given(id, org_id, endpoint_id, provider, delivery_id, event, body_sha256, delivery_id_source, payload_from, payload_length, received_at, arrival)
   order by endpoint_id, delivery_id, arrival
  on conflict (endpoint_id, delivery_id) where signature_valid do nothing
  returning id::text as id`;

function insertParameters(rows: VerifiedDelivery[]): unknown[] {
  const columns: unknown[][] = Array.from({ length: 11 }, () => new Array<unknown>(rows.length));
  const payloads: Buffer[] = [];
  let offset = 1;
  rows.forEach((row, index) => {
    columns[0]![index] = row.id;
    columns[1]![index] = row.orgId;
    columns[2]![index] = row.endpointId;
    columns[3]![index] = row.provider;
    columns[4]![index] = row.deliveryId;
    columns[5]![index] = row.event;
    columns[6]![index] = row.bodySha256;
    columns[7]![index] = row.deliveryIdSource;
    columns[8]![index] = offset;
    columns[9]![index] = row.payload ? row.payload.length : null;
    columns[10]![index] = row.receivedAt.toISOString();
    if (row.payload) {
      payloads.push(row.payload);
      offset += row.payload.length;
    }
  });
  return [...columns.slice(0, 8), Buffer.concat(payloads, offset - 1), ...columns.slice(8)];
}

/**
 * Group commit for verified deliveries. Requests that arrive while a group is being written wait
 * for the next one; each group is one transaction: one INSERT of all its rows (INSERT_DELIVERIES), the
 * `webhook_delivery` jobs of the stored ones (one per organization and WEBHOOK_DELIVERIES_PER_JOB
 * deliveries, in arrival order: one pg-boss insert, one NOTIFY) sent with the commit. A single request still
 * goes alone and at once. Each request is answered after its group committed. When a group fails,
 * its rows are written one by one, so one bad row fails only its own request.
 */
class DeliveryWriter {
  readonly #context: AppContext;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #waiting: PendingWrite[] = [];
  #inFlight = 0;
  #scheduled = false;
  #prepared: Promise<void> | null = null;
  /** The size of the last group started. */
  #lastGroup = 0;

  constructor(context: AppContext, options: { maxBatch?: number; maxInFlight?: number } = {}) {
    this.#context = context;
    this.#maxBatch = options.maxBatch ?? 500;
    // One group at a time, and a second only under heavy load (#mayStart).
    this.#maxInFlight = options.maxInFlight ?? 2;
  }

  /**
   * Whether another group may start now: always when none is committing; while one is, only once
   * SECOND_GROUP_FROM deliveries are waiting. What arrives during a commit goes in the next group, so
   * groups grow with the load and each delivery's share of a commit shrinks: a second commit at once
   * would only split them (bench webhook-ingest at 50 connections: no faster, 10-20% more CPU per
   * delivery). Under heavy load, though, the commit in flight is what everything waits for, while
   * PostgreSQL could run another group's statements beside it (at 400 connections: 9,900-10,200/s
   * with a second commit against 9,200-9,500/s without, at the same CPU per delivery).
   */
  #mayStart(): boolean {
    return this.#waiting.length > 0 && (this.#inFlight === 0 || (this.#inFlight < this.#maxInFlight && this.#waiting.length >= SECOND_GROUP_FROM));
  }

  /** True when stored (with its job), false when the delivery id was already stored. */
  write(row: VerifiedDelivery): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#waiting.push({ row, resolve, reject });
      this.#pump();
    });
  }

  /**
   * Starts the next group once the requests already received have had their turn: the start waits
   * for the end of the event loop's current I/O phase (setImmediate). Without that the first request
   * of a phase went alone, and on the embedded database, whose statements run on this thread, every
   * group was a single delivery (bench webhook-ingest: 1.04 deliveries per group at 50 connections).
   */
  #pump(): void {
    if (this.#scheduled || !this.#mayStart()) return;
    this.#scheduled = true;
    let turns = 0;
    const start = () => {
      // Under load (the last group was large), fewer waiting than last time means more are on the
      // way: let up to LINGER_TURNS more I/O phases bring theirs. Larger groups cost less per delivery
      // (bench webhook-ingest on PostgreSQL: 26 instead of 22 per group, about 5-10% more per second
      // and less database CPU per delivery); a quiet service never waits.
      if (turns < LINGER_TURNS && this.#lastGroup >= LINGER_FROM && this.#waiting.length < this.#lastGroup) {
        turns += 1;
        setImmediate(start);
        return;
      }
      this.#scheduled = false;
      this.#start();
    };
    setImmediate(start);
  }

  #start(): void {
    while (this.#mayStart()) {
      const batch = this.#waiting.splice(0, groupSize(this.#waiting, this.#maxBatch, MAX_GROUP_BYTES));
      this.#lastGroup = batch.length;
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
      for (const pending of batch) pending.resolve(inserted.has(pending.row.id));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      for (const pending of batch) {
        try {
          pending.resolve((await this.#commit([pending.row])).has(pending.row.id));
        } catch (single) {
          pending.reject(single);
        }
      }
    }
  }

  async #commit(rows: VerifiedDelivery[]): Promise<Set<string>> {
    this.#prepared ??= this.#context.queue.prepareEnqueueIn('webhook_delivery').catch((error: unknown) => {
      this.#prepared = null;
      throw error;
    });
    await this.#prepared;
    return this.#context.db.transaction(async (tx) => {
      const stored = await tx.query<{ id: string }>(INSERT_DELIVERIES, insertParameters(rows), { name: 'deliveries_ingest' });
      const inserted = new Set(stored.map((row) => row.id));
      // Per organization, in the order received.
      const byOrg = new Map<string, string[]>();
      for (const row of rows) {
        if (!inserted.has(row.id)) continue;
        const ids = byOrg.get(row.orgId) ?? [];
        ids.push(row.id);
        byOrg.set(row.orgId, ids);
      }
      const jobs: { org_id: string; delivery_ids: string[] }[] = [];
      for (const [orgId, ids] of byOrg) {
        for (let start = 0; start < ids.length; start += WEBHOOK_DELIVERIES_PER_JOB) jobs.push({ org_id: orgId, delivery_ids: ids.slice(start, start + WEBHOOK_DELIVERIES_PER_JOB) });
      }
      // The jobs go out with the COMMIT: one round trip for both where the transaction pipelines.
      await tx.commitAfter((issued) => this.#context.queue.enqueueIn(tx, 'webhook_delivery', jobs, { issued }));
      return inserted;
    });
  }
}

/**
 * How many of the waiting deliveries the next group takes: at most `maxCount`, and no more once their
 * payloads reach `maxBytes` (always at least one). The payloads go as one parameter: without a byte
 * budget, 500 deliveries of 1 MiB would make one 500 MB parameter.
 */
export function groupSize(waiting: readonly { row: { payload: Buffer | null } }[], maxCount: number, maxBytes: number): number {
  let count = 0;
  let bytes = 0;
  while (count < waiting.length && count < maxCount && (count === 0 || bytes < maxBytes)) {
    bytes += waiting[count]!.row.payload?.length ?? 0;
    count += 1;
  }
  return count;
}

/** The payload bytes a group stops taking more deliveries at (a few hundred typical ones fit). */
const MAX_GROUP_BYTES = 8 * 1024 * 1024;

/** How many more event-loop turns a group may wait for requests under load, and from what size of the last group. */
const LINGER_TURNS = 2;
const LINGER_FROM = 16;
/** How many deliveries must be waiting for a second group to start while one commits. */
const SECOND_GROUP_FROM = 64;

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
  await context.queue.enqueue('webhook_delivery', { org_id: orgId, delivery_ids: [id] });
  await context.db.orm
    .update(deliveries)
    .set({ outcome: 'queued' })
    .where(and(eq(deliveries.id, id), eq(deliveries.outcome, 'received')));
}
