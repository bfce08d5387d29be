/** One audit case and its violations (filterable, cursor-paged). */
import { Anchor, Group, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api } from '../api/client.ts';
import type { AuditCase } from '../api/types.ts';
import { StateBadge } from '../components/badges.tsx';
import { formatDateTime } from '../components/format.ts';
import { ErrorState, LoadingState } from '../components/states.tsx';
import { FindingsList } from './FindingsPage.tsx';

export function CasePage() {
  const { id = '' } = useParams();
  const auditCase = useQuery({ queryKey: ['cases', id], queryFn: ({ signal }) => api<AuditCase>(`/api/v1/cases/${id}`, { signal }) });
  if (auditCase.isPending) return <LoadingState label="Loading audit case…" />;
  if (auditCase.isError) return <ErrorState error={auditCase.error} onRetry={() => auditCase.refetch()} />;
  const c = auditCase.data;
  return (
    <Stack>
      <Anchor component={Link} to="/findings" size="sm">
        ← Findings &amp; audit cases
      </Anchor>
      <Group gap="sm">
        <Title order={2}>{c.name}</Title>
        <StateBadge state={c.status} />
      </Group>
      <Text size="sm" c="dimmed">
        {c.framework ?? 'No framework'} · {c.violation_count} violations · created {formatDateTime(c.created_at)}
      </Text>
      {c.description && <Text size="sm">{c.description}</Text>}
      <FindingsList caseId={c.id} />
    </Stack>
  );
}
