/**
 * What the API shows of webhook endpoints and deliveries, and seed 003's integration summary: per
 * provider the webhook (URL, secret for admins, last delivery), the connection's status and its
 * mapping rows. The secret is opened only when the caller may see it.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import { DEFAULT_ORG } from '../../auth/jwt-verifier.ts';
import type { WebhookDeliveryView, WebhookEndpointView } from '../../contracts/webhooks.ts';
import { afterCursor, type CursorPosition, cursorTime } from '../../db/cursor.ts';
import type { Orm } from '../../db/database.ts';
import { connections, deliveries } from '../../db/schema.ts';
import { mappingKinds } from '../../db/schema.ts';
import { MappingService } from '../mappings.ts';
import type { EndpointRow, WebhookEndpoints } from './endpoints.ts';
import type { WebhookProvider } from './signatures.ts';

/** The URL to give the provider: seed 003's short path for the default organization's Jira and ServiceNow. */
export function webhookUrls(baseUrl: string, orgSlug: string, endpoint: Pick<EndpointRow, 'id' | 'provider'>): { url: string; endpoint_url: string } {
  const base = baseUrl.replace(/\/+$/, '');
  const endpointUrl = `${base}/api/integrations/${endpoint.provider}/webhook/${endpoint.id}`;
  const short = orgSlug === DEFAULT_ORG && (endpoint.provider === 'jira' || endpoint.provider === 'servicenow');
  return { url: short ? `${base}/api/integrations/${endpoint.provider}/webhook` : endpointUrl, endpoint_url: endpointUrl };
}

export function endpointView(endpoints: WebhookEndpoints, row: EndpointRow, options: { baseUrl: string; orgSlug: string; withSecret: boolean }): WebhookEndpointView {
  return {
    id: row.id,
    provider: row.provider as WebhookProvider,
    ...webhookUrls(options.baseUrl, options.orgSlug, row),
    signature_header: row.signatureHeader,
    algorithm: row.algorithm,
    encoding: row.signatureEncoding,
    ...(options.withSecret ? { secret: endpoints.secret(row) } : {}),
    previous_secret_expires_at: row.previousSecretExpiresAt?.toISOString() ?? null,
    last_delivery_at: row.lastDeliveryAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
  };
}

/** An endpoint's deliveries, newest first, keyset-paged on (received_at, id). */
export async function listDeliveries(orm: Orm, orgId: string, endpointId: string, page: { limit: number; cursor?: CursorPosition }): Promise<{ deliveries: WebhookDeliveryView[]; next: CursorPosition | null }> {
  const rows = await orm
    .select({
      id: deliveries.id,
      deliveryId: deliveries.deliveryId,
      deliveryIdSource: deliveries.deliveryIdSource,
      event: deliveries.event,
      receivedAt: deliveries.receivedAt,
      at: cursorTime(deliveries.receivedAt),
      signatureValid: deliveries.signatureValid,
      outcome: deliveries.outcome,
      repeats: deliveries.repeats,
      detail: deliveries.detail,
      error: deliveries.error,
      processedAt: deliveries.processedAt,
    })
    .from(deliveries)
    .where(and(eq(deliveries.orgId, orgId), eq(deliveries.endpointId, endpointId), page.cursor ? afterCursor(deliveries.receivedAt, deliveries.id, page.cursor) : undefined))
    .orderBy(desc(deliveries.receivedAt), desc(deliveries.id))
    .limit(page.limit + 1);
  const more = rows.length > page.limit;
  const shown = rows.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    deliveries: shown.map((row) => ({
      id: row.id,
      delivery_id: row.deliveryId,
      delivery_id_source: row.deliveryIdSource,
      event: row.event,
      received_at: row.receivedAt.toISOString(),
      signature_valid: row.signatureValid,
      outcome: row.outcome,
      repeats: row.repeats,
      detail: row.detail,
      error: row.error,
      processed_at: row.processedAt?.toISOString() ?? null,
    })),
    next: more && last ? { at: last.at, id: last.id } : null,
  };
}

export interface SummaryEntry {
  provider: 'JIRA' | 'SERVICENOW' | 'GITHUB';
  webhook: { id: string; url: string; endpoint_url: string; signature_header: string; secret?: string; last_delivery_at: string | null };
  connection: { id: string; provider: string; name: string; status: string; last_error: string | null; site_url: string | null } | null;
  mappings: Record<string, Record<string, string>>;
}

const connectionProviders: Record<WebhookProvider, string[]> = {
  jira: ['jira-cloud', 'jira-server'],
  servicenow: ['servicenow'],
  github: ['github'],
};

/** Seed 003's defaults, shown when no connection exists yet (every connection gets them as rows). */
const defaultMappings = { status: { default: 'backlog' }, priority: { default: 'medium' } };

export async function integrationSummary(
  orm: Orm,
  endpoints: WebhookEndpoints,
  tenant: { orgId: string; orgSlug: string },
  options: { baseUrl: string; withSecret: boolean },
): Promise<SummaryEntry[]> {
  const rows = await endpoints.ensureAll(tenant.orgId);
  const mappings = new MappingService(orm);
  const all = await orm
    .select()
    .from(connections)
    .where(and(eq(connections.orgId, tenant.orgId), inArray(connections.provider, Object.values(connectionProviders).flat())))
    .orderBy(desc(connections.createdAt));
  const entries: SummaryEntry[] = [];
  for (const row of rows) {
    const provider = row.provider as WebhookProvider;
    const view = endpointView(endpoints, row, { baseUrl: options.baseUrl, orgSlug: tenant.orgSlug, withSecret: options.withSecret });
    // The endpoint's own connection when it names one, else the organization's newest usable one.
    const candidates = all.filter((connection) => connectionProviders[provider].includes(connection.provider) && connection.userId === null);
    const connection =
      candidates.find((candidate) => candidate.id === row.connectionId) ??
      candidates.find((candidate) => candidate.status === 'active' && candidate.secretsEncrypted !== null) ??
      candidates.find((candidate) => candidate.status !== 'disconnected') ??
      null;
    let mapped: Record<string, Record<string, string>> = defaultMappings;
    if (connection) {
      mapped = Object.fromEntries(mappingKinds.map((kind) => [kind, {} as Record<string, string>]));
      for (const mapping of await mappings.rows(tenant.orgId, connection.id)) (mapped[mapping.kind] ??= {})[mapping.source] = mapping.target;
    }
    entries.push({
      provider: provider.toUpperCase() as SummaryEntry['provider'],
      webhook: {
        id: view.id,
        url: view.url,
        endpoint_url: view.endpoint_url,
        signature_header: view.signature_header,
        ...(view.secret !== undefined ? { secret: view.secret } : {}),
        last_delivery_at: view.last_delivery_at,
      },
      connection: connection
        ? { id: connection.id, provider: connection.provider, name: connection.name, status: connection.status, last_error: connection.lastError, site_url: connection.siteUrl ?? connection.apiUrl }
        : null,
      mappings: mapped,
    });
  }
  return entries;
}
