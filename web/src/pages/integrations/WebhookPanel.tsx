/**
 * A provider's webhook endpoint: the URL to configure on the provider's side, the shared secret
 * (reveal, copy, rotate) and the last delivery, which updates live (the summary query polls).
 */
import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { keys, type SummaryEntry } from '../../api/queries.ts';
import type { WebhookEndpoint } from '../../api/types.ts';
import { formatDateTime, timeAgo } from '../../components/format.ts';
import { CopyText, Secret } from '../../components/Secret.tsx';
import { describeError } from '../../components/states.tsx';

export function WebhookPanel({ entry, canManage, label }: { entry: SummaryEntry; canManage: boolean; label: string }) {
  const queryClient = useQueryClient();
  const [confirming, { open, close }] = useDisclosure(false);
  const rotate = useMutation({
    mutationFn: () => api<WebhookEndpoint>(`/api/v1/webhooks/${entry.webhook.id}/rotate-secret`, { method: 'POST' }),
    onSuccess: async () => {
      close();
      await Promise.all([queryClient.invalidateQueries({ queryKey: keys.summary }), queryClient.invalidateQueries({ queryKey: keys.webhooks })]);
    },
  });
  const last = entry.webhook.last_delivery_at;
  return (
    <Stack gap={6} component="section" aria-label={`${label} webhook`}>
      <Text size="sm" fw={600}>
        Webhook
      </Text>
      <Group gap="xs" wrap="nowrap">
        <Text size="xs" c="dimmed" w={90} style={{ flexShrink: 0 }}>
          URL
        </Text>
        <Text className="mono" style={{ flex: 1, minWidth: 0 }}>
          {entry.webhook.url}
        </Text>
        <CopyText value={entry.webhook.url} label={`${label} webhook URL`} />
      </Group>
      <Group gap="xs" wrap="nowrap">
        <Text size="xs" c="dimmed" w={90} style={{ flexShrink: 0 }}>
          Signature
        </Text>
        <Text className="mono">{entry.webhook.signature_header}</Text>
      </Group>
      <Group gap="xs" wrap="nowrap" align="center">
        <Text size="xs" c="dimmed" w={90} style={{ flexShrink: 0 }}>
          Secret
        </Text>
        <div style={{ flex: 1, minWidth: 0 }}>
          {entry.webhook.secret ? <Secret value={entry.webhook.secret} label={`${label} webhook secret`} /> : <Text size="xs">Shown to administrators only</Text>}
        </div>
      </Group>
      <Group gap="xs" wrap="nowrap">
        <Text size="xs" c="dimmed" w={90} style={{ flexShrink: 0 }}>
          Last delivery
        </Text>
        <Text size="sm" aria-live="polite" data-testid={`last-delivery-${entry.provider}`} data-value={last ?? ''}>
          {last ? (
            <>
              <time dateTime={last}>{formatDateTime(last)}</time> ({timeAgo(last)})
            </>
          ) : (
            'none yet'
          )}
        </Text>
      </Group>
      {canManage && entry.webhook.secret && (
        <Group>
          <Button size="xs" variant="default" onClick={open}>
            Rotate secret
          </Button>
        </Group>
      )}
      <Modal opened={confirming} onClose={close} title={`Rotate the ${label} webhook secret?`} centered>
        <Stack>
          <Text size="sm">A new secret is made now. The previous one keeps verifying deliveries for the overlap window, so update the provider's webhook before it ends.</Text>
          {rotate.isError && (
            <Alert color="red" role="alert">
              {describeError(rotate.error).message}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button onClick={() => rotate.mutate()} loading={rotate.isPending}>
              Rotate
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
