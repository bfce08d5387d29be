/**
 * The ticket side of "link both ways" (seed 001 `comment_with_pr_link`), on any ticketing provider:
 * a comment with the PR link and a link to the PR (Jira: a remote link with globalId = PR URL, an
 * upsert). Comments are not idempotent at the providers, so each one is posted with a once-key that
 * the provider remembers on the ticket (Jira: an issue property), and a re-run does not post it
 * twice. The same goes for the "cannot be fixed by a PR" explanation.
 */
import type { TicketingClient } from '../../providers/ticketing/index.ts';

export interface PullRequestLink {
  url: string;
  number: number;
  title: string;
  repo: string;
  branch: string;
}

/** Comments the PR link (once per PR) and links the PR on the ticket. Returns whether a comment was posted. */
export async function linkPullRequestOnTicket(ticketing: TicketingClient, ticketKey: string, pr: PullRequestLink, options: { comment: boolean }): Promise<{ commented: boolean }> {
  let commented = false;
  if (options.comment) {
    const posted = await ticketing.comment(
      ticketKey,
      { text: `A fix pull request is open: ${pr.repo}#${pr.number} "${pr.title}" (branch ${pr.branch}).`, links: [{ text: `${pr.repo}#${pr.number}`, url: pr.url }] },
      { onceKey: `pr:${pr.url}` },
    );
    commented = posted.posted;
  }
  await ticketing.linkUrl(ticketKey, { url: pr.url, title: `${pr.repo}#${pr.number}: ${pr.title}`, summary: `Fix pull request on branch ${pr.branch}` });
  return { commented };
}

/** Says on the ticket why no PR was opened (transitive only, hashes required, git/path source, …). */
export async function explainNotFixable(ticketing: TicketingClient, ticketKey: string, input: { repo: string; code: string; reason: string }): Promise<{ commented: boolean }> {
  const posted = await ticketing.comment(ticketKey, { text: `No fix pull request was opened in ${input.repo}. ${input.reason}` }, { onceKey: `not-fixable:${input.repo}:${input.code}` });
  return { commented: posted.posted };
}
