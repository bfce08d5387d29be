/**
 * The PR engine: one repository, one branch, one or more package bumps → at most one commit and at
 * most one open PR, however often it runs. Steps: read the base's tree and only the candidate
 * manifests; plan the edits (only version bytes change); stop with `not_fixable` when no manifest
 * edit can fix it; look at the branch (absent / already ours and current / ours but stale / someone
 * else's); commit (git data API or sparse git); find or open the PR (never a second one); record it.
 * Dry runs stop after the plan and return the exact diffs.
 */
import type { Orm } from '../../db/database.ts';
import { checkBranchName } from '../../git/index.ts';
import type { OutboundClient, OutboundGuard } from '../../http-client/index.ts';
import type { Logger } from '../../logging/logger.ts';
import { type CredentialSource, secretsOf } from '../../providers/credentials/index.ts';
import { type CodeHost, type CodeHostTarget, codeHostFor, type PullRef } from '../../providers/registry.ts';
import { inspectBranch } from './branch-state.ts';
import { BOT_AUTHOR, commitToBranch } from './commit-transport.ts';
import { describeFailure, GITHUB_BASE_NOT_FOUND, PullRequestError } from './errors.ts';
import { checkManifestPath, defaultBranchName, groupBranchName } from './paths.ts';
import { planEdits } from './plan-edits.ts';
import { buildBody, buildTitle, withTicketFooter } from './pr-content.ts';
import { findOpenPullRequest, recordPullRequest } from './pr-store.ts';
import { readBaseManifests } from './read-manifests.ts';
import { type FixOutcome, type FixRequest, ticketsOf } from './types.ts';
import { unifiedDiff } from './unified-diff.ts';

export const DEFAULT_LABELS = ['security', 'dependencies'];
/** Prefix of a recorded head someone else pushed (see docs/pull-requests.md). */
const FOREIGN = 'foreign:';

export interface EngineDeps {
  http: OutboundClient;
  guard: OutboundGuard;
  logger: Logger;
  /** Null: do not record (benchmarks of the bare engine). */
  orm: Orm | null;
  orgId: string;
  /** Per-request timeout for GitHub calls (OUTBOUND_TIMEOUT_MS); the client's default otherwise. */
  timeoutMs?: number;
  /** Test and benchmark seam; default: the repository's code host (src/providers/registry.ts) over `http`. */
  clientFor?: (target: CodeHostTarget) => CodeHost;
}

/** The branch a request lands on: the caller's, else one per package, else one per set of packages. */
export function branchFor(request: FixRequest): string {
  if (request.branch) return request.branch;
  const first = request.items[0]!;
  if (request.group || request.items.length > 1) return groupBranchName(request.items);
  return defaultBranchName(first.ecosystem, first.packageName, first.fixedVersion);
}

/** The outcome before anything happened (status failed, nothing known yet), with `fields` set. */
export function blankOutcome(request: FixRequest, fields: Partial<FixOutcome> = {}): FixOutcome {
  return {
    status: 'failed',
    repo: request.repoUrl,
    branch: branchFor(request),
    base: request.baseBranch ?? null,
    prNumber: null,
    prUrl: null,
    title: null,
    body: null,
    files: [],
    items: [],
    note: null,
    code: null,
    error: null,
    commitSha: null,
    recordId: null,
    ...fields,
  };
}

export async function openFixPullRequest(request: FixRequest, deps: EngineDeps): Promise<FixOutcome> {
  const branch = branchFor(request);
  const outcome = blankOutcome(request);
  // Every secret the credential source hands out, for scrubbing failure text once more.
  const secrets: string[] = [];
  const credentials = recording(request.credentials, secrets);
  try {
    await run({ ...request, credentials }, deps, outcome, secrets);
  } catch (error) {
    const failure = describeFailure(error, secrets);
    if (failure.code === 'UPSTREAM_FAILED') deps.logger.error({ err: error, repo: outcome.repo, branch }, 'fix pull request failed');
    else deps.logger.warn({ code: failure.code, repo: outcome.repo, branch, message: failure.message }, 'fix pull request failed');
    outcome.status = 'failed';
    outcome.code = failure.code;
    outcome.error = failure.message;
    outcome.retryable = failure.retryable;
    if (failure.retryAfterMs) outcome.retryAfterMs = failure.retryAfterMs;
  }
  return outcome;
}

/** The same source, noting each credential's secrets as they are handed out. */
function recording(source: CredentialSource, into: string[]): CredentialSource {
  const note = <T extends Parameters<typeof secretsOf>[0] | null>(credential: T): T => {
    if (credential) for (const secret of secretsOf(credential)) if (!into.includes(secret)) into.push(secret);
    return credential;
  };
  return {
    kind: source.kind,
    key: source.key,
    hosts: source.hosts,
    current: async () => note(await source.current()),
    renewAfterRejection: async (rejected) => note(await source.renewAfterRejection(rejected)),
  };
}

