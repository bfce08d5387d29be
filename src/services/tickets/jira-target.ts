/**
 * Turns a stored connection, or credentials supplied with one request (seeds 000/001), into the
 * JiraTarget the Jira client needs. Request-supplied tokens live only in the returned object: they
 * are never written to the database, a job or a log.
 */
import { AppError } from '../../errors/app-error.ts';
import type { JiraTarget } from '../../providers/jira/index.ts';
import type { ConnectionRecord } from '../connections.ts';

export interface RequestJiraCredentials {
  jira_url: string;
  jira_email?: string | null;
  jira_pat: string;
}

/** Jira Cloud sites live under atlassian.net (or jira.com); anything else is Server/DC. */
export function jiraFlavorOf(siteUrl: string, email: string | null | undefined): 'cloud' | 'server' {
  const host = new URL(siteUrl).hostname;
  if (host.endsWith('.atlassian.net') || host.endsWith('.jira.com')) return 'cloud';
  // Seed 001: an email means Cloud API-token auth; without one the token is a Server/DC PAT.
  return email ? 'cloud' : 'server';
}

export function targetFromConnection(connection: ConnectionRecord): JiraTarget {
  if (connection.provider === 'jira-cloud') {
    if (connection.auth_kind === 'oauth2') {
      if (!connection.cloudId || !connection.secrets.access_token) {
        throw new AppError('NOT_CONNECTED', `connection ${connection.name} has no OAuth token; reconnect it`);
      }
      return {
        flavor: 'cloud',
        baseUrl: `https://api.atlassian.com/ex/jira/${connection.cloudId}`,
        ...(connection.site_url ? { browseUrl: connection.site_url } : {}),
        auth: { type: 'bearer', token: connection.secrets.access_token },
        connectionId: connection.id,
        orgId: connection.orgId,
      };
    }
    if (!connection.site_url || !connection.account_email || !connection.secrets.api_token) {
      throw new AppError('NOT_CONNECTED', `connection ${connection.name} has no API token; update its credentials`);
    }
    return {
      flavor: 'cloud',
      baseUrl: connection.site_url,
      auth: { type: 'basic', email: connection.account_email, apiToken: connection.secrets.api_token },
      connectionId: connection.id,
      orgId: connection.orgId,
    };
  }
  if (connection.provider === 'jira-server') {
    if (!connection.site_url || !connection.secrets.pat) {
      throw new AppError('NOT_CONNECTED', `connection ${connection.name} has no personal access token; update its credentials`);
    }
    return {
      flavor: 'server',
      baseUrl: connection.site_url,
      auth: { type: 'bearer', token: connection.secrets.pat },
      connectionId: connection.id,
      orgId: connection.orgId,
    };
  }
  throw new AppError('VALIDATION_FAILED', `connection ${connection.name} is a ${connection.provider} connection, not Jira`, { field: 'connection_id' });
}

export function targetFromRequest(credentials: RequestJiraCredentials, orgId: string, connectionId: string): JiraTarget {
  const baseUrl = credentials.jira_url.replace(/\/+$/, '');
  const flavor = jiraFlavorOf(baseUrl, credentials.jira_email);
  return {
    flavor,
    baseUrl,
    auth:
      flavor === 'cloud' && credentials.jira_email
        ? { type: 'basic', email: credentials.jira_email, apiToken: credentials.jira_pat }
        : { type: 'bearer', token: credentials.jira_pat },
    connectionId,
    orgId,
  };
}
