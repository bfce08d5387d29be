/**
 * The PR half of `POST /internal/create-issues-and-prs`: turns each item's PR plan into engine
 * requests (one per repository and branch; items bumping the same package to the same version share
 * one, and seed 000's `group: true` puts a repository's findings on one branch), runs them one after
 * another (GitHub's secondary limits punish bursts of writes), then links each ticket to its PR — or
 * says on the ticket why no PR could fix it.
 */
import { randomUUID } from 'node:crypto';
import { isErrorCode, type PublicErrorCode, publicCode } from '../../errors/catalogue.ts';
import { hostOf } from '../../http-client/index.ts';
import type { CredentialSource } from '../../providers/credentials/index.ts';
import { codeHostFor } from '../../providers/registry.ts';
import type { TicketingClient } from '../../providers/ticketing/index.ts';
import { requestCredentials } from '../connections.ts';
import { canonicalEcosystem } from './ecosystems.ts';
import { blankOutcome, branchFor, type EngineDeps, openFixPullRequest } from './engine.ts';
import { withBranchLock } from './branch-lock.ts';
import { describeFailure, GITHUB_BRANCH_MOVED } from './errors.ts';
import { type OpenPrJob, openPrPayload } from './pr-jobs.ts';
import { explainNotFixable, linkPullRequestOnTicket } from './ticket-link.ts';
import type { Advisory, FileDiff, FixItem, FixOutcome, FixRequest, ItemEdit, Transport } from './types.ts';

export interface PrPlan {
  repoUrl: string;
  /** null: use the org's stored github connection. */
  token: string | null;
  baseBranch: string | null;
  branch: string | null;
  title: string | null;
  body: string | null;
  packageName: string;
  ecosystem: string;
  fixedVersion: string | null;
  currentVersion: string | null;
  manifestPaths: string[] | null;
  advisories: Advisory[];
  group: boolean;
  transport: Transport;
  labels: string[] | null;
  /** Seed 001 `comment_with_pr_link` (seed 000: always). */
  commentOnTicket: boolean;
}

export interface PrWork {
  index: number;
  plan: PrPlan;
  findingId: string | null;
  ticket: { key: string; url: string | null; ticketId: string | null } | null;
  /** The ticketing client the ticket was created with, for the comment and the link. */
  ticketing: TicketingClient | null;
  /** The ticket is on a stored connection, so a queued job can link the PR on it (request credentials cannot be queued). */
  ticketStored?: boolean;
}

export interface GithubPartResult {
  /** `queued`: an `open_pr` job opens it (stored GitHub connection); `job_id` names it. */
  status: 'created' | 'updated' | 'existing' | 'planned' | 'failed' | 'skipped' | 'queued';
  pr_number: number | null;
  pr_url: string | null;
  branch: string | null;
  base: string | null;
  error: string | null;
  /** A public catalogue code (docs/errors.md). */
  error_code: PublicErrorCode | null;
  /** Why nothing was pushed or opened (not fixable, already fixed, someone else's branch). */
  note: string | null;
  /** `not-declared`, `hashes-required`, `git-source`, … when no manifest edit can fix it. */
  reason_code: string | null;
  /** Whether the Jira issue got the PR link (or the reason) as a comment in this run. */
  jira_commented: boolean;
  /** `queued`: the `open_pr` job (GET /api/v1/jobs/{id}). */
  job_id?: string;
}

export interface PullRequestPreview {
  repo: string;
  branch: string;
  base: string | null;
  status: string;
  title: string | null;
  body: string | null;
  files: FileDiff[];
  pr_number: number | null;
  pr_url: string | null;
}

export interface StoredGithub {
  /** The stored connection's credential source (bound to `hosts`, refreshed when it can be). */
  credentials: CredentialSource;
  connectionId: string;
  /** The only hosts the stored token may go to (its API host and that API's git host). */
  hosts: string[];
}

/**
 * Why a stored GitHub token may not be used for this repository (its API or git host is not the
 * connection's), or null when it may.
 */
export function storedTokenRefusal(repoUrl: string, hosts: readonly string[]): string | null {
  const parsed = codeHostFor(repoUrl).repo;
  const foreign = [parsed.apiUrl, parsed.gitUrl].map(hostOf).find((host) => !host || !hosts.includes(host));
  if (foreign === undefined) return null;
  return `the stored GitHub connection is for ${hosts.join(', ')}; ${foreign ?? 'this host'} is another host, so its token is not sent there: pass github_pat for ${parsed.webUrl}, or connect that GitHub`;
}

export interface RunPullRequestsInput {
  work: PrWork[];
  dryRun: boolean;
  deps: EngineDeps;
  /** The org's (or user's) github connection, looked up only when an item has no token. */
  storedToken: () => Promise<StoredGithub | null>;
  /**
   * Given: PRs on a stored connection are not opened here but queued as `open_pr` jobs (issue 13),
   * unless a ticket to link was filed with request credentials (never stored, so a job cannot use them).
   */
  queue?: { orgId: string; requestedBy: string | null; enqueue: (payload: OpenPrJob) => Promise<string | null> };
}

