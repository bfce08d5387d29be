/**
 * `POST /internal/create-issues-and-prs` (seeds 000 and 001): findings in, one Jira issue each out,
 * exactly once, then the fix PR (src/services/pull-requests), then the PR link on the issue. Seed 001
 * sends fully formed Jira `fields` and PR requests (sent as given, plus our fingerprint label and the
 * ticket key); seed 000 sends findings and we build both. Credentials sent with the request serve this
 * run only: they are held in memory, never stored or logged.
 */
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { type ErrorCode, type PublicErrorCode, publicCode } from '../../errors/catalogue.ts';
import { hostOf } from '../../http-client/index.ts';
import { ticketingProviders } from '../../providers/registry.ts';
import type { Finding, FindingInput } from '../findings.ts';
import { type GithubPartResult, type PrPlan, type PrWork, type PullRequestPreview, runPullRequests, type StoredGithub, storedTokenRefusal } from '../pull-requests/run-for-items.ts';
import { findByFingerprints, previewFinding, upsertFindings } from '../findings.ts';
import { checkUrl, credentialHosts } from '../connections.ts';
import type { Tenant } from '../tenancy.ts';
import { subjectOf } from '../tickets/subject.ts';
import { type FiledTicket, type FileItem, fileTickets } from '../tickets/ticket-operations.ts';
import type { RequestTicketCredentials, TicketSession } from '../tickets/ticket-session.ts';
import type { RequestPreview, TicketOptions, TicketService } from '../tickets/ticket-service.ts';

/** Seeds 000/001 name the request's ticketing credentials after Jira. */
type RequestJiraCredentials = RequestTicketCredentials;

export interface JiraPart {
  status: 'created' | 'existing' | 'planned' | 'failed' | 'skipped';
  issue_id: string | null;
  issue_key: string | null;
  issue_url: string | null;
  error: string | null;
  /** A public catalogue code (docs/errors.md). */
  error_code: PublicErrorCode | null;
}

export type GithubPart = GithubPartResult;

export interface ItemResult {
  item_id: string;
  jira: JiraPart;
  github: GithubPart;
}

export interface RunResponse {
  dry_run: boolean;
  results: ItemResult[];
  summary: { total: number; jira_created: number; prs_created: number; failed: number };
  requests?: RequestPreview[];
  /** Dry run: each PR that would be opened or updated, with the exact diff of every file. */
  pull_requests?: PullRequestPreview[];
  notes?: string[];
}

/** One unit of work, whichever seed shape it came from. */
export interface WorkItem {
  itemId: string;
  finding: FindingInput;
  /** Seed 001: the caller's Jira request; seed 000: null (fields are built from the finding). */
  jiraRequest: { credentials: RequestJiraCredentials; fields: Record<string, unknown> } | null;
  /**
   * Seed 000: where to file it. `siteUrl` is the body's `jira.jira_url` when no credentials came with
   * it: the stored connection is used only if it is that site.
   */
  jiraTarget: { credentials: RequestJiraCredentials | null; options: TicketOptions; siteUrl?: string | null } | null;
  /** The fix PR to open for it (seed 001 `github_pr_requests[i]`, seed 000 `github`), if any. */
  pr: PrPlan | null;
}

function skippedGithub(): GithubPart {
  return { status: 'skipped', pr_number: null, pr_url: null, branch: null, base: null, error: null, error_code: null, note: null, reason_code: null, jira_commented: false };
}

/** The seed routes' per-item ticket part, from the use case's one result shape. */
function jiraFromFiled(item: FiledTicket): JiraPart {
  if (item.status === 'failed') return failedJira(item.error?.code ?? 'INTERNAL', item.error?.message ?? 'no outcome for this item');
  if (item.status === 'planned') return { status: 'planned', issue_id: null, issue_key: null, issue_url: null, error: null, error_code: null };
  return { status: item.status, issue_id: item.ref?.id ?? null, issue_key: item.ref?.key ?? null, issue_url: item.ref?.url ?? null, error: null, error_code: null };
}

