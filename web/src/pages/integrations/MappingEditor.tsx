/**
 * A connection's mappings (status, priority, project, …: source → target; the kinds offered are the
 * ones the connection's provider takes, as the API lists them in `mapping_kinds`). The `default` rows are
 * the fallback (seed 003: `default → backlog`, `default → medium`): shown, retargetable, never
 * removable (the API refuses it too).
 */
import { Alert, Badge, Button, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../../api/client.ts';
import { keys, useMappings } from '../../api/queries.ts';
import type { Mapping, MappingKind } from '../../api/types.ts';
import { describeError, EmptyState, ErrorState, LoadingState } from '../../components/states.tsx';

/** How each kind is named here; which ones a connection offers is the API's (its `mapping_kinds`). */
const kindLabels: Record<MappingKind, string> = {
  status: 'Status',
  priority: 'Priority',
  project: 'Project key',
  issue_type: 'Issue type',
  assignment_group: 'Assignment group',
  assignee: 'Default assignee',
  close_code: 'Close code',
};

export function MappingEditor({ connectionId, connectionName, mappingKinds, canEdit }: { connectionId: string; connectionName: string; mappingKinds: readonly MappingKind[]; canEdit: boolean }) {
  const kinds = mappingKinds.map((value) => ({ value, label: kindLabels[value] }));
  const mappings = useMappings(connectionId);
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<MappingKind>('status');
  const [source, setSource] = useState('');
  const [target, setTarget] = useState('');
  const invalidate = () => queryClient.invalidateQueries({ queryKey: keys.mappings(connectionId) });

  const save = useMutation({
    mutationFn: (row: { kind: MappingKind; source: string; target: string }) => api<Mapping>(`/api/v1/connections/${connectionId}/mappings`, { method: 'PUT', body: row }),
    onSuccess: () => {
      setSource('');
      setTarget('');
      return invalidate();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => api<void>(`/api/v1/connections/${connectionId}/mappings/${id}`, { method: 'DELETE' }),
    onSuccess: invalidate,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate({ kind, source: source.trim(), target: target.trim() });
  }

  const titleId = `mappings-${connectionId}`;
  return (
    <Stack gap="xs" aria-labelledby={titleId} component="section">
      <Title order={4} size="h6" id={titleId}>
        Mappings · {connectionName}
      </Title>
      {mappings.isPending ? (
        <LoadingState label="Loading mappings…" rows={2} />
      ) : mappings.isError ? (
        <ErrorState error={mappings.error} onRetry={() => mappings.refetch()} />
      ) : mappings.data.length === 0 ? (
        <EmptyState title="No mappings">Statuses and priorities will use the provider's names.</EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={420}>
          <Table striped withTableBorder aria-label={`Mappings of ${connectionName}`}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Kind</Table.Th>
                <Table.Th scope="col">Source</Table.Th>
                <Table.Th scope="col">Target</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {mappings.data.map((row) => (
                <Table.Tr key={row.id} data-testid={`mapping-${row.kind}-${row.source}`}>
                  <Table.Td>{row.kind.replaceAll('_', ' ')}</Table.Td>
                  <Table.Td>
                    {row.source}{' '}
                    {!row.removable && (
                      <Badge size="xs" variant="light" color="gray" title="The fallback row: it can be retargeted, not removed">
                        default · locked
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{row.target}</Table.Td>
                  <Table.Td>
                    {canEdit && (
                      <Group gap={4} wrap="nowrap" justify="flex-end">
                        <Button
                          size="compact-xs"
                          variant="subtle"
                          onClick={() => {
                            // The API answers kind as a string; one the editor does not know stays on the current kind.
                            const known = kinds.find((option) => option.value === row.kind);
                            if (known) setKind(known.value);
                            setSource(row.source);
                            setTarget(row.target);
                          }}
                          aria-label={`Edit ${row.kind} ${row.source}`}
                        >
                          Edit
                        </Button>
                        <Button
                          size="compact-xs"
                          variant="subtle"
                          color="red"
                          disabled={!row.removable}
                          title={row.removable ? undefined : 'Default rows cannot be removed'}
                          onClick={() => remove.mutate(row.id)}
                          aria-label={row.removable ? `Remove ${row.kind} ${row.source}` : `Remove ${row.kind} ${row.source} (not allowed: default row)`}
                        >
                          Remove
                        </Button>
                      </Group>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {remove.isError && (
        <Alert color="red" role="alert">
          {describeError(remove.error).message}
        </Alert>
      )}
      {canEdit ? (
        <form onSubmit={submit} aria-label={`Add or change a mapping of ${connectionName}`}>
          <Group align="flex-end" gap="xs" wrap="wrap">
            <Select label="Kind" data={kinds} value={kind} onChange={(value) => value && setKind(value as MappingKind)} allowDeselect={false} w={150} />
            <TextInput label="Source" placeholder="In Progress" required value={source} onChange={(event) => setSource(event.currentTarget.value)} w={150} />
            <TextInput label="Target" placeholder="in_progress" required value={target} onChange={(event) => setTarget(event.currentTarget.value)} w={150} />
            <Button type="submit" loading={save.isPending}>
              Save mapping
            </Button>
          </Group>
          {save.isError && (
            <Alert mt="xs" color="red" role="alert">
              {describeError(save.error).message}
            </Alert>
          )}
        </form>
      ) : (
        <Text size="xs" c="dimmed">
          Only administrators change mappings.
        </Text>
      )}
    </Stack>
  );
}
