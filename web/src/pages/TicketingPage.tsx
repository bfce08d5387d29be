/**
 * Ticketing & Workflow: the tickets opened for findings (status, severity, SLA, links out, sync),
 * fix pull requests (GET /api/v1/pull-requests, links to GitHub) and their jobs, and bulk ticket
 * creation for a selection with a dry-run preview of the exact requests.
 */
import { Alert, Anchor, Badge, Button, Checkbox, Code, Group, Modal, ScrollArea, Select, Stack, Table, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client.ts';
import { keys, useConnections } from '../api/queries.ts';
import type { BulkTicketsResult, Finding, Job, PullRequestView, Ticket } from '../api/types.ts';
import { SeverityBadge, StateBadge } from '../components/badges.tsx';
import { LoadMore, useCursorList } from '../components/cursor.tsx';
import { formatDate, formatDateTime, severityOrder, findingSla } from '../components/format.ts';
import { describeError, EmptyState, ErrorState, LoadingState } from '../components/states.tsx';

export function TicketingPage() {
  return (
    <Stack>
      <div>
        <Title order={2}>Ticketing &amp; Workflow</Title>
        <Text c="dimmed" size="sm">
          Tickets and fix pull requests opened for findings, their status in the tracker, and SLA due dates.
        </Text>
      </div>
      <Tabs defaultValue="tickets" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="tickets">Tickets</Tabs.Tab>
          <Tabs.Tab value="create">Create tickets</Tabs.Tab>
          <Tabs.Tab value="prs">Fix PRs</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="tickets" pt="md">
          <TicketsTab />
        </Tabs.Panel>
        <Tabs.Panel value="create" pt="md">
          <CreateTicketsTab />
        </Tabs.Panel>
        <Tabs.Panel value="prs" pt="md">
          <FixPrsTab />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

const ticketStates = ['backlog', 'todo', 'in_progress', 'in_review', 'done', 'wont_fix'];

function TicketsTab() {
  const [state, setState] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [severity, setSeverity] = useState<string | null>(null);
  const [breachedOnly, setBreachedOnly] = useState(false);
  const list = useCursorList<Ticket>(keys.tickets, '/api/v1/tickets', 'tickets', { state: state ?? undefined });
  const findingIds = [...new Set(list.items.map((ticket) => ticket.finding_id))];
  // The ticket rows name their finding; its severity and dates come from the finding (cached).
  const findings = useQueries({
    queries: findingIds.map((id) => ({ queryKey: ['findings', id], queryFn: ({ signal }: { signal: AbortSignal }) => api<Finding>(`/api/v1/findings/${id}`, { signal }), staleTime: 60_000 })),
  });
  const byId = new Map(findings.flatMap((query) => (query.data ? [[query.data.id, query.data] as const] : [])));
  const queryClient = useQueryClient();
  const sync = useMutation({
    mutationFn: (id: string) => api<Ticket>(`/api/v1/tickets/${id}/sync`, { method: 'POST' }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.tickets }),
  });

  const needle = search.trim().toLowerCase();
  const rows = list.items.filter((ticket) => {
    const finding = byId.get(ticket.finding_id);
    if (severity && finding?.severity !== severity) return false;
    if (breachedOnly && !(finding && findingSla(finding).breached)) return false;
    if (!needle) return true;
    return [ticket.external_key, ticket.external_status, ticket.provider, finding?.title, finding?.package_name].some((value) => value?.toLowerCase().includes(needle));
  });

  return (
    <Stack>
      <Group align="flex-end" gap="sm" wrap="wrap">
        <TextInput label="Search" placeholder="Key, status, finding…" value={search} onChange={(event) => setSearch(event.currentTarget.value)} w={220} />
        <Select label="State" placeholder="Any" data={ticketStates} value={state} onChange={setState} clearable w={150} />
        <Select label="Severity" placeholder="Any" data={severityOrder} value={severity} onChange={setSeverity} clearable w={150} />
        <Checkbox label="SLA breached only" checked={breachedOnly} onChange={(event) => setBreachedOnly(event.currentTarget.checked)} mb={8} />
      </Group>
      {sync.isError && (
        <Alert color="red" role="alert" title="Sync failed">
          {describeError(sync.error).message}
        </Alert>
      )}
      {list.isPending ? (
        <LoadingState label="Loading tickets…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState title={list.items.length === 0 ? 'No tickets yet' : 'No ticket matches these filters'}>{list.items.length === 0 ? 'Open tickets for findings under “Create tickets”.' : 'Clear a filter or load more.'}</EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={900}>
          <Table striped highlightOnHover aria-label="Tickets">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Ticket</Table.Th>
                <Table.Th scope="col">Finding</Table.Th>
                <Table.Th scope="col">Severity</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">SLA due</Table.Th>
                <Table.Th scope="col">Last sync</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((ticket) => {
                const finding = byId.get(ticket.finding_id);
                const sla = finding ? findingSla(finding) : null;
                return (
                  <Table.Tr key={ticket.id}>
                    <Table.Td>
                      {ticket.url ? (
                        <Anchor href={ticket.url} target="_blank" rel="noreferrer">
                          {ticket.external_key ?? ticket.external_id ?? 'open'} <span className="visually-hidden">(opens in {ticket.provider})</span>↗
                        </Anchor>
                      ) : (
                        (ticket.external_key ?? 'pending')
                      )}
                      <Text size="xs" c="dimmed">
                        {ticket.provider}
                      </Text>
                    </Table.Td>
                    <Table.Td maw={320}>
                      <Anchor component={Link} to={`/findings/${ticket.finding_id}`} size="sm" lineClamp={2}>
                        {finding?.title ?? ticket.finding_id}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{finding ? <SeverityBadge severity={finding.severity} /> : '…'}</Table.Td>
                    <Table.Td>
                      <StateBadge state={ticket.state} />
                      {ticket.external_status && (
                        <Text size="xs" c="dimmed">
                          {ticket.external_status}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      {sla?.due ? formatDate(sla.due.toISOString()) : '—'}{' '}
                      {sla?.breached && (
                        <Badge color="red" size="sm">
                          breached
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Text size="xs">{formatDateTime(ticket.last_synced_at)}</Text>
                      {ticket.last_error && (
                        <Text size="xs" c="red.9">
                          {ticket.last_error}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Button size="compact-xs" variant="default" onClick={() => sync.mutate(ticket.id)} loading={sync.isPending && sync.variables === ticket.id} aria-label={`Sync ${ticket.external_key ?? ticket.id}`}>
                        Sync
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {!list.isPending && !list.isError && <LoadMore hasNextPage={list.hasNextPage} isFetchingNextPage={list.isFetchingNextPage} fetchNextPage={list.fetchNextPage} count={list.items.length} noun="tickets" one="ticket" />}
    </Stack>
  );
}

function CreateTicketsTab() {
  const [severity, setSeverity] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [connectionId, setConnectionId] = useState<string | null>(null);
  const [projectKey, setProjectKey] = useState('');
  const [issueType, setIssueType] = useState('');
  const [preview, setPreview] = useState<BulkTicketsResult | null>(null);
  const [created, setCreated] = useState<BulkTicketsResult | null>(null);
  const connections = useConnections();
  const trackers = (connections.data ?? []).filter((row) => row.provider.startsWith('jira') && row.status !== 'disconnected');
  const list = useCursorList<Finding>([...keys.findings, 'open'], '/api/v1/findings', 'findings', { severity: severity ?? undefined, q: q || undefined, state: undefined });
  const open = useMemo(() => list.items.filter((finding) => finding.state !== 'done' && finding.state !== 'wont_fix'), [list.items]);
  const queryClient = useQueryClient();
  const bulk = useMutation({
    mutationFn: (dryRun: boolean) =>
      api<BulkTicketsResult>('/api/v1/tickets/bulk', { method: 'POST', body: {
          finding_ids: [...selected],
          dry_run: dryRun,
          ...(connectionId ? { connection_id: connectionId } : {}),
          ...(projectKey.trim() ? { project_key: projectKey.trim() } : {}),
          ...(issueType.trim() ? { issue_type: issueType.trim() } : {}),
        },
      }),
    onSuccess: async (result) => {
      if (result.dry_run) setPreview(result);
      else {
        setPreview(null);
        setCreated(result);
        setSelected(new Set());
        await queryClient.invalidateQueries({ queryKey: keys.tickets });
      }
    },
  });

  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allSelected = open.length > 0 && open.every((finding) => selected.has(finding.id));

  return (
    <Stack>
      <Group align="flex-end" gap="sm" wrap="wrap">
        <TextInput label="Search findings" placeholder="Title, package, CVE…" value={search} onChange={(event) => setSearch(event.currentTarget.value)} w={220} />
        <Select label="Severity" placeholder="Any" data={severityOrder} value={severity} onChange={setSeverity} clearable w={150} />
        <Select
          label="Tracker"
          placeholder={trackers.length ? 'Default connection' : 'No Jira connection'}
          data={trackers.map((row) => ({ value: row.id, label: row.name }))}
          value={connectionId}
          onChange={setConnectionId}
          clearable
          w={220}
        />
        <TextInput label="Project key" description="Else the project mapping" placeholder="SEC" value={projectKey} onChange={(event) => setProjectKey(event.currentTarget.value)} w={130} />
        <TextInput label="Issue type" description="Else the mapping" placeholder="Bug" value={issueType} onChange={(event) => setIssueType(event.currentTarget.value)} w={130} />
        <Button onClick={() => bulk.mutate(true)} disabled={selected.size === 0} loading={bulk.isPending && bulk.variables === true}>
          Preview {selected.size || ''} ticket{selected.size === 1 ? '' : 's'} (dry run)
        </Button>
      </Group>
      {bulk.isError && (
        <Alert color="red" role="alert" title="Not done">
          {describeError(bulk.error).message}
        </Alert>
      )}
      {created && (
        <Alert color={created.summary.failed ? 'orange' : 'green'} role="status" title="Tickets created" withCloseButton onClose={() => setCreated(null)} closeButtonLabel="Dismiss">
          {created.summary.created} created, {created.summary.existing} already had one, {created.summary.failed} failed.
        </Alert>
      )}
      {list.isPending ? (
        <LoadingState label="Loading findings…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : open.length === 0 ? (
        <EmptyState title="No open findings">Import a scanner report under Findings to get started.</EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table striped aria-label="Open findings to ticket">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col" w={40}>
                  <Checkbox
                    aria-label="Select all listed findings"
                    checked={allSelected}
                    indeterminate={!allSelected && open.some((finding) => selected.has(finding.id))}
                    onChange={() => setSelected(allSelected ? new Set() : new Set(open.map((finding) => finding.id)))}
                  />
                </Table.Th>
                <Table.Th scope="col">Finding</Table.Th>
                <Table.Th scope="col">Severity</Table.Th>
                <Table.Th scope="col">State</Table.Th>
                <Table.Th scope="col">SLA due</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {open.map((finding) => {
                const sla = findingSla(finding);
                return (
                  <Table.Tr key={finding.id}>
                    <Table.Td>
                      <Checkbox aria-label={`Select ${finding.title}`} checked={selected.has(finding.id)} onChange={() => toggle(finding.id)} />
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{finding.title}</Text>
                      <Text size="xs" c="dimmed">
                        {finding.package_name ?? finding.control_id ?? ''}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <SeverityBadge severity={finding.severity} />
                    </Table.Td>
                    <Table.Td>
                      <StateBadge state={finding.state} />
                    </Table.Td>
                    <Table.Td>
                      {sla.due ? formatDate(sla.due.toISOString()) : '—'}{' '}
                      {sla.breached && (
                        <Badge color="red" size="sm">
                          breached
                        </Badge>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {!list.isPending && !list.isError && <LoadMore hasNextPage={list.hasNextPage} isFetchingNextPage={list.isFetchingNextPage} fetchNextPage={list.fetchNextPage} count={list.items.length} noun="findings" one="finding" />}
      <Modal opened={preview !== null} onClose={() => setPreview(null)} title="Dry run: the requests that would be sent" size="xl" scrollAreaComponent={ScrollArea.Autosize}>
        {preview && (
          <Stack>
            <Text size="sm" role="status">
              {preview.summary.planned} planned · {preview.summary.existing} already ticketed · {preview.summary.failed} would fail. Nothing has been sent yet.
            </Text>
            {preview.notes.map((note) => (
              <Alert key={note} variant="light" p="xs">
                {note}
              </Alert>
            ))}
            {preview.results
              .filter((result) => result.error)
              .map((result) => (
                <Alert key={result.finding_id} color="red" variant="light" p="xs">
                  {result.finding_id}: {result.error?.message}
                </Alert>
              ))}
            {(preview.requests ?? []).map((request, index) => (
              <Stack key={index} gap={4} data-testid="preview-request">
                <Text size="sm" fw={600}>
                  <Code>{request.method}</Code> <span className="mono">{request.url}</span>
                </Text>
                <pre className="request" tabIndex={0} aria-label={`Request ${index + 1} body`}>
                  {JSON.stringify(request.body, null, 2)}
                </pre>
              </Stack>
            ))}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setPreview(null)}>
                Cancel
              </Button>
              <Button onClick={() => bulk.mutate(false)} loading={bulk.isPending && bulk.variables === false} disabled={preview.summary.planned === 0}>
                Create {preview.summary.planned} ticket{preview.summary.planned === 1 ? '' : 's'}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}

const prStates = ['open', 'merged', 'closed'];
const prStateColor: Record<string, string> = { open: 'green', merged: 'violet', closed: 'gray' };

/** `https://github.com/acme/web` → `acme/web` (the host stays for anything else). */
function repoName(url: string): string {
  return url.replace(/^[a-z]+:\/\/(www\.)?github\.com\//i, '').replace(/^[a-z]+:\/\//i, '').replace(/\.git$/, '');
}

function FixPrsTab() {
  const [state, setState] = useState<string | null>(null);
  const [repoText, setRepoText] = useState('');
  const [repo] = useDebouncedValue(repoText.trim(), 300);
  const list = useCursorList<PullRequestView>(['pull-requests'], '/api/v1/pull-requests', 'pull_requests', { state: state ?? undefined, repo: repo || undefined });
  const jobs = useCursorList<Job>([...keys.jobs, 'open_pr'], '/api/v1/jobs', 'jobs', { kind: 'open_pr' });
  const filtered = Boolean(state || repo);
  return (
    <Stack>
      <Group align="flex-end" gap="sm" wrap="wrap">
        <Select label="PR state" placeholder="Any" data={prStates} value={state} onChange={setState} clearable w={150} />
        <TextInput label="Repository" placeholder="owner/name or URL" value={repoText} onChange={(event) => setRepoText(event.currentTarget.value)} w={240} />
      </Group>
      {list.isPending ? (
        <LoadingState label="Loading fix pull requests…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.items.length === 0 ? (
        <EmptyState title={filtered ? 'No pull request matches' : 'No fix pull requests yet'}>
          {filtered ? 'Clear a filter.' : 'They appear when fix PRs are opened for vulnerable dependencies.'}
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover aria-label="Fix pull requests">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Pull request</Table.Th>
                <Table.Th scope="col">Repository</Table.Th>
                <Table.Th scope="col">State</Table.Th>
                <Table.Th scope="col">Fixes</Table.Th>
                <Table.Th scope="col">Tickets</Table.Th>
                <Table.Th scope="col">Updated</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.items.map((pr) => (
                <Table.Tr key={pr.id}>
                  <Table.Td maw={340}>
                    {pr.url ? (
                      <Anchor href={pr.url} target="_blank" rel="noreferrer" size="sm">
                        #{pr.number ?? '?'} {pr.title ?? pr.branch} <span className="visually-hidden">(opens on the code host)</span>↗
                      </Anchor>
                    ) : (
                      <Text size="sm">{pr.title ?? pr.branch}</Text>
                    )}
                    <Text size="xs" c="dimmed" className="mono" style={{ overflowWrap: 'anywhere' }}>
                      {pr.branch} → {pr.base_branch}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                      {repoName(pr.repo_url)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={prStateColor[pr.state] ?? 'gray'} variant="outline" autoContrast>
                      {pr.state}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="wrap">
                      {pr.finding_ids.length === 0
                        ? '—'
                        : pr.finding_ids.map((id, index) => (
                            <Anchor key={id} component={Link} to={`/findings/${id}`} size="sm">
                              finding {index + 1}
                            </Anchor>
                          ))}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="wrap">
                      {pr.tickets.length === 0
                        ? '—'
                        : pr.tickets.map((ticket) =>
                            ticket.url ? (
                              <Anchor key={ticket.id} href={ticket.url} target="_blank" rel="noreferrer" size="sm">
                                {ticket.key ?? 'ticket'} <span className="visually-hidden">(opens in the tracker)</span>↗
                              </Anchor>
                            ) : (
                              <Text key={ticket.id} size="sm">
                                {ticket.key ?? 'pending'}
                              </Text>
                            ),
                          )}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">{formatDateTime(pr.merged_at ?? pr.updated_at)}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {!list.isPending && !list.isError && <LoadMore hasNextPage={list.hasNextPage} isFetchingNextPage={list.isFetchingNextPage} fetchNextPage={list.fetchNextPage} count={list.items.length} noun="pull requests" one="pull request" />}
      <Title order={3} size="h5">
        Fix-PR jobs
      </Title>
      {jobs.isPending ? (
        <LoadingState label="Loading fix PR jobs…" rows={1} />
      ) : jobs.isError ? (
        <ErrorState error={jobs.error} onRetry={() => jobs.refetch()} />
      ) : jobs.items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No fix-PR jobs queued or run.
        </Text>
      ) : (
        <JobsTable jobs={jobs.items} label="Fix PR jobs" />
      )}
      {!jobs.isPending && !jobs.isError && jobs.items.length > 0 && <LoadMore hasNextPage={jobs.hasNextPage} isFetchingNextPage={jobs.isFetchingNextPage} fetchNextPage={jobs.fetchNextPage} count={jobs.items.length} noun="jobs" one="job" />}
    </Stack>
  );
}

export function JobsTable({ jobs, label }: { jobs: Job[]; label: string }) {
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table striped aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Kind</Table.Th>
            <Table.Th scope="col">State</Table.Th>
            <Table.Th scope="col">Attempts</Table.Th>
            <Table.Th scope="col">Created</Table.Th>
            <Table.Th scope="col">Completed</Table.Th>
            <Table.Th scope="col">Last error</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {jobs.map((job) => (
            <Table.Tr key={job.id}>
              <Table.Td>{job.kind.replace('_', ' ')}</Table.Td>
              <Table.Td>
                <StateBadge state={job.state} />
              </Table.Td>
              <Table.Td>
                {job.attempts}/{job.max_attempts}
              </Table.Td>
              <Table.Td>{formatDateTime(job.created_at)}</Table.Td>
              <Table.Td>{formatDateTime(job.completed_at)}</Table.Td>
              <Table.Td maw={320}>
                <Text size="xs" lineClamp={2}>
                  {job.last_error ?? '—'}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
