/**
 * `POST /internal/create-issues-and-prs` (seeds 000 and 001): findings in, one Jira issue each out,
 * exactly once. Seed 001 sends fully formed Jira `fields` (sent as given, plus our fingerprint label);
 * seed 000 sends findings and we build the fields. Credentials sent with the request serve this run
 * only. The pull-request half is not implemented yet and says so per item.
 */
import type { AppContext } from '../../context.ts';
import { fingerprintLabel } from '../../domain/fingerprint.ts';
import { AppError } from '../../errors/app-error.ts';
import type { Finding, FindingInput } from '../findings.ts';
import { findByFingerprints, previewFinding, upsertFindings } from '../findings.ts';
import { checkUrl } from '../connections.ts';
import type { Tenant } from '../tenancy.ts';
import type { IssueDraft, TicketOutcome } from '../tickets/exactly-once.ts';
import type { JiraSession } from '../tickets/jira-session.ts';
import type { RequestJiraCredentials } from '../tickets/jira-target.ts';
import { subjectOf } from '../tickets/subject.ts';
import type { RequestPreview, TicketOptions, TicketService } from '../tickets/ticket-service.ts';

export interface JiraPart {
  status: 'created' | 'existing' | 'planned' | 'failed' | 'skipped';
  issue_id: string | null;
  issue_key: string | null;
  issue_url: string | null;
  error: string | null;
  error_code: string | null;
}

export interface GithubPart {
  status: 'created' | 'updated' | 'existing' | 'planned' | 'failed' | 'skipped';
  pr_number: number | null;
  pr_url: string | null;
  branch: string | null;
  error: string | null;
}

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
  notes?: string[];
}

/** One unit of work, whichever seed shape it came from. */
export interface WorkItem {
  itemId: string;
  finding: FindingInput;
  /** Seed 001: the caller's Jira request; seed 000: null (fields are built from the finding). */
  jiraRequest: { credentials: RequestJiraCredentials; fields: Record<string, unknown> } | null;
  /** Seed 000: where to file it. */
  jiraTarget: { credentials: RequestJiraCredentials | null; options: TicketOptions } | null;
  /** Branch named by the caller's PR request, if any (reported back). */
  prBranch: string | null;
  prRequested: boolean;
}

const PR_NOT_ATTEMPTED = 'not attempted: this version opens Jira issues only; fix pull requests are not implemented yet';

function githubPart(item: WorkItem): GithubPart {
  return { status: 'skipped', pr_number: null, pr_url: null, branch: item.prBranch, error: item.prRequested ? PR_NOT_ATTEMPTED : null };
}

function jiraFromOutcome(outcome: TicketOutcome): JiraPart {
  if (outcome.kind === 'failed') {
    return { status: 'failed', issue_id: null, issue_key: null, issue_url: null, error: outcome.message, error_code: outcome.code };
  }
  return { status: outcome.kind, issue_id: outcome.issue.id, issue_key: outcome.issue.key, issue_url: outcome.issue.url, error: null, error_code: null };
}

function failedJira(code: string, message: string): JiraPart {
  return { status: 'failed', issue_id: null, issue_key: null, issue_url: null, error: message, error_code: code };
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

/** Every Jira URL the request names passes the outbound guard before anything is written. */
async function checkJiraUrls(run: RunContext, items: WorkItem[]): Promise<void> {
  const seen = new Set<string>();
  for (const [index, item] of items.entries()) {
    const jiraUrl = item.jiraRequest?.credentials.jira_url ?? item.jiraTarget?.credentials?.jira_url;
    if (!jiraUrl || seen.has(jiraUrl)) continue;
    seen.add(jiraUrl);
    const field = item.jiraRequest ? `jira_issue_requests.${index}.jira_url` : 'jira.jira_url';
    await checkUrl(run.context.outboundGuard, jiraUrl, field);
  }
}

export async function runCreateIssuesAndPrs(run: RunContext, items: WorkItem[]): Promise<RunResponse> {
  const { context, service, tenant } = run;
  await checkJiraUrls(run, items);
  const findings: Finding[] = run.dryRun
    ? await previewFindings(run, items)
    : await upsertFindings(
        context.db.orm,
        tenant.orgId,
        items.map((item) => item.finding),
        { actor: run.subject ?? 'service', action: 'internal.create-issues-and-prs', fieldPrefix: run.fieldPrefix },
      );

  const jira: (JiraPart | undefined)[] = new Array(items.length);
  const requests: RequestPreview[] = [];
  const notes: string[] = [];

  // One Jira session per set of credentials, so items sharing them go out in bulk calls.
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
    let session: JiraSession;
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

    const drafts: { index: number; draft: IssueDraft }[] = [];
    if (first.jiraRequest) {
      for (const index of indexes) {
        const given = items[index]!.jiraRequest!.fields;
        const finding = findings[index]!;
        const labels = Array.isArray(given.labels) ? (given.labels as unknown[]).filter((label): label is string => typeof label === 'string') : [];
        const project = given.project as { key?: string; id?: string } | undefined;
        drafts.push({
          index,
          draft: {
            findingId: finding.id,
            fingerprint: finding.fingerprint,
            projectKey: project?.key ?? project?.id ?? '',
            // Sent as given; the fingerprint label is how a retry recognises the issue it created.
            fields: { ...given, labels: [...new Set([...labels, fingerprintLabel(finding.fingerprint)])] },
          },
        });
      }
    } else {
      const options = first.jiraTarget!.options;
      const { results, notes: draftNotes } = await service.draft(session, indexes.map((index) => subjectOf(findings[index]!)), options);
      notes.push(...draftNotes);
      results.forEach((result, position) => {
        const index = indexes[position]!;
        if (result.ok) drafts.push({ index, draft: result.draft });
        else jira[index] = failedJira(result.code, result.message);
      });
    }

    if (run.dryRun) {
      const existing = await service.existing(tenant, session.connectionId, drafts.map((entry) => entry.draft.findingId));
      const planned = drafts.filter((entry) => !existing.has(entry.draft.findingId));
      for (const entry of drafts) {
        const ticket = existing.get(entry.draft.findingId);
        jira[entry.index] = ticket
          ? { status: 'existing', issue_id: ticket.externalId, issue_key: ticket.externalKey, issue_url: ticket.url, error: null, error_code: null }
          : { status: 'planned', issue_id: null, issue_key: null, issue_url: null, error: null, error_code: null };
      }
      if (planned.length > 0) requests.push(...service.previewRequests(session, planned.map((entry) => entry.draft)));
    } else {
      // In chunks, so progress of a large run is visible while it works.
      for (let start = 0; start < drafts.length; start += 250) {
        const chunk = drafts.slice(start, start + 250);
        const outcomes = await service.create(session, tenant, chunk.map((entry) => entry.draft));
        outcomes.forEach((outcome, position) => {
          jira[chunk[position]!.index] = jiraFromOutcome(outcome);
        });
        done += chunk.length;
        await run.onProgress?.(done, jira.filter((part) => part?.status === 'failed').length);
      }
    }
  }

  const results: ItemResult[] = items.map((item, index) => ({
    item_id: item.itemId,
    jira: jira[index] ?? { status: 'failed', issue_id: null, issue_key: null, issue_url: null, error: null, error_code: null },
    github: githubPart(item),
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
      prs_created: 0,
      failed: results.filter((result) => result.jira.status === 'failed' || result.github.status === 'failed').length,
    },
    ...(run.dryRun ? { requests } : {}),
    ...(notes.length > 0 ? { notes: [...new Set(notes)] } : {}),
  };
}
