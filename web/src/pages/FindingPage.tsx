/** One finding: what and where, its tickets, and its history from what the API records. */
import { Alert, Anchor, Card, Group, SimpleGrid, Stack, Text, Timeline, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api } from '../api/client.ts';
import type { Finding, Ticket } from '../api/types.ts';
import { SeverityBadge, StateBadge } from '../components/badges.tsx';
import { formatDate, formatDateTime, humanize, findingSla } from '../components/format.ts';
import { EmptyState, ErrorState, LoadingState } from '../components/states.tsx';

export function FindingPage() {
  const { id = '' } = useParams();
  const finding = useQuery({ queryKey: ['findings', id], queryFn: ({ signal }) => api<Finding>(`/api/v1/findings/${id}`, { signal }) });
  const tickets = useQuery({ queryKey: ['tickets', { finding_id: id }], queryFn: ({ signal }) => api<{ tickets: Ticket[] }>('/api/v1/tickets', { query: { finding_id: id, limit: 100 }, signal }).then((body) => body.tickets) });

  if (finding.isPending) return <LoadingState label="Loading finding…" />;
  if (finding.isError) return <ErrorState error={finding.error} onRetry={() => finding.refetch()} />;
  const f = finding.data;
  const sla = findingSla(f);

  const events: { at: string; title: string; detail?: string }[] = [
    { at: f.first_seen_at, title: 'First seen', detail: f.source ?? undefined },
    ...(tickets.data ?? []).flatMap((ticket) => [
      { at: ticket.created_at, title: `Ticket ${ticket.external_key ?? ''} opened in ${ticket.provider}` },
      ...(ticket.last_synced_at ? [{ at: ticket.last_synced_at, title: `Ticket ${ticket.external_key ?? ''} synced: ${ticket.external_status ?? humanize(ticket.state)}` }] : []),
    ]),
    { at: f.last_seen_at, title: 'Last seen in a scan' },
    ...(f.resolved_at ? [{ at: f.resolved_at, title: `Resolved (${humanize(f.state)})`, detail: f.state_reason ?? undefined }] : []),
  ].sort((a, b) => a.at.localeCompare(b.at));

  return (
    <Stack>
      <Anchor component={Link} to="/findings" size="sm">
        ← Findings
      </Anchor>
      <Group gap="sm" wrap="wrap">
        <Title order={2}>{f.title}</Title>
        <SeverityBadge severity={f.severity} />
        <StateBadge state={f.state} />
      </Group>
      {sla.breached && (
        <Alert color="red" variant="light" title="SLA breached">
          Was due {formatDate(sla.due?.toISOString())} ({f.severity})
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Title order={3} size="h5" mb="xs">
            Details
          </Title>
          <dl style={{ margin: 0 }}>
            {(
              [
                ['Kind', f.kind],
                ['Package', f.package_name && `${f.ecosystem ?? ''} ${f.package_name} ${f.current_version ?? ''}`],
                ['Fixed in', f.fixed_version],
                ['Advisories', f.advisory_ids.join(', ')],
                ['CVSS', f.cvss_score?.toString()],
                ['Repository', f.repo_url],
                ['Manifest', f.manifest_path],
                ['Framework', f.framework && `${f.framework} ${f.control_id ?? ''}`],
                ['Source', f.source],
                ['SLA due', sla.due ? formatDate(sla.due.toISOString()) : null],
                ['Fingerprint', f.fingerprint],
              ] as const
            )
              .filter(([, value]) => value)
              .map(([label, value]) => (
                <Group key={label} gap="xs" wrap="nowrap" align="flex-start" mb={4}>
                  <Text component="dt" size="xs" c="dimmed" w={100} style={{ flexShrink: 0 }}>
                    {label}
                  </Text>
                  <Text component="dd" size="sm" m={0} style={{ wordBreak: 'break-word', minWidth: 0 }}>
                    {value}
                  </Text>
                </Group>
              ))}
          </dl>
          {f.case_id && (
            <Anchor component={Link} to={`/cases/${f.case_id}`} size="sm">
              Open its audit case
            </Anchor>
          )}
          {f.description && (
            <Text size="sm" mt="sm" style={{ whiteSpace: 'pre-wrap' }}>
              {f.description}
            </Text>
          )}
        </Card>
        <Card withBorder>
          <Title order={3} size="h5" mb="xs">
            History
          </Title>
          <Timeline bulletSize={14} lineWidth={2} active={events.length}>
            {events.map((event, index) => (
              <Timeline.Item key={index} title={event.title}>
                <Text size="xs" c="dimmed">
                  {formatDateTime(event.at)}
                </Text>
                {event.detail && <Text size="xs">{event.detail}</Text>}
              </Timeline.Item>
            ))}
          </Timeline>
        </Card>
      </SimpleGrid>
      <Card withBorder>
        <Title order={3} size="h5" mb="xs">
          Tickets
        </Title>
        {tickets.isPending ? (
          <LoadingState rows={1} />
        ) : tickets.isError ? (
          <ErrorState error={tickets.error} />
        ) : tickets.data.length === 0 ? (
          <EmptyState title="No ticket yet">Create one under Ticketing &amp; Workflow → Create tickets.</EmptyState>
        ) : (
          tickets.data.map((ticket) => (
            <Group key={ticket.id} gap="sm">
              {ticket.url ? (
                <Anchor href={ticket.url} target="_blank" rel="noreferrer">
                  {ticket.external_key ?? ticket.id} ↗
                </Anchor>
              ) : (
                <Text>{ticket.external_key ?? 'pending'}</Text>
              )}
              <StateBadge state={ticket.state} />
              <Text size="xs" c="dimmed">
                {ticket.provider} · {ticket.external_status ?? ''} · synced {formatDateTime(ticket.last_synced_at)}
              </Text>
            </Group>
          ))
        )}
      </Card>
    </Stack>
  );
}
