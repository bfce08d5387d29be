/**
 * `GET /api/v1/pull-requests`: the organization's fix pull requests (the PR store, newest first),
 * with the findings each fixes and the tickets it references. Shared by the route, the service
 * (src/services/pull-requests/pr-list.ts) and the web UI.
 */
import { z } from 'zod';
import { identifier } from './primitives.ts';

export const pullRequestStates = ['open', 'closed', 'merged'] as const;
export type PullRequestState = (typeof pullRequestStates)[number];

export const pullRequestListQuery = z.object({
  state: z.enum(pullRequestStates).optional(),
  repo: identifier(2048).optional().describe('A repository URL (any scheme, with or without .git) or `owner/name`'),
  finding: z.uuid().optional().describe('Only pull requests that fix this finding'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: identifier(200).optional().describe('next_cursor of the previous page'),
});
export type PullRequestListQuery = z.infer<typeof pullRequestListQuery>;

export const pullRequestView = z
  .object({
    id: z.string(),
    connection_id: z.string().nullable(),
    repo_url: z.string(),
    branch: z.string(),
    base_branch: z.string(),
    number: z.number().int().nullable(),
    url: z.string().nullable().describe('The pull request on the code host'),
    title: z.string().nullable(),
    state: z.enum(pullRequestStates),
    head_sha: z.string().nullable(),
    merged_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    finding_ids: z.array(z.string()),
    tickets: z.array(z.object({ id: z.string(), key: z.string().nullable(), url: z.string().nullable() })),
  })
  .meta({ id: 'PullRequest' });
export type PullRequestView = z.infer<typeof pullRequestView>;

export const pullRequestPage = z.object({ pull_requests: z.array(pullRequestView), next_cursor: z.string().nullable() });
export type PullRequestPage = z.infer<typeof pullRequestPage>;
