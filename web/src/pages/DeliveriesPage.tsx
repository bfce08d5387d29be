/**
 * Deliveries and audit log: each webhook endpoint's deliveries (signature, outcome, what they
 * changed); the audit log (GET /api/v1/audit-log: every request and job with its audit events and
 * outbound calls, searched on the server); the job queue. All cursor-paged.
 */
import { Accordion, Badge, Group, SegmentedControl, Select, Stack, Table, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { LIVE_INTERVAL_MS, keys, useSummary } from '../api/queries.ts';
import type { AuditOperationView, Job, OutboundCallView, WebhookDelivery } from '../api/types.ts';
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
          Signed webhook deliveries received from the trackers, and every operation the service ran with the calls it made to them.
        </Text>
      </div>
      <Tabs defaultValue="deliveries" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="deliveries">Webhook deliveries</Tabs.Tab>
          <Tabs.Tab value="audit">Audit log</Tabs.Tab>
          <Tabs.Tab value="jobs">Jobs</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="deliveries" pt="md">
          <DeliveriesTab />
        </Tabs.Panel>
        <Tabs.Panel value="audit" pt="md">
          <AuditLogTab />
        </Tabs.Panel>
        <Tabs.Panel value="jobs" pt="md">
          <JobsTab />
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
      {endpoint && !list.isPending && !list.isError && <LoadMore hasNextPage={list.hasNextPage} isFetchingNextPage={list.isFetchingNextPage} fetchNextPage={list.fetchNextPage} count={list.items.length} noun="deliveries" one="delivery" />}
    </Stack>
  );
}

const jobKinds = ['create', 'update', 'sync', 'comment', 'open_pr', 'transition', 'run_items', 'webhook_delivery'];
const jobStates = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'];

function JobsTab() {
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
        <LoadingState label="Loading jobs…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.items.length === 0 ? (
        <EmptyState title="No jobs yet">Ticket creation, syncs, comments and fix PRs run as jobs listed here.</EmptyState>
      ) : (
        <JobsTable jobs={list.items} label="Jobs" />
      )}
      {!list.isPending && !list.isError && <LoadMore hasNextPage={list.hasNextPage} isFetchingNextPage={list.isFetchingNextPage} fetchNextPage={list.fetchNextPage} count={list.items.length} noun="jobs" one="job" />}
    </Stack>
  );
}

const sinceChoices = [
  { value: '1', label: 'Last hour' },
  { value: '24', label: 'Last 24 hours' },
  { value: '168', label: 'Last 7 days' },
  { value: '720', label: 'Last 30 days' },
];

function callFailed(call: OutboundCallView): boolean {
  return call.status === null || call.status >= 400;
}

function AuditLogTab() {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [actionText, setActionText] = useState('');
  const [action] = useDebouncedValue(actionText.trim(), 300);
  const [hours, setHours] = useState<string | null>(null);
  // The cut-off is fixed when chosen, so the query (and its cache key) stays the same while paging.
  const [since, setSince] = useState<string | undefined>(undefined);
  const list = useCursorList<AuditOperationView>(['audit-log'], '/api/v1/audit-log', 'operations', { q: q || undefined, action: action || undefined, since });
  const filtered = Boolean(q || action || since);
  return (
    <Stack>
      <Group align="flex-end" gap="sm" wrap="wrap">
        <TextInput label="Search" placeholder="Host, path, action, route…" value={search} onChange={(event) => setSearch(event.currentTarget.value)} w={240} />
        <TextInput label="Action" placeholder="tickets.create" value={actionText} onChange={(event) => setActionText(event.currentTarget.value)} w={180} />
        <Select
          label="Since"
          placeholder="Any time"
          data={sinceChoices}
          value={hours}
          onChange={(value) => {
            setHours(value);
            setSince(value ? new Date(Date.now() - Number(value) * 3_600_000).toISOString() : undefined);
          }}
          clearable
          w={170}
        />
      </Group>
      {list.isPending ? (
        <LoadingState label="Loading the audit log…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.items.length === 0 ? (
        <EmptyState title={filtered ? 'No operation matches' : 'No operations yet'}>
          {filtered ? 'Change the search or clear a filter.' : 'Requests and jobs that change something or call Jira, ServiceNow or GitHub are listed here with their calls.'}
        </EmptyState>
      ) : (
        <Accordion multiple variant="separated" chevronPosition="left">
          {list.items.map((operation) => (
            <OperationItem key={operation.id} operation={operation} />
          ))}
        </Accordion>
      )}
      {!list.isPending && !list.isError && <LoadMore hasNextPage={list.hasNextPage} isFetchingNextPage={list.isFetchingNextPage} fetchNextPage={list.fetchNextPage} count={list.items.length} noun="operations" one="operation" />}
    </Stack>
  );
}