function part(status: GithubPartResult['status'], extra: Partial<GithubPartResult> = {}): GithubPartResult {
  return { status, pr_number: null, pr_url: null, branch: null, base: null, error: null, error_code: null, note: null, reason_code: null, jira_commented: false, ...extra };
}

interface Group {
  request: FixRequest;
  /** Work entries and the position of their (merged) item in request.items. */
  members: { work: PrWork; position: number }[];
}

export async function runPullRequests(input: RunPullRequestsInput): Promise<{ parts: Map<number, GithubPartResult>; previews: PullRequestPreview[] }> {
  const parts = new Map<number, GithubPartResult>();
  const previews: PullRequestPreview[] = [];
  let stored: StoredGithub | null | undefined;
  const groups = new Map<string, Group>();

  for (const work of input.work) {
    const { plan } = work;
    if (!plan.fixedVersion) {
      parts.set(work.index, part('skipped', { note: 'no fixed version is known for this finding; nothing to bump' }));
      continue;
    }
    let webUrl: string;
    try {
      webUrl = codeHostFor(plan.repoUrl).repo.webUrl;
    } catch (error) {
      const failure = describeFailure(error, plan.token ?? '');
      parts.set(work.index, part('failed', { error: failure.message, error_code: publicCode(failure.code) }));
      continue;
    }
    let credentials: CredentialSource | null = plan.token ? requestCredentials({ kind: 'pat', token: plan.token }) : null;
    let connectionId: string | null = null;
    if (!credentials) {
      if (stored === undefined) stored = await input.storedToken();
      if (!stored) {
        parts.set(work.index, part('failed', { error: 'no GitHub token: pass github_pat, put it in the JWT claims, or connect GitHub (POST /api/v1/connections)', error_code: 'NOT_CONNECTED' }));
        continue;
      }
      const refusal = storedTokenRefusal(plan.repoUrl, stored.hosts);
      if (refusal) {
        parts.set(work.index, part('failed', { error: refusal, error_code: 'CREDENTIAL_HOST_MISMATCH' }));
        continue;
      }
      credentials = stored.credentials;
      connectionId = stored.connectionId;
    }
    const itemKey = `${canonicalEcosystem(plan.ecosystem)}|${plan.packageName}|${plan.fixedVersion}`;
    const branchKey = plan.group ? `group|${plan.baseBranch ?? ''}` : (plan.branch ?? itemKey);
    const key = JSON.stringify([webUrl, credentials.key, branchKey, plan.transport]);
    let group = groups.get(key);
    if (!group) {
      group = {
        request: {
          repoUrl: plan.repoUrl,
          credentials,
          baseBranch: plan.baseBranch,
          items: [],
          branch: plan.branch,
          group: plan.group,
          title: plan.title,
          body: plan.body,
          transport: plan.transport,
          ...(plan.labels ? { labels: plan.labels } : {}),
          dryRun: input.dryRun,
          connectionId,
        },
        members: [],
      };
      groups.set(key, group);
    }
    group.members.push({ work, position: mergeItem(group.request.items, work, itemKey) });
  }

  for (const group of groups.values()) {
    const { queue } = input;
    const connectionId = group.request.connectionId;
    if (queue && !input.dryRun && connectionId && group.members.every(({ work }) => !work.ticket || !work.plan.commentOnTicket || work.ticketStored)) {
      const branch = branchFor(group.request);
      const commentOnTicket = group.members.some(({ work }) => work.plan.commentOnTicket);
      let result: GithubPartResult;
      try {
        const jobId = await queue.enqueue(openPrPayload({ ...group.request, connectionId }, { orgId: queue.orgId, commentOnTicket, source: 'request', requestedBy: queue.requestedBy }));
        result = jobId
          ? part('queued', { branch, base: group.request.baseBranch ?? null, job_id: jobId, note: `an open_pr job opens or updates the pull request: GET /api/v1/jobs/${jobId}` })
          : part('failed', { branch, error: 'the open_pr job was not queued', error_code: 'INTERNAL' });
      } catch (error) {
        input.deps.logger.error({ err: error, branch }, 'could not queue the open_pr job');
        result = part('failed', { branch, error: 'the open_pr job could not be queued; post the request again', error_code: 'INTERNAL' });
      }
      for (const { work } of group.members) parts.set(work.index, { ...result });
      continue;
    }
    const outcome = await runLocked(group.request, input.deps, input.dryRun);
    if (input.dryRun || outcome.files.length > 0 || outcome.status !== 'failed') {
      previews.push({ repo: outcome.repo, branch: outcome.branch, base: outcome.base, status: outcome.status, title: outcome.title, body: outcome.body, files: outcome.files, pr_number: outcome.prNumber, pr_url: outcome.prUrl });
    }
    for (const { work, position } of group.members) {
      const result = itemPart(outcome, outcome.items[position]);
      if (!input.dryRun) await linkTicket(work, outcome, result, outcome.items[position]);
      parts.set(work.index, result);
    }
  }
  return { parts, previews };
}

