/**
 * Fix PRs as durable jobs (docs/pull-requests.md, "As a job"): with a stored GitHub connection, a
 * branch's PR is opened or updated by an `open_pr` job, not inside an HTTP request, and a PR that a
 * newer scan made obsolete is closed by one. Each job holds its branch's lease while it works
 * (./branch-lock.ts), so two workers never work one branch at once; the engine underneath still
 * finds an existing PR for the branch before it creates one, so a retry after a crash at any point
 * converges on the one PR. Failures that pass by themselves (5xx, rate limits, a branch that moved)
 * are retried with the queue's backoff (or the host's Retry-After); the others fail the job for good.
 * Payloads name the connection, never hold its credential.
 */
import { and, eq, inArray, notInArray, or, sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { findings, pullRequestFindings, pullRequests, tickets } from '../../db/schema.ts';
import { PermanentJobError, RetryLaterError } from '../../jobs/errors.ts';
import type { JobPayload } from '../../jobs/kinds.ts';
import type { JobContext } from '../../jobs/queue.ts';
import { hostOf } from '../../http-client/index.ts';
import { codeHostFor } from '../../providers/registry.ts';
import { credentialHosts } from '../connections.ts';
import { TicketService } from '../tickets/ticket-service.ts';
import { withBranchLock } from './branch-lock.ts';
import { branchFor, type EngineDeps, openFixPullRequest } from './engine.ts';
import { describeFailure } from './errors.ts';
import { explainNotFixable, linkPullRequestOnTicket } from './ticket-link.ts';
import type { FixItem, FixOutcome, FixRequest, TicketRef } from './types.ts';

export type OpenPrJob = Extract<JobPayload<'open_pr'>, { action: 'open' }>;
export type ClosePrJob = Extract<JobPayload<'open_pr'>, { action: 'close' }>;

/** Test seams: the code host client (write spacing shrunk), and a look at the engine's outcome. */
export interface PrJobHooks {
  clientFor?: EngineDeps['clientFor'];
}

/** The job payload for an engine request on a stored connection (its credential stays in the database). */
export function openPrPayload(
  request: Omit<FixRequest, 'credentials'> & { connectionId: string },
  options: { orgId: string; commentOnTicket: boolean; source: OpenPrJob['source']; requestedBy: string | null },
): OpenPrJob {
  return {
    org_id: options.orgId,
    action: 'open',
    connection_id: request.connectionId,
    repo_url: request.repoUrl,
    base_branch: request.baseBranch ?? null,
    branch: request.branch ?? null,
    group: request.group ?? false,
    title: request.title ?? null,
    body: request.body ?? null,
    transport: request.transport ?? 'api',
    labels: request.labels ?? null,
    items: request.items.map((item) => ({
      package_name: item.packageName,
      ecosystem: item.ecosystem,
      fixed_version: item.fixedVersion,
      current_version: item.currentVersion ?? null,
      manifest_paths: item.manifestPaths ?? null,
      advisories: item.advisories.map((advisory) => ({ id: advisory.id, url: advisory.url ?? null, severity: advisory.severity ?? null })),
      finding_ids: [...new Set(item.findingIds ?? [])],
      ticket_ids: [...new Set(item.ticketIds ?? [])],
    })),
    comment_on_ticket: options.commentOnTicket,
    source: options.source,
    requested_by: options.requestedBy,
  };
}

interface TicketRow {
  id: string;
  findingId: string;
  connectionId: string;
  key: string;
  url: string | null;
}

/** The created tickets of the items' findings (and the tickets the request named), per item. */
async function ticketsFor(context: AppContext, orgId: string, items: OpenPrJob['items']): Promise<TicketRow[]> {
  const findingIds = [...new Set(items.flatMap((item) => item.finding_ids))];
  const ticketIds = [...new Set(items.flatMap((item) => item.ticket_ids))];
  if (findingIds.length === 0 && ticketIds.length === 0) return [];
  const rows = await context.db.orm
    .select({ id: tickets.id, findingId: tickets.findingId, connectionId: tickets.connectionId, key: tickets.externalKey, externalId: tickets.externalId, url: tickets.url })
    .from(tickets)
    .where(
      and(
        eq(tickets.orgId, orgId),
        eq(tickets.syncState, 'created'),
        or(...(findingIds.length > 0 ? [inArray(tickets.findingId, findingIds)] : []), ...(ticketIds.length > 0 ? [inArray(tickets.id, ticketIds)] : [])),
      ),
    );
  return rows.flatMap((row) => {
    const key = row.key ?? row.externalId;
    return key ? [{ id: row.id, findingId: row.findingId, connectionId: row.connectionId, key, url: row.url }] : [];
  });
}

const POLICY_TICKET_WAIT_ATTEMPTS = 4;
const POLICY_TICKET_WAIT_MS = 3_000;

async function ticketsPending(context: AppContext, orgId: string, items: OpenPrJob['items']): Promise<boolean> {
  const findingIds = [...new Set(items.flatMap((item) => item.finding_ids))];
  if (findingIds.length === 0) return false;
  const [row] = await context.db.orm
    .select({ id: tickets.id })
    .from(tickets)
    .where(and(eq(tickets.orgId, orgId), inArray(tickets.findingId, findingIds), eq(tickets.syncState, 'pending')))
    .limit(1);
  return row !== undefined;
}

function ticketsOfItem(item: OpenPrJob['items'][number], rows: TicketRow[]): TicketRow[] {
  return rows.filter((row) => item.ticket_ids.includes(row.id) || item.finding_ids.includes(row.findingId));
}

/** How long a job waits for a branch another job holds (a live one finishes within seconds), and the log line saying so. */
function leaseWait(context: AppContext, job: Pick<JobContext, 'logger'>, branch: string) {
  return {
    waitMs: Math.min(30_000, (context.config.jobs.timeoutSeconds * 1000) / 3),
    onWait: (holder: string) => job.logger.info({ branch, holder }, `branch ${branch} is leased by another job; waiting for it`),
  };
}

/** A failed engine outcome as the job runner understands it: retried (with the host's Retry-After) or failed for good. */
function jobErrorOf(outcome: FixOutcome): Error {
  const message = `${outcome.code ?? 'UPSTREAM_FAILED'}: ${outcome.error ?? 'the pull request could not be opened'}`;
  if (outcome.retryAfterMs) return new RetryLaterError(message, outcome.retryAfterMs);
  if (outcome.retryable !== false) return new Error(message);
  return new PermanentJobError(message);
}

export interface OpenPrResult {
  status: FixOutcome['status'];
  pr_number: number | null;
  pr_url: string | null;
  branch: string;
  note: string | null;
  tickets_commented: number;
}

/** The `open_pr` job's `open` action. */
export async function runOpenPrJob(context: AppContext, data: OpenPrJob, job: Pick<JobContext, 'id' | 'attempt' | 'logger'>, hooks: PrJobHooks = {}): Promise<OpenPrResult> {
  const service = new TicketService(context, {});
  const connections = service.connections;
  const record = await connections.withCredentials(data.org_id, data.connection_id);
  if (!record) throw new PermanentJobError('the GitHub connection of this job no longer exists');
  if (record.provider !== 'github') throw new PermanentJobError(`connection ${record.name} is a ${record.provider} connection, not GitHub`);
  let credentials: FixRequest['credentials'];
  try {
    credentials = connections.credentialSource(record);
  } catch (error) {
    throw new PermanentJobError(error instanceof Error ? error.message : String(error));
  }
  let webUrl: string;
  try {
    webUrl = codeHostFor(data.repo_url).repo.webUrl;
  } catch (error) {
    throw new PermanentJobError(describeFailure(error, []).message);
  }
  const hosts = credentialHosts(record);
  const { repo } = codeHostFor(data.repo_url);
  const foreign = [repo.apiUrl, repo.gitUrl].map(hostOf).find((host) => !host || !hosts.includes(host));
  if (foreign !== undefined) throw new PermanentJobError(`the GitHub connection ${record.name} is for ${hosts.join(', ')}; its token is not sent to ${foreign}`);

  // A policy files tickets for the same findings at the same time: give their creates a few attempts'
  // time, so the PR names the tickets and links itself on them.
  if (data.source === 'policy' && job.attempt < POLICY_TICKET_WAIT_ATTEMPTS && (await ticketsPending(context, data.org_id, data.items))) {
    throw new RetryLaterError('the tickets of its findings are being created; the PR waits for them to name them', POLICY_TICKET_WAIT_MS);
  }
  const ticketRows = await ticketsFor(context, data.org_id, data.items);
  const items: FixItem[] = data.items.map((item) => {
    const mine = ticketsOfItem(item, ticketRows);
    const refs: TicketRef[] = mine.map((row) => ({ key: row.key, url: row.url }));
    return {
      packageName: item.package_name,
      ecosystem: item.ecosystem,
      fixedVersion: item.fixed_version,
      currentVersion: item.current_version,
      advisories: item.advisories,
      manifestPaths: item.manifest_paths,
      ticket: refs[0] ?? null,
      tickets: refs.slice(1),
      findingIds: item.finding_ids,
      ticketIds: mine.map((row) => row.id),
    };
  });
  const request: FixRequest = {
    repoUrl: data.repo_url,
    credentials,
    baseBranch: data.base_branch,
    items,
    branch: data.branch,
    group: data.group,
    title: data.title,
    body: data.body,
    transport: data.transport,
    ...(data.labels ? { labels: data.labels } : {}),
    dryRun: false,
    connectionId: data.connection_id,
  };
  const branch = branchFor(request);
  const deps: EngineDeps = {
    http: context.outbound,
    guard: context.outboundGuard,
    logger: job.logger.child({ component: 'pull-requests' }),
    orm: context.db.orm,
    orgId: data.org_id,
    timeoutMs: context.config.outbound.timeoutMs,
    ...(hooks.clientFor ? { clientFor: hooks.clientFor } : {}),
  };
  const locked = await withBranchLock(
    context.db.orm,
    { repoWebUrl: webUrl, branch, holder: `${job.id}:${job.attempt}`, ttlSeconds: context.config.jobs.timeoutSeconds, ...leaseWait(context, job, branch) },
    () => openFixPullRequest(request, deps),
  );
  if (locked.busy) throw new RetryLaterError(`another job is working on branch ${branch} of ${webUrl}; retrying after it`, Math.max(1_000, locked.retryAfterMs));
  const outcome = locked.value;
  if (outcome.status === 'failed') throw jobErrorOf(outcome);

  let commented = 0;
  if (data.comment_on_ticket) commented = await linkTickets(service, data, outcome, ticketRows, job);
  job.logger.info({ status: outcome.status, pr_number: outcome.prNumber, branch: outcome.branch }, 'fix pull request ensured');
  return { status: outcome.status, pr_number: outcome.prNumber, pr_url: outcome.prUrl, branch: outcome.branch, note: outcome.note, tickets_commented: commented };
}

/**
 * The PR link (or why no PR can fix it) on each ticket of the items, on the ticket's own connection.
 * Comments carry once-keys, so a retry never posts one twice; a provider outage fails the attempt
 * (the engine answers `existing` next time and the link is tried again).
 */
async function linkTickets(service: TicketService, data: OpenPrJob, outcome: FixOutcome, rows: TicketRow[], job: Pick<JobContext, 'logger'>): Promise<number> {
  let commented = 0;
  const tenant = { orgId: data.org_id, orgSlug: '', userId: data.requested_by ?? '' };
  const repo = outcome.repo.split('/').slice(-2).join('/');
  for (const [position, item] of data.items.entries()) {
    const edit = outcome.items[position];
    for (const row of ticketsOfItem(item, rows)) {
      let session: Awaited<ReturnType<TicketService['sessionFor']>>;
      try {
        session = await service.sessionFor(tenant, null, row.connectionId);
      } catch (error) {
        job.logger.warn({ ticket_id: row.id, err: error }, 'the ticket’s connection cannot be used; the PR is not linked on it');
        continue;
      }
      try {
        if (edit?.status === 'not_fixable' && edit.reason) {
          commented += (await explainNotFixable(session.ticketing, row.key, { repo: outcome.repo, code: edit.reasonCode ?? 'not-fixable', reason: edit.reason })).commented ? 1 : 0;
        } else if (outcome.prUrl && outcome.prNumber !== null && ['created', 'updated', 'existing'].includes(outcome.status)) {
          const link = { url: outcome.prUrl, number: outcome.prNumber, title: outcome.title ?? '', repo, branch: outcome.branch };
          commented += (await linkPullRequestOnTicket(session.ticketing, row.key, link, { comment: true })).commented ? 1 : 0;
        }
      } catch (error) {
        const retryable = (error as { retryable?: unknown }).retryable === true;
        if (retryable) throw error;
        job.logger.warn({ ticket_id: row.id, err: error }, 'the PR could not be linked on the ticket');
      }
    }
  }
  return commented;
}

/** An invisible line in the comment, so a retry knows it was posted. */
function obsoleteMarker(scanId: string): string {
  return `<!-- integration-service:obsolete:${scanId.replace(/[^A-Za-z0-9._:-]/g, '')} -->`;
}

export function obsoleteCommentText(scanId: string, target: string): string {
  return `Closed by Integration Service: the vulnerabilities this pull request fixes are no longer detected in scan ${scanId} of ${target}, so it is not needed any more. Nothing was merged; delete the branch if you do not want it.`;
}

/**
 * Obsolete fix PRs after a scan resolved findings: our open PRs linked to any of `resolved` whose
 * every linked finding is now resolved (done or won't fix) each get a `close` job. A PR opened with a
 * request's token (no stored connection) cannot be closed by a job and is left alone.
 */
export async function closeObsoletePullRequests(context: AppContext, input: { orgId: string; scanId: string; target: string; resolved: string[] }): Promise<number> {
  if (input.resolved.length === 0) return 0;
  const orm = context.db.orm;
  const stillOpen = orm
    .select({ id: pullRequestFindings.pullRequestId })
    .from(pullRequestFindings)
    .innerJoin(findings, eq(findings.id, pullRequestFindings.findingId))
    .where(notInArray(findings.state, ['done', 'wont_fix']));
  const candidates = await orm
    .selectDistinct({ id: pullRequests.id })
    .from(pullRequests)
    .innerJoin(pullRequestFindings, eq(pullRequestFindings.pullRequestId, pullRequests.id))
    .where(
      and(
        eq(pullRequests.orgId, input.orgId),
        eq(pullRequests.state, 'open'),
        sql`${pullRequests.connectionId} is not null`,
        inArray(pullRequestFindings.findingId, input.resolved),
        notInArray(pullRequests.id, stillOpen),
      ),
    );
  let queued = 0;
  for (const { id } of candidates) {
    const job = await context.queue.enqueue('open_pr', { org_id: input.orgId, action: 'close', pull_request_id: id, scan_id: input.scanId, target: input.target });
    if (job) queued++;
  }
  return queued;
}

export interface ClosePrResult {
  status: 'closed' | 'skipped';
  reason?: string;
  pr_number?: number | null;
}

/** The `open_pr` job's `close` action: closes one obsolete, unmerged fix PR with a comment saying why. */
export async function runClosePrJob(context: AppContext, data: ClosePrJob, job: Pick<JobContext, 'id' | 'attempt' | 'logger'>, hooks: PrJobHooks = {}): Promise<ClosePrResult> {
  const orm = context.db.orm;
  const [row] = await orm.select().from(pullRequests).where(and(eq(pullRequests.orgId, data.org_id), eq(pullRequests.id, data.pull_request_id)));
  if (!row || row.state !== 'open' || row.number === null) return { status: 'skipped', reason: 'the pull request is no longer open in our records' };
  const [open] = await orm
    .select({ n: sql<number>`count(*)::int` })
    .from(pullRequestFindings)
    .innerJoin(findings, eq(findings.id, pullRequestFindings.findingId))
    .where(and(eq(pullRequestFindings.pullRequestId, row.id), notInArray(findings.state, ['done', 'wont_fix'])));
  if ((open?.n ?? 0) > 0) return { status: 'skipped', reason: 'some of its findings are open again' };
  if (!row.connectionId) return { status: 'skipped', reason: 'opened with a request token; no stored connection can close it' };

  const service = new TicketService(context, {});
  const record = await service.connections.withCredentials(data.org_id, row.connectionId);
  if (!record) return { status: 'skipped', reason: 'its GitHub connection no longer exists' };
  let credentials: FixRequest['credentials'];
  try {
    credentials = service.connections.credentialSource(record);
  } catch (error) {
    throw new PermanentJobError(error instanceof Error ? error.message : String(error));
  }
  const { host, repo } = codeHostFor(row.repoUrl);
  const target = { apiUrl: repo.apiUrl, credentials, orgId: data.org_id, connectionId: row.connectionId };
  const client = hooks.clientFor ? hooks.clientFor(target) : host.create(target, { http: context.outbound, logger: job.logger, timeoutMs: context.config.outbound.timeoutMs });
  const ref = { owner: repo.owner, repo: repo.repo };
  const number = row.number;

  const lease = { repoWebUrl: repo.webUrl, branch: row.branch, holder: `${job.id}:${job.attempt}`, ttlSeconds: context.config.jobs.timeoutSeconds, ...leaseWait(context, job, row.branch) };
  const locked = await withBranchLock(orm, lease, async () => {
    try {
      const current = await client.findPull(ref, { head: row.branch, state: 'all' });
      const ours = current?.number === number ? current : null;
      if (ours && ours.state === 'open') {
        // Said first, once (the marker finds it after a crash between the two), then closed.
        const marker = obsoleteMarker(data.scan_id);
        const said = (await client.listComments(ref, number)).some((comment) => comment.body.includes(marker));
        if (!said) await client.comment(ref, number, `${obsoleteCommentText(data.scan_id, data.target)}\n\n${marker}`);
        await client.closePull(ref, number);
        await markPull(context, row.id, 'closed');
        return { status: 'closed' as const, pr_number: number };
      }
      // Merged or closed meanwhile (by a person, or by an earlier attempt of this job): our record follows.
      await markPull(context, row.id, ours?.merged ? 'merged' : 'closed');
      return { status: 'skipped' as const, reason: ours?.merged ? 'it was merged' : 'it is already closed', pr_number: number };
    } catch (error) {
      const failure = describeFailure(error, []);
      if (failure.retryAfterMs) throw new RetryLaterError(failure.message, failure.retryAfterMs, { cause: error });
      if (failure.retryable) throw new Error(`${failure.code}: ${failure.message}`, { cause: error });
      throw new PermanentJobError(`${failure.code}: ${failure.message}`, { cause: error });
    }
  });
  if (locked.busy) throw new RetryLaterError(`another job is working on branch ${row.branch}; retrying after it`, Math.max(1_000, locked.retryAfterMs));
  job.logger.info({ pr_number: number, status: locked.value.status }, 'obsolete fix pull request handled');
  return locked.value;
}

async function markPull(context: AppContext, id: string, state: 'closed' | 'merged'): Promise<void> {
  await context.db.orm
    .update(pullRequests)
    .set({ state, updatedAt: sql`now()`, ...(state === 'merged' ? { mergedAt: sql`coalesce(${pullRequests.mergedAt}, now())` } : {}) })
    .where(and(eq(pullRequests.id, id), eq(pullRequests.state, 'open')));
}
