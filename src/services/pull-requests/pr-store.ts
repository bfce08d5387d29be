/**
 * Our record of fix PRs: one open row per (org, repository, branch) — the partial unique index makes a
 * second one impossible — plus the findings it fixes and the tickets it references. Upserted after
 * every run that touched the PR, so a retry after a crash converges on the same row.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Orm } from '../../db/database.ts';
import { pullRequestFindings, pullRequests, pullRequestTickets } from '../../db/schema.ts';

export interface PullRequestRecord {
  orgId: string;
  connectionId: string | null;
  repoUrl: string;
  branch: string;
  baseBranch: string;
  number: number;
  url: string;
  title: string;
  state: 'open' | 'closed' | 'merged';
  headSha: string | null;
  findingIds: string[];
  ticketIds: string[];
}

export async function recordPullRequest(orm: Orm, record: PullRequestRecord): Promise<string> {
  const values = {
    orgId: record.orgId,
    connectionId: record.connectionId,
    repoUrl: record.repoUrl,
    branch: record.branch,
    baseBranch: record.baseBranch,
    number: record.number,
    url: record.url,
    title: record.title,
    state: record.state,
    headSha: record.headSha,
  };
  const [row] = await orm
    .insert(pullRequests)
    .values(values)
    .onConflictDoUpdate({
      target: [pullRequests.orgId, pullRequests.repoUrl, pullRequests.branch],
      targetWhere: sql`state = 'open'`,
      set: { baseBranch: values.baseBranch, number: values.number, url: values.url, title: values.title, headSha: values.headSha, connectionId: values.connectionId, updatedAt: sql`now()` },
    })
    .returning({ id: pullRequests.id });
  const id = row!.id;
  const findingIds = [...new Set(record.findingIds)];
  const ticketIds = [...new Set(record.ticketIds)];
  if (findingIds.length > 0) {
    await orm.insert(pullRequestFindings).values(findingIds.map((findingId) => ({ pullRequestId: id, findingId }))).onConflictDoNothing();
  }
  if (ticketIds.length > 0) {
    await orm.insert(pullRequestTickets).values(ticketIds.map((ticketId) => ({ pullRequestId: id, ticketId }))).onConflictDoNothing();
  }
  return id;
}

export async function findOpenPullRequest(orm: Orm, orgId: string, repoUrl: string, branch: string) {
  const [row] = await orm
    .select()
    .from(pullRequests)
    .where(and(eq(pullRequests.orgId, orgId), eq(pullRequests.repoUrl, repoUrl), eq(pullRequests.branch, branch), eq(pullRequests.state, 'open')));
  return row ?? null;
}