function OperationItem({ operation }: { operation: AuditOperationView }) {
  const failed = operation.outbound_calls.filter(callFailed).length;
  return (
    <Accordion.Item value={operation.id} data-testid="audit-operation">
      <Accordion.Control>
        <Group gap="xs" wrap="wrap" justify="space-between">
          <Stack gap={2} style={{ minWidth: 0 }}>
            <Text size="sm" fw={600} className="mono" style={{ overflowWrap: 'anywhere' }}>
              {operation.name}
            </Text>
            <Text size="xs" c="dimmed">
              {formatDateTime(operation.started_at)} · {operation.kind} · {operation.actor ?? 'no sign-in'}
            </Text>
          </Stack>
          <Group gap={6} wrap="wrap">
            {operation.events_total > 0 && (
              <Badge variant="light" color="gray" autoContrast>
                {operation.events_total} event{operation.events_total === 1 ? '' : 's'}
              </Badge>
            )}
            {operation.outbound_calls_total > 0 && (
              <Badge variant="light" color="blue" autoContrast>
                {operation.outbound_calls_total} call{operation.outbound_calls_total === 1 ? '' : 's'}
              </Badge>
            )}
            {failed > 0 && (
              <Badge variant="filled" color="red.8">
                {failed} failed
              </Badge>
            )}
          </Group>
        </Group>
      </Accordion.Control>
      <Accordion.Panel>
        <Stack gap="sm">
          {operation.request_id && (
            <Text size="xs" c="dimmed">
              Request id <span className="mono">{operation.request_id}</span>
            </Text>
          )}
          {operation.events.length > 0 && (
            <Table.ScrollContainer minWidth={560}>
              <Table aria-label={`Audit events of ${operation.name}`} striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Action</Table.Th>
                    <Table.Th scope="col">Target</Table.Th>
                    <Table.Th scope="col">Status</Table.Th>
                    <Table.Th scope="col">At</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {operation.events.map((event) => (
                    <Table.Tr key={event.id}>
                      <Table.Td className="mono" style={{ whiteSpace: 'nowrap' }}>
                        {event.action}
                      </Table.Td>
                      <Table.Td>
                        <Text size="xs" style={{ overflowWrap: 'anywhere' }}>
                          {[event.target_type, event.target_id].filter(Boolean).join(' ') || '—'}
                        </Text>
                      </Table.Td>
                      <Table.Td>{event.status}</Table.Td>
                      <Table.Td>
                        <Text size="xs">{formatDateTime(event.at)}</Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
          {operation.outbound_calls.length === 0 ? (
            <Text size="sm" c="dimmed">
              No outbound calls.
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={640}>
              <Table aria-label={`Outbound calls of ${operation.name}`} striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Method</Table.Th>
                    <Table.Th scope="col">Host</Table.Th>
                    <Table.Th scope="col">Path</Table.Th>
                    <Table.Th scope="col">Status</Table.Th>
                    <Table.Th scope="col">Duration</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {operation.outbound_calls.map((call) => (
                    <Table.Tr key={call.id}>
                      <Table.Td className="mono">{call.method}</Table.Td>
                      <Table.Td className="mono" style={{ whiteSpace: 'nowrap' }}>
                        {call.host}
                      </Table.Td>
                      <Table.Td className="mono" style={{ overflowWrap: 'anywhere' }}>
                        {call.path}
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" c={callFailed(call) ? 'red.9' : undefined} fw={callFailed(call) ? 600 : undefined}>
                          {call.status ?? call.error ?? 'no response'}
                        </Text>
                        {call.attempt > 1 && (
                          <Text size="xs" c="dimmed">
                            attempt {call.attempt}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{call.duration_ms} ms</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
          {operation.outbound_calls_total > operation.outbound_calls.length && (
            <Text size="xs" c="dimmed">
              The first {operation.outbound_calls.length} of {operation.outbound_calls_total} calls.
            </Text>
          )}
        </Stack>
      </Accordion.Panel>
    </Accordion.Item>
  );
}
