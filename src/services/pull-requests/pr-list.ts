/**
 * The read side of the PR store (pr-store.ts) for `GET /api/v1/pull-requests`: the organization's
 * fix pull requests, newest first, keyset-paged, with the findings each fixes and the tickets it
 * references. Filters: state, repository (URL in any spelling, or owner/name), finding.
 */
import { and, desc, eq, getTableColumns, inArray, type SQL, sql } from 'drizzle-orm';
import type { PullRequestListQuery, PullRequestPage, PullRequestView } from '../../contracts/pull-requests.ts';
import { afterCursor, cursorTime, decodeCursor, encodeCursor } from '../../db/cursor.ts';
import type { Orm } from '../../db/database.ts';
import { pullRequestFindings, pullRequests, pullRequestTickets, tickets } from '../../db/schema.ts';
import { repoIdentity } from '../../domain/fingerprint.ts';

/** The stored URL as `host/path` in lower case, without scheme, `.git` or trailing slash. */
const storedIdentity = sql`regexp_replace(regexp_replace(lower(${pullRequests.repoUrl}), '^[^:/]+://', ''), '(\\.git)?/*$', '')`;

function repoCondition(repo: string): SQL {
  const trimmed = repo.trim();
  const ownerName = /^[\w.-]+\/[\w.-]+$/.test(trimmed) && !trimmed.split('/')[0]!.includes('.');
  if (ownerName) {
    const suffix = `/${trimmed.toLowerCase().replace(/\.git$/, '')}`;
    return sql`right(${storedIdentity}, ${suffix.length}) = ${suffix}`;
  }
  return sql`${storedIdentity} = ${repoIdentity(trimmed).toLowerCase()}`;
}

export async function listPullRequests(orm: Orm, orgId: string, query: PullRequestListQuery): Promise<PullRequestPage> {
  const conditions: SQL[] = [eq(pullRequests.orgId, orgId)];
  if (query.state) conditions.push(eq(pullRequests.state, query.state));
  if (query.repo) conditions.push(repoCondition(query.repo));
  if (query.finding) {
    conditions.push(
      sql`exists (select 1 from ${pullRequestFindings} where ${pullRequestFindings.pullRequestId} = ${pullRequests.id} and ${pullRequestFindings.findingId} = ${query.finding})`,
    );
  }
  if (query.cursor) conditions.push(afterCursor(pullRequests.createdAt, pullRequests.id, decodeCursor(query.cursor)));
  const rows = await orm
    .select({ ...getTableColumns(pullRequests), cursorAt: cursorTime(pullRequests.createdAt) })
    .from(pullRequests)
    .where(and(...conditions))
    .orderBy(desc(pullRequests.createdAt), desc(pullRequests.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > query.limit && last ? encodeCursor({ at: last.cursorAt, id: last.id }) : null;
  if (page.length === 0) return { pull_requests: [], next_cursor: nextCursor };

  const ids = page.map((row) => row.id);
  const [findingLinks, ticketLinks] = await Promise.all([
    orm.select().from(pullRequestFindings).where(inArray(pullRequestFindings.pullRequestId, ids)),
    orm
      .select({ pullRequestId: pullRequestTickets.pullRequestId, id: tickets.id, key: tickets.externalKey, url: tickets.url })
      .from(pullRequestTickets)
      .innerJoin(tickets, and(eq(tickets.id, pullRequestTickets.ticketId), eq(tickets.orgId, orgId)))
      .where(inArray(pullRequestTickets.pullRequestId, ids)),
  ]);
  const findingIds = new Map<string, string[]>();
  for (const link of findingLinks) findingIds.set(link.pullRequestId, [...(findingIds.get(link.pullRequestId) ?? []), link.findingId]);
  const ticketsOf = new Map<string, PullRequestView['tickets']>();
  for (const { pullRequestId, ...ticket } of ticketLinks) ticketsOf.set(pullRequestId, [...(ticketsOf.get(pullRequestId) ?? []), ticket]);

  return {
    pull_requests: page.map((row) => ({
      id: row.id,
      connection_id: row.connectionId,
      repo_url: row.repoUrl,
      branch: row.branch,
      base_branch: row.baseBranch,
      number: row.number,
      url: row.url,
      title: row.title,
      state: row.state as PullRequestView['state'],
      head_sha: row.headSha,
      merged_at: row.mergedAt?.toISOString() ?? null,
      created_at: row.createdAt.toISOString(),
      updated_at: row.updatedAt.toISOString(),
      finding_ids: (findingIds.get(row.id) ?? []).sort(),
      tickets: ticketsOf.get(row.id) ?? [],
    })),
    next_cursor: nextCursor,
  };
}
