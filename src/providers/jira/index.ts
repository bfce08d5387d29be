/**
 * The Jira provider: one client for Jira Cloud and Jira Server/Data Center, the description and
 * summary builders for findings, and the per-connection rate limiter.
 */
export { createJiraClient } from './client.ts';
export { jiraConnectionTest, jiraTargetOf } from './connection.ts';
export { commentToAdf, commentToWiki, RICH_TEXT_LIMIT } from './comment.ts';
export * from './errors.ts';
export { createJiraLimiter, createJiraLimiterRegistry, type JiraLimiter, type JiraLimiterRegistry, processLimiters } from './limiter.ts';
export type * from './types.ts';
export { buildSummary, type BuiltDescription, descriptionAdf, descriptionFor, descriptionWiki, SUMMARY_LIMIT } from './description.ts';
export type { FindingForJira } from './finding.ts';
