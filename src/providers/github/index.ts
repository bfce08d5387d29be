/**
 * The GitHub provider: the REST client the PR engine uses (git data API, pull requests, labels,
 * comments) over the one outbound client, its coded errors, and repository URL parsing.
 */
export * from './errors.ts';
export { parseRepoUrl } from './parse-repo-url.ts';
export type * from './types.ts';
export { createGitHubClient } from './client.ts';
export { DEFAULT_GITHUB_API, testGitHubConnection } from './connection.ts';
export { githubCodeHost } from './code-host.ts';
