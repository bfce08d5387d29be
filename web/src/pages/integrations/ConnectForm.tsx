/** Token forms for the providers the API connects with credentials (POST /api/v1/connections). */
import { Alert, Button, PasswordInput, SegmentedControl, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../../api/client.ts';
import { keys } from '../../api/queries.ts';
import type { Connection } from '../../api/types.ts';
import { describeError } from '../../components/states.tsx';

export type TokenProvider = 'jira-cloud' | 'jira-server' | 'github' | 'confluence' | 'servicenow';

export function ConnectForm({ provider, label, onDone }: { provider: TokenProvider; label: string; onDone?: () => void }) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<string, string>>({ name: label });
  const [serverAuth, setServerAuth] = useState<'pat' | 'basic'>('pat');
  const set = (field: string) => (event: React.ChangeEvent<HTMLInputElement>) => {
    // Read now: React clears currentTarget once the handler returns, before the updater runs.
    const value = event.currentTarget.value;
    setValues((current) => ({ ...current, [field]: value }));
  };
  const connect = useMutation({
    mutationFn: (body: Record<string, string>) => api<Connection>('/api/v1/connections', { method: 'POST', body }),
    onSuccess: async () => {
      await Promise.all([queryClient.invalidateQueries({ queryKey: keys.connections }), queryClient.invalidateQueries({ queryKey: keys.summary })]);
      onDone?.();
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const body: Record<string, string> = { provider, name: values.name?.trim() || label };
    if (provider === 'jira-cloud' || provider === 'confluence') Object.assign(body, { auth_kind: 'api-token', site_url: values.site_url, email: values.email, api_token: values.api_token });
    if (provider === 'jira-server') {
      Object.assign(body, { auth_kind: serverAuth, site_url: values.site_url });
      if (serverAuth === 'pat') body.pat = values.pat ?? '';
      else Object.assign(body, { username: values.username, password: values.password });
    }
    if (provider === 'servicenow') Object.assign(body, { auth_kind: 'basic', instance_url: values.instance_url, username: values.username, password: values.password });
    if (provider === 'github') {
      body.auth_kind = 'pat';
      body.token = values.token ?? '';
      if (values.api_url?.trim()) body.api_url = values.api_url.trim();
    }
    connect.mutate(body);
  }

  const field = (name: string) => ({ value: values[name] ?? '', onChange: set(name) });
  return (
    <form onSubmit={submit} aria-label={`Connect ${label} with a token`}>
      <Stack gap="xs">
        <TextInput label="Name" required {...field('name')} />
        {provider === 'servicenow' && (
          <>
            <TextInput label="Instance URL" placeholder="https://your-instance.service-now.com" required type="url" {...field('instance_url')} />
            <TextInput label="Username" description="The integration user" required autoComplete="off" {...field('username')} />
            <PasswordInput label="Password" required autoComplete="off" {...field('password')} />
          </>
        )}
        {provider !== 'github' && provider !== 'servicenow' && <TextInput label="Site URL" placeholder={provider === 'jira-server' ? 'https://jira.example.com' : 'https://your-site.atlassian.net'} required type="url" {...field('site_url')} />}
        {(provider === 'jira-cloud' || provider === 'confluence') && (
          <>
            <TextInput label="Account email" type="email" required autoComplete="off" {...field('email')} />
            <PasswordInput label="API token" required autoComplete="off" {...field('api_token')} />
          </>
        )}
        {provider === 'jira-server' && (
          <>
            <SegmentedControl
              aria-label="Authentication"
              value={serverAuth}
              onChange={(value) => setServerAuth(value as 'pat' | 'basic')}
              data={[
                { value: 'pat', label: 'Personal access token' },
                { value: 'basic', label: 'Username and password' },
              ]}
            />
            {serverAuth === 'pat' ? (
              <PasswordInput label="Personal access token" required autoComplete="off" {...field('pat')} />
            ) : (
              <>
                <TextInput label="Username" required autoComplete="off" {...field('username')} />
                <PasswordInput label="Password" required autoComplete="off" {...field('password')} />
              </>
            )}
          </>
        )}
        {provider === 'github' && (
          <>
            <PasswordInput label="Token" required autoComplete="off" {...field('token')} />
            <TextInput label="API URL (GitHub Enterprise Server only)" placeholder="https://github.example.com/api/v3" type="url" {...field('api_url')} />
          </>
        )}
        {connect.isError && (
          <Alert color="red" role="alert" title="Not connected">
            {describeError(connect.error).message}
          </Alert>
        )}
        <Button type="submit" loading={connect.isPending}>
          Connect {label}
        </Button>
      </Stack>
    </form>
  );
}
