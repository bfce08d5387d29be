/**
 * The request path of a webhook: verify the signature over the raw bytes, record the delivery
 * durably, enqueue its processing, answer. Nothing slow happens here (no provider call).
 *
 * - A missing or bad signature records only a rejected delivery (no payload kept) and answers 401.
 * - A verified delivery claims its provider delivery id (unique per endpoint among verified
 *   deliveries): the first is stored with its payload and queued; a repeat only bumps `repeats` and
 *   is acknowledged. The answer is sent only after the row is written.
 * - A delivery stored but whose job could not be queued (the process died in between) is queued
 *   again when the provider retries it; the job's claim keeps it processed once.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
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
  const [inserted] = await orm
    .insert(deliveries)
    .values({
      orgId: endpoint.orgId,
      endpointId: endpoint.id,
      provider,
      deliveryId: identity.deliveryId,
      event: identity.event,
      signatureValid: true,
      outcome: 'received',
      bodySha256: identity.bodySha256,
      deliveryIdSource: identity.source,
      payload: request.body ?? null,
      receivedAt: now,
    })
    .onConflictDoNothing({ target: [deliveries.endpointId, deliveries.deliveryId], where: sql`signature_valid` })
    .returning({ id: deliveries.id });
  await endpoints.touch(endpoint.id, now);
  if (inserted) {
    await enqueue(context, endpoint.orgId, inserted.id);
    return { status: 'accepted', id: inserted.id, delivery_id: identity.deliveryId };
  }
  const [repeat] = await orm
    .update(deliveries)
    .set({ repeats: sql`${deliveries.repeats} + 1` })
    .where(and(eq(deliveries.endpointId, endpoint.id), eq(deliveries.deliveryId, identity.deliveryId), eq(deliveries.signatureValid, true)))
    .returning({ id: deliveries.id, outcome: deliveries.outcome });
  if (!repeat) throw new Error('the delivery conflicted but could not be found');
  // The first attempt stored the row but did not get as far as queueing it.
  if (repeat.outcome === 'received') await enqueue(context, endpoint.orgId, repeat.id);
  return { status: 'duplicate', id: repeat.id, delivery_id: identity.deliveryId };
}

async function enqueue(context: AppContext, orgId: string, id: string): Promise<void> {
  await context.queue.enqueue('webhook_delivery', { org_id: orgId, delivery_id: id });
  await context.db.orm
    .update(deliveries)
    .set({ outcome: 'queued' })
    .where(and(eq(deliveries.id, id), eq(deliveries.outcome, 'received')));
}
