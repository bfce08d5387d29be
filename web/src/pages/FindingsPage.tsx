/** Findings and audit cases: filtered lists paged by cursor, and a scanner report import with progress. */
import { Alert, Anchor, Button, Checkbox, FileInput, Group, Modal, Progress, Select, SimpleGrid, Stack, Table, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { upload } from '../api/client.ts';
import { keys } from '../api/queries.ts';
import type { AuditCase, Finding, ImportSummary } from '../api/types.ts';
import { SeverityBadge, StateBadge } from '../components/badges.tsx';
import { LoadMore, useCursorList } from '../components/cursor.tsx';
import { formatDate, formatDateTime, humanize, severityOrder } from '../components/format.ts';
import { describeError, EmptyState, ErrorState, LoadingState } from '../components/states.tsx';

const findingStates = ['backlog', 'todo', 'in_progress', 'in_review', 'done', 'wont_fix'];

export function FindingsPage() {
  const [importing, { open, close }] = useDisclosure(false);
  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <div>
          <Title order={2}>Findings &amp; audit cases</Title>
          <Text c="dimmed" size="sm">
            Vulnerabilities from scanner reports and compliance violations grouped in audit cases.
          </Text>
        </div>
        <Button onClick={open}>Import a scanner report</Button>
      </Group>
      <Tabs defaultValue="findings" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="findings">Findings</Tabs.Tab>
          <Tabs.Tab value="cases">Audit cases</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="findings" pt="md">
          <FindingsList />
        </Tabs.Panel>
        <Tabs.Panel value="cases" pt="md">
          <CasesList />
        </Tabs.Panel>
      </Tabs>
      <Modal opened={importing} onClose={close} title="Import a scanner report" size="lg">
        <ImportForm onClose={close} />
      </Modal>
    </Stack>
  );
}

