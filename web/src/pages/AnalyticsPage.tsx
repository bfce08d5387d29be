/** Analytics (seed 002: "track ticket resolution metrics"), loaded lazily with the charts library. */
import { AreaChart, BarChart } from '@mantine/charts';
import { Alert, Card, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, ApiError } from '../api/client.ts';
import type { AnalyticsView, Finding } from '../api/types.ts';
import { EmptyState, ErrorState, LoadingState } from '../components/states.tsx';
import { computeMetrics, fromView, type Metrics } from './analytics.ts';

const MAX_PAGES = 10;
const PAGE = 200;

/** The most recent findings, up to MAX_PAGES × PAGE, following the API's cursors. */
async function loadFindings(signal: AbortSignal): Promise<{ findings: Finding[]; truncated: boolean }> {
  const findings: Finding[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const body: { findings: Finding[]; next_cursor: string | null } = await api('/api/v1/findings', { query: { limit: PAGE, cursor: cursor ?? undefined }, signal });
    findings.push(...body.findings);
    cursor = body.next_cursor;
    if (!cursor) return { findings, truncated: false };
  }
  return { findings, truncated: true };
}

interface Loaded {
  metrics: Metrics;
  /** Findings counted; null when the service computed the metrics. */
  sample: { count: number; truncated: boolean } | null;
  empty: boolean;
}

/** GET /api/v1/analytics (last 30 days by day); a service without it: computed from the findings list. */
async function loadMetrics(signal: AbortSignal): Promise<Loaded> {
  try {
    const view = await api<AnalyticsView>('/api/v1/analytics', { query: { bucket: 'day' }, signal });
    const total = view.states.reduce((sum, row) => sum + row.total, 0);
    return { metrics: fromView(view), sample: null, empty: total === 0 };
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  const { findings, truncated } = await loadFindings(signal);
  return { metrics: computeMetrics(findings), sample: { count: findings.length, truncated }, empty: findings.length === 0 };
}

export function AnalyticsPage() {
  const data = useQuery({ queryKey: ['analytics'], queryFn: ({ signal }) => loadMetrics(signal), staleTime: 60_000 });
  const metrics = data.data?.metrics ?? null;

  return (
    <Stack>
      <div>
        <Title order={2}>Analytics</Title>
        <Text c="dimmed" size="sm">
          Findings opened and resolved over the last 30 days, time to resolve, and open findings past their SLA due date (the organization's policy).
        </Text>
      </div>
      {data.isPending ? (
        <LoadingState label="Computing metrics…" />
      ) : data.isError ? (
        <ErrorState error={data.error} onRetry={() => data.refetch()} />
      ) : !metrics || data.data.empty ? (
        <EmptyState title="Nothing to measure yet">Charts appear once findings have been imported.</EmptyState>
      ) : (
        <>
          {data.data.sample?.truncated && (
            <Alert variant="light">
              Based on the {data.data.sample.count} most recent findings.
            </Alert>
          )}
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <ChartCard title="Open vs resolved over time" testId="chart-open-resolved">
              <AreaChart
                h={260}
                data={metrics.overTime}
                dataKey="date"
                series={[
                  { name: 'open', label: 'Open', color: 'orange.7' },
                  { name: 'resolved', label: 'Resolved (in range)', color: 'teal.7' },
                ]}
                curveType="linear"
                withLegend
                tickLine="y"
                xAxisProps={{ tickFormatter: (value: string) => value.slice(5) }}
                yAxisProps={{ allowDecimals: false }}
              />
            </ChartCard>
            <ChartCard title="Days to resolve, by severity" testId="chart-time-to-resolve">
              <BarChart
                h={260}
                data={metrics.timeToResolve}
                dataKey="severity"
                series={[
                  { name: 'mean', label: 'Mean', color: 'indigo.7' },
                  { name: 'p90', label: '90th percentile', color: 'violet.4' },
                ]}
                withLegend
                valueFormatter={(value) => `${value} d`}
              />
            </ChartCard>
            <ChartCard title="Open SLA breaches, by severity" testId="chart-sla">
              <BarChart h={260} data={metrics.breaches} dataKey="severity" series={[{ name: 'open', label: 'Open past due', color: 'red.8' }]} withLegend yAxisProps={{ allowDecimals: false }} />
            </ChartCard>
            <ChartCard title="Per target" testId="chart-per-target">
              <Table.ScrollContainer minWidth={360}>
                <Table striped aria-label="Findings per target">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">Target</Table.Th>
                      <Table.Th scope="col">Open</Table.Th>
                      <Table.Th scope="col">Resolved</Table.Th>
                      <Table.Th scope="col">Open past due</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {metrics.perTarget.map((row) => (
                      <Table.Tr key={row.target}>
                        <Table.Td maw={260}>
                          <Text size="xs" style={{ wordBreak: 'break-all' }}>
                            {row.target}
                          </Text>
                        </Table.Td>
                        <Table.Td>{row.open}</Table.Td>
                        <Table.Td>{row.resolved}</Table.Td>
                        <Table.Td>{row.breached}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </ChartCard>
          </SimpleGrid>
        </>
      )}
    </Stack>
  );
}

function ChartCard({ title, testId, children }: { title: string; testId: string; children: React.ReactNode }) {
  return (
    <Card withBorder component="section" aria-label={title} data-testid={testId}>
      <Title order={3} size="h5" mb="sm">
        {title}
      </Title>
      {children}
    </Card>
  );
}