function failedJira(code: ErrorCode, message: string): JiraPart {
  return { status: 'failed', issue_id: null, issue_key: null, issue_url: null, error: message, error_code: publicCode(code) };
}

function credentialKey(credentials: RequestJiraCredentials | null): string {
  return credentials ? JSON.stringify([credentials.jira_url.replace(/\/+$/, ''), credentials.jira_email ?? null, credentials.jira_pat]) : 'stored';
}

export interface RunContext {
  context: AppContext;
  service: TicketService;
  tenant: Tenant;
  subject: string | null;
  dryRun: boolean;
  /** Field names in errors: `items` (seed 001) or `vulnerabilities` (seed 000). */
  fieldPrefix: string;
  onProgress?: (done: number, failed: number) => Promise<void>;
}

/** Dry runs write nothing: findings already stored are shown as they are, new ones as they would be. */
async function previewFindings(run: RunContext, items: WorkItem[]): Promise<Finding[]> {
  const previews = items.map((item, index) => previewFinding(run.tenant.orgId, item.finding, (name) => `${run.fieldPrefix}.${index}.${name}`));
  const stored = await findByFingerprints(run.context.db.orm, run.tenant.orgId, previews.map((preview) => preview.fingerprint));
  return previews.map((preview) => stored.get(preview.fingerprint) ?? preview);
}

/**
 * What can be refused without asking Jira is refused before anything is written (and before a large
 * batch is accepted with 202): every Jira URL passes the outbound guard, and findings we file with
 * request credentials name their project.
 */
export async function checkJiraInputs(context: AppContext, items: WorkItem[]): Promise<void> {
  const seen = new Set<string>();
  for (const [index, item] of items.entries()) {
    const credentials = item.jiraRequest?.credentials ?? item.jiraTarget?.credentials;
    if (item.jiraTarget?.credentials && !item.jiraTarget.options.projectKey) {
      throw new AppError('VALIDATION_FAILED', 'jira.project_key is required when the Jira credentials come with the request', { field: 'jira.project_key' });
    }
    const jiraUrl = credentials?.jira_url;
    if (!jiraUrl || seen.has(jiraUrl)) continue;
    seen.add(jiraUrl);
    const field = item.jiraRequest ? `jira_issue_requests.${index}.jira_url` : 'jira.jira_url';
    await checkUrl(context.outboundGuard, jiraUrl, field);
  }
}

/**
 * A stored connection's credential goes only to that connection's own hosts: a repository (or a Jira
 * site) elsewhere needs credentials of its own in the request, else the whole request is refused
 * before anything is written, with the field that names the foreign host.
 */
export async function checkStoredCredentialHosts(run: Pick<RunContext, 'service' | 'tenant' | 'subject' | 'fieldPrefix'>, items: WorkItem[]): Promise<void> {
  const prefix = run.fieldPrefix === 'items' ? 'github_pr_requests' : 'vulnerabilities';
  let github: { hosts: string[] } | null | undefined;
  for (const [index, item] of items.entries()) {
    if (!item.pr || item.pr.token) continue;
    if (github === undefined) {
      const view = await run.service.connections.resolveFor(run.tenant.orgId, ['github'], run.subject);
      github = view ? { hosts: credentialHosts(view) } : null;
    }
    if (!github) return;
    let refusal: string | null;
    try {
      refusal = storedTokenRefusal(item.pr.repoUrl, github.hosts);
    } catch {
      continue; // a malformed URL is reported on its own item
    }
    if (refusal) throw new AppError('CREDENTIAL_HOST_MISMATCH', refusal, { field: `${prefix}.${index}.repo_url` });
  }
  const siteUrl = items.find((item) => item.jiraTarget && !item.jiraTarget.credentials && item.jiraTarget.siteUrl)?.jiraTarget?.siteUrl;
  if (siteUrl) {
    const view = await run.service.connections.resolveFor(run.tenant.orgId, ticketingProviders(), run.subject);
    const stored = view ? credentialHosts(view) : [];
    const wanted = hostOf(siteUrl);
    if (view && (!wanted || !stored.includes(wanted))) {
      throw new AppError(
        'CREDENTIAL_HOST_MISMATCH',
        `jira.jira_url (${wanted ?? 'not a URL'}) is not the site of the stored Jira connection (${stored.join(', ')}), whose credentials are not sent elsewhere: pass jira.jira_pat for that site, or leave jira_url out`,
        { field: 'jira.jira_url' },
      );
    }
  }
}

