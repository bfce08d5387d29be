/**
 * Deliveries and audit log: each webhook endpoint's deliveries (signature, outcome, what they
 * changed) and the outbound operations the service ran (jobs), searchable and cursor-paged.
 */
import { Badge, Group, SegmentedControl, Select, Stack, Table, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { LIVE_INTERVAL_MS, keys, useSummary } from '../api/queries.ts';
import type { Job, WebhookDelivery } from '../api/types.ts';
import { StateBadge } from '../components/badges.tsx';
import { LoadMore, useCursorList } from '../components/cursor.tsx';
import { formatDateTime } from '../components/format.ts';
import { EmptyState, ErrorState, LoadingState } from '../components/states.tsx';
import { JobsTable } from './TicketingPage.tsx';

export function DeliveriesPage() {
  return (
    <Stack>
      <div>
        <Title order={2}>Deliveries &amp; audit log</Title>
        <Text c="dimmed" size="sm">
          Signed webhook deliveries received from the trackers, and the operations the service ran against them.
        </Text>
      </div>
      <Tabs defaultValue="deliveries" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="deliveries">Webhook deliveries</Tabs.Tab>
          <Tabs.Tab value="operations">Operations</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="deliveries" pt="md">
          <DeliveriesTab />
        </Tabs.Panel>
        <Tabs.Panel value="operations" pt="md">
          <OperationsTab />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function DeliveriesTab() {
  const summary = useSummary();
  const [provider, setProvider] = useState('JIRA');
  const [search, setSearch] = useState('');
  const endpoint = summary.data?.find((entry) => entry.provider === provider)?.webhook;
  const list = useCursorList<WebhookDelivery>(['webhooks', endpoint?.id ?? 'none', 'deliveries'], `/api/v1/webhooks/${endpoint?.id ?? ''}/deliveries`, 'deliveries', {}, { enabled: Boolean(endpoint), refetchInterval: LIVE_INTERVAL_MS });
  const needle = search.trim().toLowerCase();
  const rows = list.items.filter((delivery) => !needle || [delivery.event, delivery.detail, delivery.outcome, delivery.error, delivery.delivery_id].some((value) => value?.toLowerCase().includes(needle)));

  return (
    <Stack>
      <Group align="flex-end" gap="sm" wrap="wrap">
        <SegmentedControl
          aria-label="Provider"
          value={provider}
          onChange={setProvider}
          data={[
            { value: 'JIRA', label: 'Jira' },
            { value: 'SERVICENOW', label: 'ServiceNow' },
            { value: 'GITHUB', label: 'GitHub' },
          ]}
        />
        <TextInput label="Search" placeholder="Event, outcome, issue…" value={search} onChange={(event) => setSearch(event.currentTarget.value)} w={240} />
      </Group>
      {summary.isPending || (endpoint && list.isPending) ? (
        <LoadingState label="Loading deliveries…" />
      ) : summary.isError ? (
        <ErrorState error={summary.error} onRetry={() => summary.refetch()} />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState title={list.items.length ? 'No delivery matches' : 'No deliveries yet'}>{list.items.length ? 'Clear the search.' : `Point the provider's webhook at ${endpoint?.url ?? 'the URL under Settings → Integrations'}.`}</EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table striped aria-label="Webhook deliveries">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Received</Table.Th>
                <Table.Th scope="col">Event</Table.Th>
                <Table.Th scope="col">Signature</Table.Th>
                <Table.Th scope="col">Outcome</Table.Th>
                <Table.Th scope="col">Detail</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((delivery) => (
                <Table.Tr key={delivery.id}>
                  <Table.Td>
                    <Text size="sm">{formatDateTime(delivery.received_at)}</Text>
                    {delivery.repeats > 0 && (
                      <Text size="xs" c="dimmed">
                        repeated {delivery.repeats}×
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{delivery.event ?? '—'}</Table.Td>
                  <Table.Td>
                    <Badge color={delivery.signature_valid ? 'green' : 'red'} variant="light">
                      {delivery.signature_valid ? 'valid' : 'rejected'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <StateBadge state={delivery.outcome} />
                  </Table.Td>
                  <Table.Td maw={360}>
                    <Text size="xs">{delivery.detail ?? delivery.error ?? '—'}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {endpoint && !list.isPending && !list.isError && <LoadMore hasNextPage={list.hasNextPage} isFetchingNextPage={list.isFetchingNextPage} fetchNextPage={list.fetchNextPage} count={list.items.length} noun="deliveries" />}
    </Stack>
  );
}

const jobKinds = ['create', 'update', 'sync', 'comment', 'open_pr', 'transition', 'run_items', 'webhook_delivery'];
const jobStates = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'];

function OperationsTab() {
  const [kind, setKind] = useState<string | null>(null);
  const [state, setState] = useState<string | null>(null);
  const list = useCursorList<Job>(keys.jobs, '/api/v1/jobs', 'jobs', { kind: kind ?? undefined, state: state ?? undefined });
  return (
    <Stack>
      <Group align="flex-end" gap="sm" wrap="wrap">
        <Select label="Kind" placeholder="Any" data={jobKinds} value={kind} onChange={setKind} clearable w={180} />
        <Select label="State" placeholder="Any" data={jobStates} value={state} onChange={setState} clearable w={160} />
      </Group>
      {list.isPending ? (
        <LoadingState label="Loading operations…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.items.length === 0 ? (
        <EmptyState title="No operations yet">Creating tickets, syncing and fix PRs run as operations listed here.</EmptyState>
      ) : (
        <JobsTable jobs={list.items} label="Operations" />
      )}
      {!list.isPending && !list.isError && <LoadMore hasNextPage={list.hasNextPage} isFetchingNextPage={list.isFetchingNextPage} fetchNextPage={list.fetchNextPage} count={list.items.length} noun="operations" />}
    </Stack>
  );
}