/** A synchronous run holds its branch's lease too (only writes need it), so it never races an open_pr job or another request. */
const REQUEST_LEASE_SECONDS = 120;
const REQUEST_LEASE_WAIT_MS = 30_000;

async function runLocked(request: FixRequest, deps: EngineDeps, dryRun: boolean): Promise<FixOutcome> {
  if (dryRun || !deps.orm) return openFixPullRequest(request, deps);
  let webUrl: string;
  try {
    webUrl = codeHostFor(request.repoUrl).repo.webUrl;
  } catch {
    return openFixPullRequest(request, deps); // the engine reports the bad URL
  }
  const branch = branchFor(request);
  const locked = await withBranchLock(deps.orm, { repoWebUrl: webUrl, branch, holder: `request:${randomUUID()}`, ttlSeconds: REQUEST_LEASE_SECONDS, waitMs: REQUEST_LEASE_WAIT_MS }, () => openFixPullRequest(request, deps));
  if (!locked.busy) return locked.value;
  return blankOutcome(request, {
    repo: webUrl,
    code: GITHUB_BRANCH_MOVED,
    error: `another run is working on branch ${branch} of ${webUrl}; retry in a minute`,
    retryable: true,
    retryAfterMs: locked.retryAfterMs,
  });
}

/** Items bumping the same package to the same version are one bump with several tickets. */
function mergeItem(items: FixItem[], work: PrWork, key: string): number {
  const { plan } = work;
  const found = items.findIndex((item) => `${canonicalEcosystem(item.ecosystem)}|${item.packageName}|${item.fixedVersion}` === key);
  const ticket = work.ticket ? { key: work.ticket.key, url: work.ticket.url } : null;
  if (found >= 0) {
    const item = items[found]!;
    item.advisories.push(...plan.advisories.filter((advisory) => !item.advisories.some((known) => known.id === advisory.id)));
    if (ticket) item.tickets = [...(item.tickets ?? []), ticket];
    if (work.findingId) item.findingIds = [...(item.findingIds ?? []), work.findingId];
    if (work.ticket?.ticketId) item.ticketIds = [...(item.ticketIds ?? []), work.ticket.ticketId];
    if (plan.manifestPaths) item.manifestPaths = [...new Set([...(item.manifestPaths ?? []), ...plan.manifestPaths])];
    return found;
  }
  items.push({
    packageName: plan.packageName,
    ecosystem: plan.ecosystem,
    fixedVersion: plan.fixedVersion!,
    currentVersion: plan.currentVersion,
    advisories: [...plan.advisories],
    manifestPaths: plan.manifestPaths,
    ticket,
    findingIds: work.findingId ? [work.findingId] : [],
    ticketIds: work.ticket?.ticketId ? [work.ticket.ticketId] : [],
  });
  return items.length - 1;
}

function itemPart(outcome: FixOutcome, edit: ItemEdit | undefined): GithubPartResult {
  const common = { branch: outcome.branch, base: outcome.base, pr_number: outcome.prNumber, pr_url: outcome.prUrl };
  // A failed outcome's code came from describeFailure (a catalogue code); anything else is our bug.
  if (outcome.status === 'failed') return part('failed', { ...common, error: outcome.error, error_code: isErrorCode(outcome.code) ? publicCode(outcome.code) : 'INTERNAL' });
  if (edit?.status === 'not_fixable') return part('skipped', { ...common, note: edit.reason ?? null, reason_code: edit.reasonCode ?? 'not-fixable' });
  if (outcome.status === 'not_fixable') return part('skipped', { ...common, note: outcome.note, reason_code: outcome.code });
  if (edit?.status === 'satisfied' && outcome.status !== 'existing') {
    return part('skipped', { ...common, note: `${outcome.base ?? 'the base branch'} already requires ${edit.packageName} ${edit.fixedVersion} or later`, reason_code: 'already-satisfied' });
  }
  return part(outcome.status, { ...common, note: outcome.note });
}

async function linkTicket(work: PrWork, outcome: FixOutcome, result: GithubPartResult, edit: ItemEdit | undefined): Promise<void> {
  if (!work.ticket || !work.ticketing || !work.plan.commentOnTicket) return;
  try {
    if (result.reason_code && result.reason_code !== 'already-satisfied' && edit?.status === 'not_fixable' && edit.reason) {
      const done = await explainNotFixable(work.ticketing, work.ticket.key, { repo: outcome.repo, code: result.reason_code, reason: edit.reason });
      result.jira_commented = done.commented;
    } else if (result.pr_url && result.pr_number !== null && ['created', 'updated', 'existing'].includes(result.status)) {
      const done = await linkPullRequestOnTicket(work.ticketing, work.ticket.key, { url: result.pr_url, number: result.pr_number, title: outcome.title ?? '', repo: repoName(outcome.repo), branch: outcome.branch }, { comment: true });
      result.jira_commented = done.commented;
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result.note = `${result.note ? `${result.note}; ` : ''}the ticket ${work.ticket.key} could not be linked: ${message}`;
  }
}

function repoName(webUrl: string): string {
  return webUrl.split('/').slice(-2).join('/');
}
