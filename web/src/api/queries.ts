/** Query keys and fetchers shared by several pages. */
import { useQuery } from '@tanstack/react-query';
import { api } from './client.ts';
import type { Connection, Mapping, OAuthStatus, WebhookEndpoint } from './types.ts';

export interface SummaryEntry {
  provider: 'JIRA' | 'SERVICENOW' | 'GITHUB';
  webhook: { id: string; url: string; endpoint_url: string; signature_header: string; secret?: string; last_delivery_at: string | null };
  connection: { id: string; provider: string; name: string; status: string; last_error: string | null; site_url: string | null } | null;
  mappings: Record<string, string>;
}

export const keys = {
  connections: ['connections'] as const,
  mappings: (id: string) => ['connections', id, 'mappings'] as const,
  summary: ['integrations', 'summary'] as const,
  webhooks: ['webhooks'] as const,
  oauth: ['auth', 'status', 'organization'] as const,
  findings: ['findings'] as const,
  tickets: ['tickets'] as const,
  cases: ['cases'] as const,
  jobs: ['jobs'] as const,
};

/** How often the webhook panel asks for the last delivery (seed 003: it updates after a signed POST). */
export const LIVE_INTERVAL_MS = 3000;

export function useConnections() {
  return useQuery({ queryKey: keys.connections, queryFn: ({ signal }) => api<{ connections: Connection[] }>('/api/v1/connections', { signal }).then((body) => body.connections) });
}

export function useSummary() {
  return useQuery({
    queryKey: keys.summary,
    queryFn: ({ signal }) => api<SummaryEntry[]>('/api/v1/integrations/summary', { signal }),
    refetchInterval: LIVE_INTERVAL_MS,
    refetchIntervalInBackground: false,
  });
}

export function useWebhooks(enabled: boolean) {
  return useQuery({ queryKey: keys.webhooks, queryFn: ({ signal }) => api<{ webhooks: WebhookEndpoint[] }>('/api/v1/webhooks', { signal }).then((body) => body.webhooks), enabled });
}

export function useOAuthStatus() {
  return useQuery({ queryKey: keys.oauth, queryFn: ({ signal }) => api<OAuthStatus>('/api/v1/auth/status', { query: { owner: 'organization' }, signal }) });
}

export function useMappings(connectionId: string) {
  return useQuery({ queryKey: keys.mappings(connectionId), queryFn: ({ signal }) => api<{ mappings: Mapping[] }>(`/api/v1/connections/${connectionId}/mappings`, { signal }).then((body) => body.mappings) });
}