export function FindingsList({ caseId }: { caseId?: string }) {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [severity, setSeverity] = useState<string | null>(null);
  const [state, setState] = useState<string | null>(null);
  const [kind, setKind] = useState<string | null>(null);
  const list = useCursorList<Finding>(keys.findings, '/api/v1/findings', 'findings', {
    case_id: caseId,
    q: q || undefined,
    severity: severity ?? undefined,
    state: state ?? undefined,
    kind: caseId ? undefined : (kind ?? undefined),
  });
  return (
    <Stack>
      <Group align="flex-end" gap="sm" wrap="wrap">
        <TextInput label="Search" placeholder="Title, package, CVE…" value={search} onChange={(event) => setSearch(event.currentTarget.value)} w={220} />
        <Select label="Severity" placeholder="Any" data={severityOrder} value={severity} onChange={setSeverity} clearable w={140} />
        <Select label="State" placeholder="Any" data={findingStates.map((value) => ({ value, label: humanize(value) }))} value={state} onChange={setState} clearable w={150} />
        {!caseId && (
          <Select
            label="Kind"
            placeholder="Any"
            data={[
              { value: 'vulnerability', label: 'Vulnerability' },
              { value: 'violation', label: 'Violation' },
            ]}
            value={kind}
            onChange={setKind}
            clearable
            w={150}
          />
        )}
      </Group>
      {list.isPending ? (
        <LoadingState label="Loading findings…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.items.length === 0 ? (
        <EmptyState title={q || severity || state || kind ? 'No finding matches these filters' : 'No findings yet'}>
          {q || severity || state || kind ? 'Clear a filter to see more.' : 'Import a scanner report, or send findings to POST /api/v1/findings.'}
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover aria-label="Findings">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Finding</Table.Th>
                <Table.Th scope="col">Severity</Table.Th>
                <Table.Th scope="col">State</Table.Th>
                <Table.Th scope="col">Where</Table.Th>
                <Table.Th scope="col">Last seen</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.items.map((finding) => (
                <Table.Tr key={finding.id}>
                  <Table.Td maw={380}>
                    <Anchor component={Link} to={`/findings/${finding.id}`} size="sm">
                      {finding.title}
                    </Anchor>
                    <Text size="xs" c="dimmed">
                      {finding.kind === 'vulnerability' ? `${finding.package_name ?? ''} ${finding.current_version ?? ''}${finding.fixed_version ? ` → ${finding.fixed_version}` : ''}` : `${finding.framework ?? ''} ${finding.control_id ?? ''}`}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <SeverityBadge severity={finding.severity} />
                  </Table.Td>
                  <Table.Td>
                    <StateBadge state={finding.state} />
                  </Table.Td>
                  <Table.Td maw={240}>
                    <Text size="xs" lineClamp={2}>
                      {finding.repo_url ?? finding.source ?? '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>{formatDate(finding.last_seen_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {!list.isPending && !list.isError && <LoadMore hasNextPage={list.hasNextPage} isFetchingNextPage={list.isFetchingNextPage} fetchNextPage={list.fetchNextPage} count={list.items.length} noun="findings" one="finding" />}
    </Stack>
  );
}

function CasesList() {
  const list = useCursorList<AuditCase>(keys.cases, '/api/v1/cases', 'cases');
  if (list.isPending) return <LoadingState label="Loading audit cases…" />;
  if (list.isError) return <ErrorState error={list.error} onRetry={() => list.refetch()} />;
  if (list.items.length === 0) return <EmptyState title="No audit cases yet">Create one with POST /api/v1/cases, then add its violations.</EmptyState>;
  return (
    <Stack>
      <Table.ScrollContainer minWidth={560}>
        <Table striped highlightOnHover aria-label="Audit cases">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Case</Table.Th>
              <Table.Th scope="col">Framework</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col">Violations</Table.Th>
              <Table.Th scope="col">Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.items.map((item) => (
              <Table.Tr key={item.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/cases/${item.id}`} size="sm">
                    {item.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>{item.framework ?? '—'}</Table.Td>
                <Table.Td>
                  <StateBadge state={item.status} />
                </Table.Td>
                <Table.Td>{item.violation_count}</Table.Td>
                <Table.Td>{formatDateTime(item.created_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <LoadMore hasNextPage={list.hasNextPage} isFetchingNextPage={list.isFetchingNextPage} fetchNextPage={list.fetchNextPage} count={list.items.length} noun="cases" one="case" />
    </Stack>
  );
}

function ImportForm({ onClose }: { onClose: () => void }) {
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [target, setTarget] = useState('');
  const [partial, setPartial] = useState(false);
  const [dryRun, setDryRun] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [result, setResult] = useState<ImportSummary | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) return;
    setError(null);
    setResult(null);
    setProgress(0);
    try {
      const summary = await upload<ImportSummary>('/api/v1/findings/import', file, ({ loaded, total }) => setProgress(total ? Math.round((loaded / total) * 100) : 0), {
        target: target.trim(),
        partial: partial ? 'true' : undefined,
        dry_run: dryRun ? 'true' : undefined,
      });
      setResult(summary);
      await queryClient.invalidateQueries({ queryKey: keys.findings });
    } catch (caught) {
      setError(caught);
    } finally {
      setProgress(null);
    }
  }

  return (
    <form onSubmit={submit} aria-label="Import a scanner report">
      <Stack>
        <Text size="sm" c="dimmed">
          Trivy, Grype, OSV-Scanner, npm audit, SARIF or Dependabot alerts, as the scanner wrote it. The format is detected.
        </Text>
        <FileInput label="Report file" placeholder="Choose a JSON report" accept=".json,.sarif,application/json" required value={file} onChange={setFile} clearable />
        <TextInput label="Target" description="What was scanned (a repository or an image). A complete scan resolves this target's findings it no longer reports." required value={target} onChange={(event) => setTarget(event.currentTarget.value)} placeholder="https://github.com/acme/shop" />
        <Group>
          <Checkbox label="Partial scan (resolve nothing)" checked={partial} onChange={(event) => setPartial(event.currentTarget.checked)} />
          <Checkbox label="Dry run (write nothing)" checked={dryRun} onChange={(event) => setDryRun(event.currentTarget.checked)} />
        </Group>
        {progress !== null && (
          <Stack gap={4}>
            <Text size="xs" id="upload-progress-label">
              {progress < 100 ? `Uploading… ${progress}%` : 'Uploaded; importing…'}
            </Text>
            <Progress value={progress} aria-labelledby="upload-progress-label" animated={progress >= 100} />
          </Stack>
        )}
        {error !== null && (
          <Alert color="red" role="alert" title="Import failed">
            {describeError(error).message}
          </Alert>
        )}
        {result && (
          <Alert color="green" role="status" title={result.dry_run ? 'Dry run: nothing was written' : 'Imported'}>
            <SimpleGrid cols={{ base: 2, xs: 4 }} spacing="xs">
              <Text size="sm">Format: {result.format}</Text>
              <Text size="sm">Received: {result.received}</Text>
              <Text size="sm">New: {result.new}</Text>
              <Text size="sm">Updated: {result.updated}</Text>
              <Text size="sm">Unchanged: {result.unchanged}</Text>
              <Text size="sm">Resolved: {result.resolved}</Text>
              <Text size="sm">Reopened: {result.reopened}</Text>
              <Text size="sm">Skipped: {result.skipped.reduce((sum, entry) => sum + entry.count, 0)}</Text>
            </SimpleGrid>
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
          <Button type="submit" loading={progress !== null} disabled={!file || !target.trim()}>
            Import
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