async function run(request: FixRequest, deps: EngineDeps, outcome: FixOutcome, secrets: string[]): Promise<void> {
  const { host, repo: parsed } = codeHostFor(request.repoUrl);
  outcome.repo = parsed.webUrl;
  checkBranchName(outcome.branch);
  for (const item of request.items) for (const path of item.manifestPaths ?? []) checkManifestPath(path);
  await deps.guard.check(parsed.apiUrl);

  const target: CodeHostTarget = { apiUrl: parsed.apiUrl, credentials: request.credentials, orgId: deps.orgId, ...(request.connectionId ? { connectionId: request.connectionId } : {}) };
  const client = deps.clientFor ? deps.clientFor(target) : host.create(target, { http: deps.http, logger: deps.logger, ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}) });
  const ref = { owner: parsed.owner, repo: parsed.repo };
  const log = deps.logger.child({ repo: `${ref.owner}/${ref.repo}`, branch: outcome.branch });

  const repo = await client.getRepo(ref);
  const base = request.baseBranch ?? repo.defaultBranch;
  outcome.base = base;
  const baseSha = await client.getBranchHead(ref, base);
  if (!baseSha) throw new PullRequestError(GITHUB_BASE_NOT_FOUND, `base branch ${base} does not exist in ${ref.owner}/${ref.repo}`);

  const snapshot = await readBaseManifests(client, ref, baseSha, request.items);
  const plan = planEdits({ items: request.items, treePaths: snapshot.treePaths, contents: snapshot.contents });
  outcome.items = plan.items;
  outcome.files = [...plan.changed].map(([path, after]) => ({ path, diff: unifiedDiff(path, snapshot.contents.get(path) ?? '', after) }));
  log.info({ tree_entries: snapshot.treeEntries, blobs_read: snapshot.blobsRead, files_changed: plan.changed.size }, 'fix planned');

  const tickets = [...new Map(request.items.flatMap(ticketsOf).map((ticket) => [ticket.key, ticket])).values()];
  if (plan.changed.size > 0) {
    outcome.title = request.title?.trim() ? request.title : buildTitle(request.items, plan.items);
    outcome.body = request.body?.trim()
      ? withTicketFooter(request.body, tickets)
      : buildBody({ items: request.items, edits: plan.items, changedPaths: [...plan.changed.keys()], treePaths: snapshot.treePaths, branch: outcome.branch });
  }

  const branchHead = await client.getBranchHead(ref, outcome.branch);
  const openPull = branchHead ? await client.findPull(ref, { head: outcome.branch, state: 'open' }) : null;
  if (openPull) setPull(outcome, openPull);

  if (plan.changed.size === 0) {
    const unfixable = plan.items.filter((item) => item.status === 'not_fixable');
    if (unfixable.length === plan.items.length) {
      outcome.status = 'not_fixable';
      outcome.code = unfixable[0]!.reasonCode ?? 'not-fixable';
      outcome.note = unfixable.map((item) => item.reason).join(' ');
    } else {
      // Already at or above the fixed version on the base: an open PR for it is left as it is.
      outcome.status = openPull ? 'existing' : 'skipped';
      outcome.note = `${base} already requires the fixed version${plan.items.length > 1 ? 's' : ''}; nothing to change`;
    }
    return;
  }
  if (request.dryRun) {
    outcome.status = 'planned';
    return;
  }

  const message = commitMessage(outcome.title!, tickets.map((ticket) => ticket.key));
  const commit = (expectedHead: string | null) =>
    commitToBranch({
      transport: request.transport ?? 'api',
      client,
      ref,
      gitUrl: parsed.gitUrl,
      credentials: request.credentials,
      guard: deps.guard,
      logger: log,
      base: { branch: base, sha: baseSha, treeSha: snapshot.treeSha },
      branch: outcome.branch,
      expectedHead,
      message,
      files: plan.changed,
      originals: snapshot.contents,
    });

  let pushed = false;
  let foreign = false;
  if (branchHead === null) {
    try {
      outcome.commitSha = await commit(null);
      pushed = true;
    } catch (error) {
      // Another run created the branch a moment ago; take it from the top next time rather than guess.
      if (client.failureOf(error)?.conflict === 'branch-exists') throw new PullRequestError('BRANCH_MOVED', `branch ${outcome.branch} was created by another run just now; retry`, true);
      throw error;
    }
  } else {
    let emails: Set<string> | null = null;
    const known = deps.orm ? await findOpenPullRequest(deps.orm, deps.orgId, outcome.repo, outcome.branch) : null;
    const state = await inspectBranch({
      recordedHead: known?.headSha ?? null,
      client,
      ref,
      branchHead,
      baseSha,
      baseBlobs: snapshot.blobShas,
      files: plan.changed,
      ourEmails: async () => {
        if (!emails) {
          const me = await client.whoAmI().catch(() => ({ email: null }));
          emails = new Set([BOT_AUTHOR.email, ...(me.email ? [me.email.toLowerCase()] : [])]);
        }
        return emails;
      },
    });
    outcome.commitSha = branchHead;
    if (state === 'ours') {
      outcome.commitSha = await commit(branchHead);
      pushed = true;
    } else if (state === 'foreign') {
      foreign = true;
      outcome.note = `branch ${outcome.branch} has commits by someone else; it was not updated (we never force-push over other people's work)`;
    }
  }

  if (foreign) {
    if (!openPull) {
      outcome.status = 'skipped';
      outcome.note = `${outcome.note}; no pull request is open for it, so none was opened`;
      return;
    }
    outcome.status = 'existing';
    await tellPullNotUpdated(client, ref, openPull, branchHead!, deps, outcome);
    // Recorded as `foreign:<sha>`: never mistaken for our own last push (which would allow a force),
    // and the comment above is not repeated while the head stays the same.
    await record(deps, request, outcome, openPull, `${FOREIGN}${branchHead}`);
    return;
  }

  let pull: PullRef;
  if (openPull) {
    const stale = openPull.title !== outcome.title || (openPull.body ?? '') !== outcome.body;
    pull = stale ? await client.updatePull(ref, openPull.number, { title: outcome.title!, body: outcome.body! }) : openPull;
    outcome.status = stale || pushed ? 'updated' : 'existing';
  } else {
    const found = await client.findPull(ref, { head: outcome.branch, state: 'open' });
    if (found) {
      pull = found;
      outcome.status = pushed ? 'updated' : 'existing';
    } else {
      try {
        pull = await client.createPull(ref, { title: outcome.title!, body: outcome.body!, head: outcome.branch, base, maintainerCanModify: true });
        outcome.status = 'created';
      } catch (error) {
        if (client.failureOf(error)?.conflict !== 'pull-exists') throw error;
        const existing = await client.findPull(ref, { head: outcome.branch, state: 'open' });
        if (!existing) throw error;
        pull = existing;
        outcome.status = 'existing';
      }
    }
    const labels = request.labels ?? DEFAULT_LABELS;
    if (labels.length > 0 && outcome.status === 'created') {
      await client.addLabels(ref, pull.number, labels).catch((error: unknown) => {
        outcome.note = `labels not added: ${describeFailure(error, secrets).message}`;
      });
    }
  }
  setPull(outcome, pull);
  await record(deps, request, outcome, pull, outcome.commitSha);
}

