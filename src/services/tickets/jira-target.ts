/**
 * Turns a stored connection, or credentials supplied with one request (seeds 000/001), into the
 * JiraTarget the Jira client needs. The target carries a credential source, never a token: a stored
 * connection's source re-reads (and refreshes) its credential; request-supplied tokens live only in
 * a static source for the request: they are never written to the database, a job or a log.
 */
import { AppError } from '../../errors/app-error.ts';
import { jiraTargetOf, type JiraTarget } from '../../providers/jira/index.ts';
import { type ConnectionRecord, type ConnectionService, requestCredentials } from '../connections.ts';

export interface RequestJiraCredentials {
  jira_url: string;
  jira_email?: string | null;
  jira_pat: string;
}

const FLAVORS: Readonly<Record<string, 'cloud' | 'server'>> = { 'jira-cloud': 'cloud', 'jira-server': 'server' };

/** Jira Cloud sites live under atlassian.net (or jira.com); anything else is Server/DC. */
export function jiraFlavorOf(siteUrl: string, email: string | null | undefined): 'cloud' | 'server' {
  const host = new URL(siteUrl).hostname;
  if (host.endsWith('.atlassian.net') || host.endsWith('.jira.com')) return 'cloud';
  // Seed 001: an email means Cloud API-token auth; without one the token is a Server/DC PAT.
  return email ? 'cloud' : 'server';
}

export function targetFromConnection(connection: ConnectionRecord, connections: ConnectionService): JiraTarget {
  const flavor = FLAVORS[connection.provider];
  if (!flavor) throw new AppError('VALIDATION_FAILED', `connection ${connection.name} is a ${connection.provider} connection, not Jira`, { field: 'connection_id' });
  if (!connection.credential) {
    const what = connection.auth_kind === 'oauth2' ? 'OAuth token; reconnect it' : 'credentials; update them';
    throw new AppError('NOT_CONNECTED', `connection ${connection.name} has no ${what}`);
  }
  return jiraTargetOf(flavor, connections.targetOf(connection));
}

export function targetFromRequest(credentials: RequestJiraCredentials, orgId: string, connectionId: string): JiraTarget {
  const baseUrl = credentials.jira_url.replace(/\/+$/, '');
  const flavor = jiraFlavorOf(baseUrl, credentials.jira_email);
  return {
    flavor,
    baseUrl,
    credentials: requestCredentials(
      flavor === 'cloud' && credentials.jira_email
        ? { kind: 'api-token', email: credentials.jira_email, apiToken: credentials.jira_pat }
        : { kind: 'pat', token: credentials.jira_pat },
    ),
    connectionId,
    orgId,
  };
}
