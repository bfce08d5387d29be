/**
 * The Jira side of "link both ways" (seed 001 `comment_with_pr_link`): a comment with the PR link and a
 * remote link (globalId = PR URL, so it is an upsert). Comments are not idempotent in Jira, so each one
 * we post is remembered in an issue property and a re-run does not post it twice. The same goes for
 * the "cannot be fixed by a PR" explanation.
 */
import type { JiraClient } from '../../providers/jira/index.ts';

const PROPERTY = 'integration-service.fix-pr';

async function markers(client: JiraClient, issueKey: string): Promise<string[]> {
  const value = (await client.getIssueProperty(issueKey, PROPERTY).catch(() => null)) as { commented?: unknown } | null;
  return Array.isArray(value?.commented) ? value.commented.filter((entry): entry is string => typeof entry === 'string') : [];
}

async function commentOnce(client: JiraClient, issueKey: string, marker: string, post: () => Promise<unknown>): Promise<boolean> {
  const done = await markers(client, issueKey);
  if (done.includes(marker)) return false;
  await post();
  // Keep the list short: the property is capped at 32,768 characters by Jira.
  await client.setIssueProperty(issueKey, PROPERTY, { commented: [...done, marker].slice(-50) }).catch(() => undefined);
  return true;
}

export interface PullRequestLink {
  url: string;
  number: number;
  title: string;
  repo: string;
  branch: string;
}

/** Comments the PR link (once per PR) and upserts the remote link. Returns whether a comment was posted. */
export async function linkPullRequestOnIssue(client: JiraClient, issueKey: string, pr: PullRequestLink, options: { comment: boolean }): Promise<{ commented: boolean }> {
  let commented = false;
  if (options.comment) {
    commented = await commentOnce(client, issueKey, `pr:${pr.url}`, () =>
      client.addComment(issueKey, {
        text: `A fix pull request is open: ${pr.repo}#${pr.number} "${pr.title}" (branch ${pr.branch}).`,
        links: [{ text: `${pr.repo}#${pr.number}`, url: pr.url }],
      }),
    );
  }
  await client.addRemoteLink(issueKey, { globalId: pr.url, url: pr.url, title: `${pr.repo}#${pr.number}: ${pr.title}`.slice(0, 255), summary: `Fix pull request on branch ${pr.branch}` });
  return { commented };
}

/** Says on the ticket why no PR was opened (transitive only, hashes required, git/path source, …). */
export async function explainNotFixable(client: JiraClient, issueKey: string, input: { repo: string; code: string; reason: string }): Promise<{ commented: boolean }> {
  const commented = await commentOnce(client, issueKey, `not-fixable:${input.repo}:${input.code}`, () =>
    client.addComment(issueKey, { text: `No fix pull request was opened in ${input.repo}. ${input.reason}` }),
  );
  return { commented };
}
