/** Layout (header, navigation, main) and the routes. Every page but sign-in needs a session. */
import { AppShell, Burger, Button, Center, Group, Loader, NavLink, ScrollArea, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { lazy, Suspense } from 'react';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router';
import { useSession } from './api/session.tsx';
import { ErrorState, LoadingState } from './components/states.tsx';
import { CasePage } from './pages/CasePage.tsx';
import { DeliveriesPage } from './pages/DeliveriesPage.tsx';
import { FindingPage } from './pages/FindingPage.tsx';
import { FindingsPage } from './pages/FindingsPage.tsx';
import { IntegrationsPage } from './pages/IntegrationsPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { TicketingPage } from './pages/TicketingPage.tsx';

// The charts library is only loaded when the analytics page is opened.
const AnalyticsPage = lazy(() => import('./pages/AnalyticsPage.tsx').then((module) => ({ default: module.AnalyticsPage })));

const navigation = [
  { to: '/settings/integrations', label: 'Settings → Integrations' },
  { to: '/ticketing', label: 'Ticketing & Workflow' },
  { to: '/findings', label: 'Findings & audit cases' },
  { to: '/deliveries', label: 'Deliveries & audit log' },
  { to: '/analytics', label: 'Analytics' },
];

export function App() {
  const session = useSession();
  const location = useLocation();
  const [opened, { toggle, close }] = useDisclosure(false);

  if (session.state.kind === 'loading') {
    return (
      <Center h="100vh" role="status" aria-label="Loading">
        <Loader />
      </Center>
    );
  }
  if (session.state.kind === 'error') {
    return (
      <Center h="100vh" p="md">
        <main>
          <ErrorState error={session.state.error} onRetry={() => window.location.reload()} />
        </main>
      </Center>
    );
  }
  if (session.state.kind === 'signed-out') {
    if (location.pathname !== '/sign-in') {
      const next = location.pathname === '/' ? '' : `?next=${encodeURIComponent(location.pathname + location.search)}`;
      return <Navigate to={`/sign-in${next}`} replace />;
    }
    return <SignInPage reason={session.state.reason} />;
  }
  const user = session.state.user;

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 250, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={opened ? 'Close navigation' : 'Open navigation'} />
            <Title order={1} size="h4">
              Integration Service
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" visibleFrom="xs" aria-label="Signed in as">
              {user.username} · {user.org}
            </Text>
            <Button variant="default" size="xs" onClick={() => session.signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <ScrollArea>
          <nav aria-label="Pages">
            {navigation.map((item) => (
              <NavLink key={item.to} component={Link} to={item.to} label={item.label} variant="filled" active={location.pathname.startsWith(item.to)} onClick={close} />
            ))}
            <NavLink component="a" href="/docs" label="API reference" />
          </nav>
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <Suspense fallback={<LoadingState label="Loading page…" />}>
          <Routes>
            <Route path="/" element={<Navigate to="/settings/integrations" replace />} />
            <Route path="/sign-in" element={<Navigate to={new URLSearchParams(location.search).get('next') ?? '/settings/integrations'} replace />} />
            <Route path="/settings" element={<Navigate to="/settings/integrations" replace />} />
            <Route path="/settings/integrations" element={<IntegrationsPage />} />
            <Route path="/ticketing" element={<TicketingPage />} />
            <Route path="/findings" element={<FindingsPage />} />
            <Route path="/findings/:id" element={<FindingPage />} />
            <Route path="/cases/:id" element={<CasePage />} />
            <Route path="/deliveries" element={<DeliveriesPage />} />
            <Route path="/analytics" element={<AnalyticsPage />} />
            <Route path="*" element={<ErrorState error={new Error(`No page at ${location.pathname}`)} />} />
          </Routes>
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
