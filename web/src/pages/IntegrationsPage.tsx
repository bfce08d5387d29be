/**
 * Settings → Integrations (seed 003): one card per provider with its connections (status, test,
 * disconnect, mappings), how to connect (OAuth for Atlassian, token forms), and its webhook.
 */
import { Alert, Anchor, Badge, Button, Card, Collapse, Divider, Group, Modal, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client.ts';
import { keys, type SummaryEntry, useConnections, useOAuthStatus, useSummary } from '../api/queries.ts';
import { useSession } from '../api/session.tsx';
import type { Connection, ConnectionTest, OAuthStatus } from '../api/types.ts';
import { StateBadge } from '../components/badges.tsx';
import { formatDateTime } from '../components/format.ts';
import { describeError, ErrorState, LoadingState } from '../components/states.tsx';
import { ConnectForm, type TokenProvider } from './integrations/ConnectForm.tsx';
import { MappingEditor } from './integrations/MappingEditor.tsx';
import { ServiceNowOAuthForm } from './integrations/ServiceNowOAuthForm.tsx';
import { WebhookPanel } from './integrations/WebhookPanel.tsx';

interface ProviderInfo {
  key: string;
  label: string;
  description: string;
  /** The provider value of /api/v1/connections rows. */
  connectionProvider: string | null;
  tokenForm: TokenProvider | null;
  oauth: 'atlassian' | 'servicenow' | null;
  webhook: SummaryEntry['provider'] | null;
}

const providers: ProviderInfo[] = [
  { key: 'jira-cloud', label: 'Jira Cloud', description: 'Issues for findings, status kept in sync.', connectionProvider: 'jira-cloud', tokenForm: 'jira-cloud', oauth: 'atlassian', webhook: 'JIRA' },
  { key: 'jira-server', label: 'Jira Server / Data Center', description: 'Self-hosted Jira with a personal access token or a user.', connectionProvider: 'jira-server', tokenForm: 'jira-server', oauth: null, webhook: 'JIRA' },
  { key: 'servicenow', label: 'ServiceNow', description: 'Incidents and tasks; state changes come back by signed Business Rule calls.', connectionProvider: 'servicenow', tokenForm: 'servicenow', oauth: 'servicenow', webhook: 'SERVICENOW' },
  { key: 'github', label: 'GitHub', description: 'Fix pull requests for vulnerable dependencies.', connectionProvider: 'github', tokenForm: 'github', oauth: null, webhook: 'GITHUB' },
  { key: 'confluence', label: 'Confluence', description: 'Audit case reports as pages: an API token, or the Atlassian OAuth connection (same consent as Jira Cloud).', connectionProvider: 'confluence', tokenForm: 'confluence', oauth: 'atlassian', webhook: null },
];

export function IntegrationsPage() {
  const connections = useConnections();
  const summary = useSummary();
  const oauth = useOAuthStatus();
  const { isAdmin } = useSession();

  return (
    <Stack>
      <div>
        <Title order={2}>Settings → Integrations</Title>
        <Text c="dimmed" size="sm">
          Connect the trackers and code hosts, adjust mappings, and configure the webhooks that bring status back.
        </Text>
      </div>
      {connections.isPending ? (
        <LoadingState label="Loading integrations…" />
      ) : connections.isError ? (
        <ErrorState error={connections.error} onRetry={() => connections.refetch()} />
      ) : (
        <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
          {providers.map((provider) => (
            <ProviderCard
              key={provider.key}
              provider={provider}
              connections={connections.data.filter((row) => row.provider === provider.connectionProvider && row.status !== 'disconnected')}
              webhook={summary.data?.find((entry) => entry.provider === provider.webhook) ?? null}
              summaryError={summary.error}
              oauth={provider.oauth === 'atlassian' ? (oauth.data ?? null) : null}
              isAdmin={isAdmin}
            />
          ))}
        </SimpleGrid>
      )}
    </Stack>
  );
}

function ProviderCard({ provider, connections, webhook, summaryError, oauth, isAdmin }: { provider: ProviderInfo; connections: Connection[]; webhook: SummaryEntry | null; summaryError: unknown; oauth: OAuthStatus | null; isAdmin: boolean }) {
  const [formOpen, { toggle }] = useDisclosure(false);
  const [oauthFormOpen, { toggle: toggleOAuthForm }] = useDisclosure(false);
  // The OAuth block shows a connection that exists (or must be renewed); the button below makes one.
  const oauthRelevant = oauth && (oauth.connected || oauth.status === 'reauth_required') && (provider.key === 'jira-cloud' || oauth.scopes.some((scope) => scope.includes('confluence')));
  const connected = connections.some((row) => row.status === 'connected' || row.status === 'active') || (provider.oauth === 'atlassian' && oauth?.connected === true);
  // Atlassian's consent is the OAuth status's; another provider's (ServiceNow) is its connection
  // rows' own: a refused refresh leaves the row reauth_required, and nothing else stands in.
  const reauth = provider.oauth === 'atlassian' ? oauth?.status === 'reauth_required' : !connected && connections.some((row) => row.status === 'reauth_required');
  const titleId = `card-${provider.key}`;

  return (
    <Card withBorder padding="md" radius="md" component="section" aria-labelledby={titleId} data-testid={`provider-${provider.key}`}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <div>
            <Title order={3} size="h4" id={titleId}>
              {provider.label}
            </Title>
            <Text size="xs" c="dimmed">
              {provider.description}
            </Text>
          </div>
          {reauth ? (
            <Badge color="orange" variant="light" style={{ flexShrink: 0 }}>
              Reauth needed
            </Badge>
          ) : connected ? (
            <Badge color="green" variant="light" style={{ flexShrink: 0 }}>
              Connected
            </Badge>
          ) : (
            <Badge color="gray" variant="light" style={{ flexShrink: 0 }}>
              Not connected
            </Badge>
          )}
        </Group>

        {provider.oauth === 'atlassian' && oauth && oauthRelevant && <OAuthBlock status={oauth} />}

        {connections.map((connection) => (
          <ConnectionBlock key={connection.id} connection={connection} isAdmin={isAdmin} />
        ))}

        {isAdmin && (
          <Group gap="xs">
            {provider.oauth === 'atlassian' && (
              <Button component="a" href="/api/v1/auth/atlassian/login?owner=organization" variant={connected ? 'default' : 'filled'}>
                {reauth ? 'Reconnect with Atlassian' : 'Connect with Atlassian'}
              </Button>
            )}
            {provider.oauth === 'servicenow' && (
              <Button variant={connected ? 'default' : 'filled'} onClick={toggleOAuthForm} aria-expanded={oauthFormOpen} aria-controls="form-servicenow-oauth">
                {oauthFormOpen ? 'Cancel' : reauth ? 'Reconnect with OAuth' : 'Connect with OAuth'}
              </Button>
            )}
            {provider.tokenForm && (
              <Button variant="default" onClick={toggle} aria-expanded={formOpen} aria-controls={`form-${provider.key}`}>
                {formOpen ? 'Cancel' : provider.key === 'servicenow' ? 'Connect with a user' : 'Connect with a token'}
              </Button>
            )}
          </Group>
        )}
        {provider.oauth === 'servicenow' && (
          <Collapse expanded={oauthFormOpen} id="form-servicenow-oauth">
            {oauthFormOpen && <ServiceNowOAuthForm />}
          </Collapse>
        )}
        {provider.tokenForm && (
          <Collapse expanded={formOpen} id={`form-${provider.key}`}>
            {formOpen && <ConnectForm provider={provider.tokenForm} label={provider.label} onDone={toggle} />}
          </Collapse>
        )}

        {provider.webhook && (
          <>
            <Divider />
            {webhook ? (
              <WebhookPanel entry={webhook} canManage={isAdmin} label={provider.label} />
            ) : summaryError ? (
              <ErrorState error={summaryError} />
            ) : (
              <LoadingState label="Loading webhook…" rows={1} />
            )}
          </>
        )}
      </Stack>
    </Card>
  );
}

function OAuthBlock({ status }: { status: OAuthStatus }) {
  return (
    <Stack gap={2} aria-label="Atlassian OAuth connection">
      <Text size="sm">
        OAuth: <StateBadge state={status.status} />{' '}
        {status.site_url && (
          <Anchor href={status.site_url} target="_blank" rel="noreferrer" size="sm">
            {status.site_name ?? status.site_url}
          </Anchor>
        )}
      </Text>
      {status.scopes.length > 0 && (
        <Text size="xs" c="dimmed">
          Scopes: {status.scopes.join(', ')}
        </Text>
      )}
      {status.expires_at && (
        <Text size="xs" c="dimmed">
          Access token expires {formatDateTime(status.expires_at)} (refreshed automatically)
        </Text>
      )}
      {status.action && (
        <Alert color="orange" variant="light" p="xs">
          {status.action}
        </Alert>
      )}
    </Stack>
  );
}

function ConnectionBlock({ connection, isAdmin }: { connection: Connection; isAdmin: boolean }) {
  const queryClient = useQueryClient();
  const [confirming, { open, close }] = useDisclosure(false);
  const [mappingsOpen, { toggle: toggleMappings }] = useDisclosure(false);
  const test = useMutation({ mutationFn: () => api<ConnectionTest>(`/api/v1/connections/${connection.id}/test`, { method: 'POST' }) });
  const disconnect = useMutation({
    mutationFn: () => api<void>(`/api/v1/connections/${connection.id}`, { method: 'DELETE' }),
    onSuccess: async () => {
      close();
      await Promise.all([queryClient.invalidateQueries({ queryKey: keys.connections }), queryClient.invalidateQueries({ queryKey: keys.summary })]);
    },
  });
  const supportsMappings = connection.mapping_kinds.length > 0;

  return (
    <Card withBorder padding="sm" radius="sm" bg="var(--mantine-color-gray-0)" data-testid={`connection-${connection.id}`}>
      <Stack gap={6}>
        <Group justify="space-between" wrap="wrap" gap="xs">
          <Text fw={600} size="sm">
            {connection.name}
          </Text>
          <StateBadge state={connection.status} />
        </Group>
        <Text size="xs" c="dimmed">
          {connection.site_url ?? connection.api_url ?? 'github.com'} · {connection.auth_kind}
          {connection.account_email ? ` · ${connection.account_email}` : ''} · since {formatDateTime(connection.created_at)}
        </Text>
        {connection.last_error && (
          <Alert color="orange" variant="light" p="xs" title="Needs attention">
            {connection.last_error}
          </Alert>
        )}
        {test.data && (
          <Alert color={test.data.ok ? 'green' : 'red'} variant="light" p="xs" role="status" title={test.data.ok ? 'Connection works' : `Test failed${test.data.code ? ` (${test.data.code})` : ''}`}>
            {test.data.message}
            {test.data.account ? ` — signed in as ${test.data.account.display_name}` : ''}
          </Alert>
        )}
        {test.isError && (
          <Alert color="red" variant="light" p="xs" role="alert">
            {describeError(test.error).message}
          </Alert>
        )}
        <Group gap="xs">
          <Button size="xs" variant="default" onClick={() => test.mutate()} loading={test.isPending}>
            Test
          </Button>
          {supportsMappings && (
            <Button size="xs" variant="default" onClick={toggleMappings} aria-expanded={mappingsOpen}>
              {mappingsOpen ? 'Hide mappings' : 'Mappings'}
            </Button>
          )}
          {isAdmin && (
            <Button size="xs" variant="subtle" color="red" onClick={open}>
              Disconnect
            </Button>
          )}
        </Group>
        {supportsMappings && mappingsOpen && <MappingEditor connectionId={connection.id} connectionName={connection.name} mappingKinds={connection.mapping_kinds} canEdit={isAdmin} />}
      </Stack>
      <Modal opened={confirming} onClose={close} title={`Disconnect ${connection.name}?`} centered>
        <Stack>
          <Text size="sm">The stored credentials are erased. Tickets keep their history; connecting the same account again picks them up.</Text>
          {disconnect.isError && (
            <Alert color="red" role="alert">
              {describeError(disconnect.error).message}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button color="red" onClick={() => disconnect.mutate()} loading={disconnect.isPending}>
              Disconnect
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}
