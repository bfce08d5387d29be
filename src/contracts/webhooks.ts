/**
 * Webhook endpoints and their deliveries as the API shows them (`GET /api/v1/webhooks`,
 * `GET /api/v1/webhooks/{id}/deliveries`, the ingest routes' acknowledgement). Shared by the routes
 * (src/http/routes/webhooks.ts), the services that build the views (src/services/webhooks/views.ts)
 * and the web UI.
 */
import { z } from 'zod';

/** The providers that send us signed webhooks. */
export const webhookProviders = ['jira', 'servicenow', 'github'] as const;
export type WebhookProvider = (typeof webhookProviders)[number];

export const webhookAck = z.object({ status: z.enum(['accepted', 'duplicate']), id: z.string(), delivery_id: z.string() }).meta({ id: 'WebhookAck' });
export type WebhookAck = z.infer<typeof webhookAck>;

export const webhookEndpointView = z
  .object({
    id: z.string(),
    provider: z.enum(webhookProviders),
    url: z.string(),
    endpoint_url: z.string(),
    signature_header: z.string(),
    algorithm: z.string(),
    encoding: z.string(),
    secret: z.string().optional().describe('Admins only'),
    previous_secret_expires_at: z.string().nullable(),
    last_delivery_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });
export type WebhookEndpointView = z.infer<typeof webhookEndpointView>;

export const webhookDeliveryView = z
  .object({
    id: z.string(),
    delivery_id: z.string().nullable(),
    delivery_id_source: z.string().nullable(),
    event: z.string().nullable(),
    received_at: z.string(),
    signature_valid: z.boolean(),
    outcome: z.string(),
    repeats: z.number().int(),
    detail: z.string().nullable(),
    error: z.string().nullable(),
    processed_at: z.string().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDeliveryView = z.infer<typeof webhookDeliveryView>;
