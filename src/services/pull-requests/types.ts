/**
 * The PR engine's contract: what a caller asks for (one repository, one branch, one or more
 * package bumps) and what it gets back. Kept free of I/O types so routes, jobs and benchmarks can
 * build requests without pulling in the GitHub client.
 */
import type { CredentialSource } from '../../providers/credentials/index.ts';
import type { Ecosystem } from '../../updaters/index.ts';

export interface Advisory {
  id: string;
  url?: string | null;
  severity?: string | null;
}

export interface TicketRef {
  key: string;
  url: string | null;
}

export interface FixItem {
  packageName: string;
  /** As the caller names it (`npm`, `pypi`, `go`, `rubygems`, …); see ./ecosystems.ts. */
  ecosystem: string;
  fixedVersion: string;
  currentVersion?: string | null;
  advisories: Advisory[];
  /** Seed 001 `dependency_files`: only these are edited. Default: discovered from the tree. */
  manifestPaths?: string[] | null;
  ticket?: TicketRef | null;
  /** More tickets for the same bump (two findings, one fix): all are named in the PR. */
  tickets?: TicketRef[];
  /** Our finding ids, for the pull_request_findings links. */
  findingIds?: string[];
  /** Our ticket row ids, for the pull_request_tickets links. */
  ticketIds?: string[];
}

/** Every ticket an item references, without repeats. */
export function ticketsOf(item: FixItem): TicketRef[] {
  const all = [...(item.ticket ? [item.ticket] : []), ...(item.tickets ?? [])];
  return [...new Map(all.map((ticket) => [ticket.key, ticket])).values()];
}

export type Transport = 'api' | 'git';

export interface FixRequest {
  repoUrl: string;
  /** The code host's credential: a request-supplied PAT (static) or a stored connection's (refreshed). */
  credentials: CredentialSource;
  /** The repository's default branch when omitted. */
  baseBranch?: string | null;
  items: FixItem[];
  branch?: string | null;
  /** One branch for all items (`security/batch-<hash>`) instead of one per package. */
  group?: boolean;
  title?: string | null;
  body?: string | null;
  transport?: Transport;
  labels?: string[];
  dryRun?: boolean;
  /** The stored connection the token came from, when it did (recorded on the row). */
  connectionId?: string | null;
}

/** What happened to one item inside the edit. */
export interface ItemEdit {
  packageName: string;
  ecosystem: Ecosystem;
  fixedVersion: string;
  status: 'changed' | 'satisfied' | 'not_fixable';
  /** `from → to` per declaration changed, with the manifest it is in. */
  changes: { path: string; from: string; to: string }[];
  /** Manifests that declare the package (changed or not). */
  manifests: string[];
  notes: { path: string; code: string; message: string }[];
  /** When not fixable: the updater's refusal code (or `not-declared`), and a sentence for the ticket. */
  reasonCode?: string;
  reason?: string;
}

export interface FileDiff {
  path: string;
  diff: string;
}

export type FixStatus = 'created' | 'updated' | 'existing' | 'planned' | 'skipped' | 'not_fixable' | 'failed';

export interface FixOutcome {
  status: FixStatus;
  repo: string;
  branch: string;
  base: string | null;
  prNumber: number | null;
  prUrl: string | null;
  title: string | null;
  body: string | null;
  files: FileDiff[];
  items: ItemEdit[];
  /** Why nothing was pushed, why a branch was left alone, why it is not fixable. */
  note: string | null;
  /** For `failed`: a catalogue code and message. For `not_fixable`: the refusal code. */
  code: string | null;
  error: string | null;
  /** For `failed`: whether running again may succeed (outages, rate limits, a branch that moved), and when. */
  retryable?: boolean;
  retryAfterMs?: number;
  commitSha: string | null;
  /** Our pull_requests row, when recorded. */
  recordId: string | null;
}