export async function runCreateIssuesAndPrs(run: RunContext, items: WorkItem[]): Promise<RunResponse> {
  const { context, service, tenant } = run;
  await checkJiraInputs(context, items);
  await checkStoredCredentialHosts(run, items);
  const findings: Finding[] = run.dryRun
    ? await previewFindings(run, items)
    : await upsertFindings(
        context.db.orm,
        tenant.orgId,
        items.map((item) => item.finding),
        { actor: run.subject ?? 'service', action: 'internal.create-issues-and-prs', fieldPrefix: run.fieldPrefix },
      );

  const jira: (JiraPart | undefined)[] = new Array(items.length);
  // Kept per item for the PR half: the ticket row (PR ↔ ticket link) and the session (comment, link).
  const ticketIds: (string | null)[] = new Array(items.length).fill(null);
  const sessions: (TicketSession | null)[] = new Array(items.length).fill(null);
  const requests: RequestPreview[] = [];
  const notes: string[] = [];

  // One session per set of credentials, so items sharing them go out in bulk calls.
  const groups = new Map<string, number[]>();
  items.forEach((item, index) => {
    const credentials = item.jiraRequest?.credentials ?? item.jiraTarget?.credentials ?? null;
    if (!item.jiraRequest && !item.jiraTarget) return;
    const key = `${item.jiraRequest ? 'given' : 'built'}|${credentialKey(credentials)}|${JSON.stringify(item.jiraTarget?.options ?? null)}`;
    const list = groups.get(key) ?? [];
    list.push(index);
    groups.set(key, list);
  });

  let done = 0;
  for (const indexes of groups.values()) {
    const first = items[indexes[0]!]!;
    const credentials = first.jiraRequest?.credentials ?? first.jiraTarget?.credentials ?? null;
    let session: TicketSession;
    try {
      session = credentials
        ? await service.sessionForRequest(tenant, credentials, { dryRun: run.dryRun })
        : await service.sessionFor(tenant, run.subject, null);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = error instanceof AppError ? error.code : 'INTERNAL';
      for (const index of indexes) jira[index] = failedJira(code, message);
      continue;
    }
    for (const index of indexes) sessions[index] = session;

    // Seed 001 sends the provider's create payload (sent as given, plus our dedupe key); seed 000
    // findings are planned by the provider from the mapping and options.
    const fileItems: FileItem[] = indexes.map((index) => {
      const finding = findings[index]!;
      const given = items[index]!.jiraRequest?.fields;
      return given ? { findingId: finding.id, fingerprint: finding.fingerprint, payload: given } : { findingId: finding.id, subject: subjectOf(finding) };
    });
    const failedBefore = jira.filter((part) => part?.status === 'failed').length;
    let filed: Awaited<ReturnType<typeof fileTickets>>;
    try {
      filed = await fileTickets(service, session, tenant, {
        items: fileItems,
        options: first.jiraTarget?.options ?? {},
        dryRun: run.dryRun,
        // In chunks, so progress of a large run is visible while it works.
        chunkSize: 250,
        onProgress: async (count, failedHere) => {
          await run.onProgress?.(done + count, failedBefore + failedHere);
        },
      });
    } catch (error) {
      // Findings are already stored: a problem of this group (no project, unknown assignee, refused
      // credentials) fails its items, never the whole answer.
      if (!(error instanceof AppError)) throw error;
      for (const index of indexes) jira[index] = failedJira(error.code, error.message);
      continue;
    }
    notes.push(...filed.notes);
    requests.push(...filed.requests);
    // One result per item, in order.
    filed.items.forEach((item, position) => {
      const index = indexes[position]!;
      jira[index] = jiraFromFiled(item);
      ticketIds[index] = item.ticket?.id ?? null;
    });
    done += filed.items.filter((item) => item.status !== 'failed' || item.ticket !== null).length;
  }

  // Jira first, so each PR names its ticket; then the PRs; then the PR link on each ticket.
  const work: PrWork[] = [];
  items.forEach((item, index) => {
    if (!item.pr) return;
    const part = jira[index];
    const issueKey = part && (part.status === 'created' || part.status === 'existing') ? part.issue_key : null;
    work.push({
      index,
      plan: item.pr,
      findingId: run.dryRun ? null : (findings[index]?.id ?? null),
      ticket: issueKey ? { key: issueKey, url: part?.issue_url ?? null, ticketId: ticketIds[index] ?? null } : null,
      ticketing: sessions[index]?.ticketing ?? null,
      ticketStored: sessions[index] ? !sessions[index].ephemeral : false,
    });
  });
  const prs = work.length > 0
    ? await runPullRequests({
        work,
        dryRun: run.dryRun,
        deps: {
          http: context.outbound,
          guard: context.outboundGuard,
          logger: context.logger.child({ component: 'pull-requests' }),
          orm: run.dryRun ? null : context.db.orm,
          orgId: tenant.orgId,
          timeoutMs: context.config.outbound.timeoutMs,
        },
        storedToken: () => storedGithub(run),
        // Stored GitHub connection: the PR is an open_pr job (issue 13), not opened in this request.
        queue: { orgId: tenant.orgId, requestedBy: run.subject, enqueue: (payload) => context.queue.enqueue('open_pr', payload) },
      })
    : { parts: new Map<number, GithubPart>(), previews: [] };

  const results: ItemResult[] = items.map((item, index) => ({
    item_id: item.itemId,
    jira: jira[index] ?? { status: 'failed', issue_id: null, issue_key: null, issue_url: null, error: null, error_code: null },
    github: prs.parts.get(index) ?? skippedGithub(),
  }));
  for (const [index, result] of results.entries()) {
    // Seed 001: an omitted or empty jira_issue_requests list skips the Jira half.
    if (!items[index]!.jiraRequest && !items[index]!.jiraTarget) {
      result.jira = { status: 'skipped', issue_id: null, issue_key: null, issue_url: null, error: null, error_code: null };
    }
  }
  return {
    dry_run: run.dryRun,
    results,
    summary: {
      total: results.length,
      jira_created: results.filter((result) => result.jira.status === 'created').length,
      prs_created: new Set(results.filter((result) => result.github.status === 'created').map((result) => result.github.pr_url)).size,
      failed: results.filter((result) => result.jira.status === 'failed' || result.github.status === 'failed').length,
    },
    ...(run.dryRun ? { requests, pull_requests: prs.previews } : {}),
    ...(notes.length > 0 ? { notes: [...new Set(notes)] } : {}),
  };
}

/** Seed 000's last resort for the GitHub token: the caller's own github connection, else the org's. */
async function storedGithub(run: RunContext): Promise<StoredGithub | null> {
  const view = await run.service.connections.resolveFor(run.tenant.orgId, ['github'], run.subject);
  if (!view) return null;
  const record = await run.service.connections.withCredentials(run.tenant.orgId, view.id);
  return record?.credential ? { credentials: run.service.connections.credentialSource(record), connectionId: record.id, hosts: credentialHosts(record) } : null;
}
