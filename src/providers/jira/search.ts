/**
 * JQL search across every page, per flavour. Cloud: POST /rest/api/3/search/jql with nextPageToken
 * (the old /search answers 410), `reconcileIssues` for read-after-write on ids we just created (at most
 * 50 per request, so more ids mean one search per 50 and a union). Server: POST /rest/api/2/search
 * with startAt/total.
 */
import { JIRA_BAD_RESPONSE, JiraError } from './errors.ts';
import { fieldList, issueFrom } from './issue-shape.ts';
import type { JiraTransport } from './transport.ts';
import type { JiraIssue, SearchOptions } from './types.ts';

const DEFAULT_MAX = 10_000;
const DEFAULT_PAGE = 100;
const RECONCILE_LIMIT = 50;

function subject(jql: string) {
  return { action: `search Jira with JQL "${jql.length > 120 ? `${jql.slice(0, 120)}…` : jql}"` };
}

async function cloudPages(transport: JiraTransport, jql: string, options: SearchOptions, reconcile: number[] | undefined): Promise<JiraIssue[]> {
  const max = options.maxResults ?? DEFAULT_MAX;
  const out: JiraIssue[] = [];
  let nextPageToken: string | undefined;
  do {
    const page = await transport.json<{ issues?: unknown[]; nextPageToken?: string | null; isLast?: boolean }>({
      method: 'POST',
      path: '/search/jql',
      body: {
        jql,
        fields: fieldList(options.fields),
        maxResults: Math.min(options.pageSize ?? DEFAULT_PAGE, max - out.length),
        ...(nextPageToken ? { nextPageToken } : {}),
        ...(reconcile && reconcile.length > 0 ? { reconcileIssues: reconcile } : {}),
      },
      subject: subject(jql),
      idempotent: true,
    });
    if (!Array.isArray(page.issues)) throw new JiraError(JIRA_BAD_RESPONSE, 'Jira search answered without an issues list');
    for (const raw of page.issues) out.push(issueFrom(transport.target, raw));
    nextPageToken = page.isLast === true ? undefined : (page.nextPageToken ?? undefined);
  } while (nextPageToken && out.length < max);
  return out;
}

async function serverPages(transport: JiraTransport, jql: string, options: SearchOptions): Promise<JiraIssue[]> {
  const max = options.maxResults ?? DEFAULT_MAX;
  const out: JiraIssue[] = [];
  let startAt = 0;
  for (;;) {
    const page = await transport.json<{ issues?: unknown[]; total?: number }>({
      method: 'POST',
      path: '/search',
      body: { jql, startAt, maxResults: Math.min(options.pageSize ?? DEFAULT_PAGE, max - out.length), fields: fieldList(options.fields) },
      subject: subject(jql),
      idempotent: true,
    });
    if (!Array.isArray(page.issues)) throw new JiraError(JIRA_BAD_RESPONSE, 'Jira search answered without an issues list');
    for (const raw of page.issues) out.push(issueFrom(transport.target, raw));
    startAt += page.issues.length;
    // An empty page ends it too: the server may cap pages below what we asked for, but never at zero.
    if (page.issues.length === 0 || startAt >= (page.total ?? 0) || out.length >= max) return out;
  }
}

export async function searchAll(transport: JiraTransport, jql: string, options: SearchOptions = {}): Promise<JiraIssue[]> {
  if (transport.target.flavor === 'server') return serverPages(transport, jql, options);
  const ids = [...new Set(options.reconcileIssues ?? [])];
  if (ids.length <= RECONCILE_LIMIT) return cloudPages(transport, jql, options, ids);
  const byId = new Map<string, JiraIssue>();
  for (let i = 0; i < ids.length; i += RECONCILE_LIMIT) {
    for (const issue of await cloudPages(transport, jql, options, ids.slice(i, i + RECONCILE_LIMIT))) byId.set(issue.id, issue);
  }
  return [...byId.values()].slice(0, options.maxResults ?? DEFAULT_MAX);
}
