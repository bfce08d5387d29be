/**
 * Connect a ServiceNow instance over OAuth (authorization code): the instance's own OAuth app (System
 * OAuth → Application Registry, Redirect URL shown here) → POST /api/v1/connections/servicenow/oauth/start
 * → the browser goes to the instance's consent page and comes back to /oauth/servicenow.
 */
import { Alert, Button, Code, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../../api/client.ts';
import { describeError } from '../../components/states.tsx';

export function ServiceNowOAuthForm() {
  const redirectUri = `${window.location.origin}/oauth/servicenow`;
  const [values, setValues] = useState<Record<string, string>>({ name: 'ServiceNow (OAuth)', table: 'incident' });
  const set = (name: string) => (event: React.ChangeEvent<HTMLInputElement>) => {
    const value = event.currentTarget.value;
    setValues((current) => ({ ...current, [name]: value }));
  };
  const field = (name: string) => ({ value: values[name] ?? '', onChange: set(name) });
  const start = useMutation({
    mutationFn: (body: Record<string, string>) => api<{ authorization_url: string }>('/api/v1/connections/servicenow/oauth/start', { method: 'POST', body }),
    onSuccess: (started) => window.location.assign(started.authorization_url),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    start.mutate({
      name: values.name?.trim() || 'ServiceNow (OAuth)',
      instance_url: values.instance_url ?? '',
      table: values.table?.trim() || 'incident',
      client_id: values.client_id ?? '',
      client_secret: values.client_secret ?? '',
      redirect_uri: redirectUri,
    });
  }

  return (
    <form onSubmit={submit} aria-label="Connect ServiceNow with OAuth">
      <Stack gap="xs">
        <Text size="xs" c="dimmed">
          In the instance, System OAuth → Application Registry → an OAuth API endpoint for external clients, with Redirect URL <Code>{redirectUri}</Code>.
        </Text>
        <TextInput label="Name" required {...field('name')} />
        <TextInput label="Instance URL" placeholder="https://your-instance.service-now.com" required type="url" {...field('instance_url')} />
        <TextInput label="Table" description="incident, sn_vul_vulnerable_item or a custom table" {...field('table')} />
        <TextInput label="Client ID" required autoComplete="off" {...field('client_id')} />
        <PasswordInput label="Client secret" required autoComplete="off" {...field('client_secret')} />
        {start.isError && (
          <Alert color="red" role="alert" title="Not started">
            {describeError(start.error).message}
          </Alert>
        )}
        <Button type="submit" loading={start.isPending}>
          Continue to ServiceNow
        </Button>
      </Stack>
    </form>
  );
}
