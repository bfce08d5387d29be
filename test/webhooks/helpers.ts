/** Shared pieces of the webhook tests: a listening service, signed requests over real HTTP. */
import { createHmac } from 'node:crypto';
import type { DatabaseKind } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';

export interface ListeningService {
  service: TestService;
  url: string;
  admin: { authorization: string };
  member: { authorization: string };
  close(): Promise<void>;
}

export async function startListening(kind: DatabaseKind, env: Record<string, string> = {}): Promise<ListeningService> {
  const service = await startTestService(kind, env);
  await service.app.listen({ host: '127.0.0.1', port: 0 });
  const address = service.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    service,
    url: `http://127.0.0.1:${port}`,
    admin: { authorization: `Bearer ${await service.token({ subject: 'hook-admin', roles: ['admin'] })}` },
    member: { authorization: `Bearer ${await service.token({ subject: 'hook-member', roles: [] })}` },
    close: () => service.close(),
  };
}

export const hmacHex = (secret: string, body: string | Buffer, algorithm = 'sha256') => createHmac(algorithm, secret).update(body).digest('hex');

export async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function getJson<T>(url: string, headers: Record<string, string>): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: (await response.json()) as T };
}

export interface EndpointJson {
  id: string;
  provider: 'jira' | 'servicenow' | 'github';
  url: string;
  endpoint_url: string;
  secret?: string;
  last_delivery_at: string | null;
  previous_secret_expires_at: string | null;
}

export interface DeliveryJson {
  id: string;
  delivery_id: string | null;
  delivery_id_source: string | null;
  event: string | null;
  received_at: string;
  signature_valid: boolean;
  outcome: string;
  repeats: number;
  detail: string | null;
  error: string | null;
}

export async function endpoints(listening: ListeningService): Promise<Record<'jira' | 'servicenow' | 'github', EndpointJson>> {
  const { body } = await getJson<{ webhooks: EndpointJson[] }>(`${listening.url}/api/v1/webhooks`, listening.admin);
  return Object.fromEntries(body.webhooks.map((endpoint) => [endpoint.provider, endpoint])) as Record<'jira' | 'servicenow' | 'github', EndpointJson>;
}

export async function deliveriesOf(listening: ListeningService, endpointId: string, query = ''): Promise<{ deliveries: DeliveryJson[]; next_cursor: string | null }> {
  const { status, body } = await getJson<{ deliveries: DeliveryJson[]; next_cursor: string | null }>(`${listening.url}/api/v1/webhooks/${endpointId}/deliveries${query}`, listening.admin);
  if (status !== 200) throw new Error(`deliveries: ${status}`);
  return body;
}
