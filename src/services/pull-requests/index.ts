/** Public surface of the PR engine (see docs/pull-requests.md). */
export { branchFor, DEFAULT_LABELS, type EngineDeps, openFixPullRequest } from './engine.ts';
export { explainNotFixable, linkPullRequestOnTicket } from './ticket-link.ts';
export { checkManifestPath, defaultBranchName, groupBranchName, ManifestPathError } from './paths.ts';
export type { Advisory, FileDiff, FixItem, FixOutcome, FixRequest, FixStatus, ItemEdit, TicketRef, Transport } from './types.ts';
export { unifiedDiff } from './unified-diff.ts';
