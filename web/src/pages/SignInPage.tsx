import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { ApiError } from '../api/client.ts';
import { useSession } from '../api/session.tsx';

const reasons: Record<string, string | null> = {
  none: null,
  expired: 'Your session ended. Sign in again to continue.',
  'signed-out': 'You are signed out.',
};

export function SignInPage({ reason }: { reason: 'none' | 'expired' | 'signed-out' }) {
  const session = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.signIn(username, password);
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401) setError('That username and password do not match an account.');
      else if (caught instanceof ApiError && caught.status === 404) setError('This service does not offer sign-in (its session API is missing).');
      else setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  }

  const notice = reasons[reason];
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={400}>
        <form onSubmit={submit} aria-labelledby="sign-in-title">
          <Stack>
            <Title order={1} size="h3" id="sign-in-title">
              Sign in to Integration Service
            </Title>
            {notice && (
              <Text size="sm" c="dimmed" role="status">
                {notice}
              </Text>
            )}
            {error && (
              <Alert color="red" variant="light" role="alert" title="Sign-in failed">
                {error}
              </Alert>
            )}
            <TextInput label="Username" name="username" autoComplete="username" required value={username} onChange={(event) => setUsername(event.currentTarget.value)} data-autofocus />
            <PasswordInput label="Password" name="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.currentTarget.value)} />
            <Button type="submit" loading={busy} fullWidth>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
