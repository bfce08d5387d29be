/**
 * The signed-in user. The session lives in the httpOnly `is_session` cookie; the UI only keeps the
 * CSRF token (in memory) that every state-changing call sends back. GET /api/v1/session on load
 * tells whether the cookie is still good.
 */
import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { api, ApiError, setCsrfToken, setUnauthenticatedHandler } from './client.ts';
import type { Session, SessionUser } from './types.ts';

type SessionState =
  | { kind: 'loading' }
  | { kind: 'signed-in'; user: SessionUser }
  | { kind: 'signed-out'; reason: 'none' | 'expired' | 'signed-out' }
  | { kind: 'error'; error: ApiError };

interface SessionApi {
  state: SessionState;
  signIn(username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  isAdmin: boolean;
}

const SessionContext = createContext<SessionApi | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ kind: 'loading' });
  const queryClient = useQueryClient();

  const accept = useCallback((session: Session) => {
    setCsrfToken(session.csrf_token);
    setState({ kind: 'signed-in', user: session.user });
  }, []);

  useEffect(() => {
    let cancelled = false;
    api<Session>('/api/v1/session', { quiet401: true }).then(
      (session) => !cancelled && accept(session),
      (error: unknown) => {
        if (cancelled) return;
        if (error instanceof ApiError && error.status === 401) setState({ kind: 'signed-out', reason: 'none' });
        else setState({ kind: 'error', error: error instanceof ApiError ? error : new ApiError(0, 'NETWORK', 'the service did not answer') });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [accept]);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setCsrfToken(null);
      queryClient.clear();
      setState({ kind: 'signed-out', reason: 'expired' });
    });
    return () => setUnauthenticatedHandler(null);
  }, [queryClient]);

  const value = useMemo<SessionApi>(
    () => ({
      state,
      isAdmin: state.kind === 'signed-in' && state.user.roles.includes('admin'),
      async signIn(username, password) {
        const session = await api<Session>('/api/v1/session', { method: 'POST', body: { username, password }, quiet401: true });
        queryClient.clear();
        accept(session);
      },
      async signOut() {
        try {
          await api<void>('/api/v1/session', { method: 'DELETE', quiet401: true });
        } finally {
          setCsrfToken(null);
          queryClient.clear();
          setState({ kind: 'signed-out', reason: 'signed-out' });
        }
      },
    }),
    [state, accept, queryClient],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