function setPull(outcome: FixOutcome, pull: PullRef): void {
  outcome.prNumber = pull.number;
  outcome.prUrl = pull.url;
}

function commitMessage(title: string, keys: string[]): string {
  const trailer = keys.length > 0 ? `\n\nRefs: ${keys.join(', ')}` : '';
  return `${title}${trailer}\n\nOpened by Integration Service: only dependency versions change.`;
}

/** Once per foreign head: our record remembers the head we last saw, so re-runs do not repeat the comment. */
async function tellPullNotUpdated(client: CodeHost, ref: { owner: string; repo: string }, pull: PullRef, head: string, deps: EngineDeps, outcome: FixOutcome): Promise<void> {
  const known = deps.orm ? await findOpenPullRequest(deps.orm, deps.orgId, outcome.repo, outcome.branch) : null;
  if (known?.headSha === `${FOREIGN}${head}`) return;
  await client.comment(
    ref,
    pull.number,
    `This branch was not updated by Integration Service: it has commits by someone else (head \`${head.slice(0, 12)}\`), and we never force-push over other people's work. Update the dependency here by hand, or delete the branch to let the next run recreate it.`,
  );
}

async function record(deps: EngineDeps, request: FixRequest, outcome: FixOutcome, pull: PullRef, headSha: string | null): Promise<void> {
  if (!deps.orm) return;
  outcome.recordId = await recordPullRequest(deps.orm, {
    orgId: deps.orgId,
    connectionId: request.connectionId ?? null,
    repoUrl: outcome.repo,
    branch: outcome.branch,
    baseBranch: outcome.base ?? pull.baseRef,
    number: pull.number,
    url: pull.url,
    title: pull.title,
    state: 'open',
    headSha,
    findingIds: request.items.flatMap((item) => item.findingIds ?? []),
    ticketIds: request.items.flatMap((item) => item.ticketIds ?? []),
  });
}
