/**
 * The ticketing interface (src/providers/ticketing) for Jira Cloud (REST v3, ADF) and Server/DC
 * (REST v2, wiki markup), over the Jira client. What is Jira's alone lives here: the create fields
 * and their check against the project's create screen, the fingerprint label as our dedupe key
 * (found by JQL, read-after-write reconciled for ids we know), bulk create in calls of 50, the
 * workflow transition that reaches a mapped status (read from the issue, never a hard-coded id),
 * comments remembered in an issue property so a re-run does not post them twice, remote links,
 * and mapping values checked against the site's statuses, priorities, projects and issue types.
 */
import { fingerprintLabel } from '../../domain/fingerprint.ts';
import { type InternalState, issueTypeFor, type MappingRow, matchPriority, priorityFor, projectKeyFor, stateFor } from '../../domain/mapping.ts';
import { AppError } from '../../errors/app-error.ts';
import { attributeTo } from '../../errors/coded-error.ts';
import type { Credential } from '../credentials/index.ts';
import type { ConnectionTarget } from '../descriptor/connection.ts';
import type {
  CreateItemResult,
  DraftResult,
  MappingValueProblem,
  RequestPreview,
  TicketComment,
  TicketDraft,
  TicketFinding,
  TicketingClient,
  TicketingDeps,
  TicketingProvider,
  TicketOptions,
  TicketRef,
  TicketState,
  TicketSubject,
  TicketUpdateField,
} from '../ticketing/types.ts';
import { createJiraClient } from './client.ts';
import { jiraTargetOf } from './connection.ts';
import { buildSummary, descriptionFor } from './description.ts';
import { JIRA_ISSUE_NOT_FOUND, JIRA_TRANSITION_NOT_AVAILABLE, JiraError } from './errors.ts';
import { buildIssueFields, checkAgainstScreen, withoutFields } from './issue-fields.ts';
import { findProject, siteNames, type SiteNameList } from './metadata.ts';
import { processLimiters } from './limiter.ts';
import { createJiraTransport, DEFAULT_LIMITS } from './transport.ts';
import type { CreateField, JiraFlavor, JiraTransition, JiraUserRef } from './types.ts';
import { formatIsoInZoneWithIntl } from '../../lib/time.ts';

/** Jira's bulk create takes at most 50 issues per call. */
export const JIRA_BULK_CHUNK = 50;
const LABELS_PER_SEARCH = 50;
/** Cloud's search index lags behind writes by seconds; Server/DC indexes synchronously. */
const DEFAULT_CONSISTENCY_MS: Record<JiraFlavor, number> = { cloud: 30_000, server: 0 };
/** The issue property that remembers which once-only comments were posted (capped by Jira at 32 KB). */
const COMMENTED_PROPERTY = 'integration-service.fix-pr';

/** How many workflow transitions transition() takes at most to reach a status (To Do → … → Done). */
export const JIRA_WORKFLOW_STEPS = 5;
const CATEGORY_RANK: Record<string, number> = { new: 0, indeterminate: 1, done: 2 };

/**
 * One step forward towards done: a transition to a status not yet visited, never back in category
 * (new → indeterminate → done) and never to a done-category status mapped elsewhere (e.g. Won't Do,
 * a closed end that is not a fix); a higher category first.
 */
function forwardStep(transitions: JiraTransition[], currentCategory: string, visited: Set<string>, rows: MappingRow[]): JiraTransition | undefined {
  const rank = CATEGORY_RANK[currentCategory] ?? 0;
  const candidates = transitions.filter((candidate) => {
    const target = CATEGORY_RANK[candidate.to.categoryKey] ?? 0;
    if (visited.has(candidate.to.name.trim().toLowerCase()) || target < rank) return false;
    if (candidate.to.categoryKey === 'done') return false;
    return stateFor(rows, candidate.to.name, candidate.to.categoryKey) !== 'wont_fix';
  });
  return candidates.sort((a, b) => (CATEGORY_RANK[b.to.categoryKey] ?? 0) - (CATEGORY_RANK[a.to.categoryKey] ?? 0))[0];
}

function quoteJql(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Jira Cloud sites live under atlassian.net (or jira.com); anything else is Server/DC. */
export function jiraFlavorOf(siteUrl: string, email: string | null | undefined): JiraFlavor {
  const host = new URL(siteUrl).hostname;
  if (host.endsWith('.atlassian.net') || host.endsWith('.jira.com')) return 'cloud';
  // Seed 001: an email means Cloud API-token auth; without one the token is a Server/DC PAT.
  return email ? 'cloud' : 'server';
}

export function createJiraTicketing(flavor: JiraFlavor, connection: ConnectionTarget, deps: TicketingDeps): TicketingClient {
  const provider = flavor === 'cloud' ? 'jira-cloud' : 'jira-server';
  const target = jiraTargetOf(flavor, connection);
  const logger = deps.logger.child({ component: 'jira', connection_id: connection.connectionId });
  const clientDeps = { http: deps.http, sharedState: deps.sharedState, logger, limits: { timeoutMs: deps.timeoutMs } };
  const client = createJiraClient(target, clientDeps);
  // The same budget as the client's (limiters are per connection key), for the calls it lacks.
  const transport = createJiraTransport(target, { ...clientDeps, limiters: processLimiters, limits: { ...DEFAULT_LIMITS, timeoutMs: deps.timeoutMs } });
  const api = `${target.baseUrl.replace(/\/+$/, '')}/rest/api/${flavor === 'cloud' ? '3' : '2'}`;
  const issuePath = (idOrKey: string) => `/issue/${encodeURIComponent(idOrKey)}`;
  /** Edits an issue's fields; setting the same values again gives the same issue. */
  const putFields = async (idOrKey: string, fields: Record<string, unknown>) => {
    try {
      await transport.call({
        method: 'PUT',
        path: issuePath(idOrKey),
        body: { fields },
        subject: { action: `update ${idOrKey}`, issueKey: idOrKey, notFound: JIRA_ISSUE_NOT_FOUND },
        idempotent: true,
      });
    } catch (error) {
      throw attributeTo(error, provider);
    }
  };

  let verified: Promise<{ accountId: string | null }> | null = null;
  let priorities: Promise<{ id: string; name: string }[]> | null = null;
  const screens = new Map<string, Promise<CreateField[]>>();
  const screen = (projectKey: string, issueType: string) => {
    const key = `${projectKey}\u0000${issueType}`;
    let found = screens.get(key);
    if (!found) {
      found = client.createFields(projectKey, issueType);
      screens.set(key, found);
    }
    return found;
  };

  async function draftAll(subjects: TicketSubject[], options: TicketOptions, rows: MappingRow[], projectKey: string) {
    const notes: string[] = [];
    priorities ??= client.priorities();
    const available = await priorities;
    let assignee: JiraUserRef | null = null;
    if (options.assignee) {
      assignee = await client.findUser(options.assignee);
      if (!assignee) throw new AppError('VALIDATION_FAILED', `no Jira user with the email ${options.assignee} is visible to this connection`, { field: 'assignee' });
    }
    const requested = new Set<string>([
      ...(options.priority ? ['priority'] : []),
      ...(options.assignee ? ['assignee'] : []),
      ...((options.components?.length ?? 0) > 0 ? ['components'] : []),
      ...Object.keys(options.customFields ?? {}),
    ]);
    const results: DraftResult[] = [];
    for (const subject of subjects) {
      const issueType = options.issueType ?? issueTypeFor(rows, subject.finding.kind);
      const createScreen = await screen(projectKey, issueType);
      const wanted = options.priority ?? priorityFor(rows, subject.severity);
      const priority = matchPriority(wanted, available);
      if (!priority) {
        if (options.priority) {
          results.push({ ok: false, code: 'VALIDATION_FAILED', message: `Jira has no priority named "${options.priority}"`, field: 'priority' });
          continue;
        }
        notes.push(`Jira has no priority "${wanted}"; left to the project's default`);
      }
      const fields = buildIssueFields(subject.finding, {
        flavor,
        projectKey,
        issueType,
        priority,
        assignee,
        dueDate: subject.dueDate ?? null,
        components: options.components ?? [],
        labels: options.labels ?? [],
        customFields: options.customFields ?? {},
      });
      const check = checkAgainstScreen(fields, createScreen, requested);
      const first = check.problems[0];
      if (first) {
        results.push({ ok: false, code: 'PROVIDER_FIELD_REJECTED', message: `${projectKey}/${issueType}: ${first.message}`, field: first.field, provider });
        continue;
      }
      for (const dropped of check.dropped) notes.push(`the create screen of ${projectKey}/${issueType} has no "${dropped}" field; left out`);
      results.push({
        ok: true,
        draft: { findingId: subject.findingId, fingerprint: subject.fingerprint, dedupeKey: fingerprintLabel(subject.fingerprint), container: projectKey, fields: withoutFields(fields, check.dropped) },
      });
    }
    return { results, notes: [...new Set(notes)] };
  }

  async function commentedMarkers(idOrKey: string): Promise<string[]> {
    const value = (await client.getIssueProperty(idOrKey, COMMENTED_PROPERTY).catch(() => null)) as { commented?: unknown } | null;
    return Array.isArray(value?.commented) ? value.commented.filter((entry): entry is string => typeof entry === 'string') : [];
  }

  function notCreatedBy(error: unknown): boolean {
    return error instanceof JiraError && !error.outcomeUnknown && error.upstreamStatus >= 400 && error.upstreamStatus < 500;
  }

  /** Mapping values Jira does not have (see TicketingClient.validateMappingValues). */
  async function checkMappingValues(rows: MappingRow[], all: MappingRow[]): Promise<MappingValueProblem[]> {
    const problems: MappingValueProblem[] = [];
    const norm = (value: string) => value.trim().toLowerCase();
    const label: Record<SiteNameList, string> = { statuses: 'status', priorities: 'priority', issueTypes: 'issue type' };
    // A cached list answers for known values; an unknown one is looked up again (it may be new).
    const known = async (list: SiteNameList, value: string): Promise<{ ok: boolean; names: string[] }> => {
      const cached = await siteNames(transport, list);
      if (cached.some((name) => norm(name) === norm(value))) return { ok: true, names: cached };
      const fresh = await siteNames(transport, list, { fresh: true });
      return { ok: fresh.some((name) => norm(name) === norm(value)), names: fresh };
    };
    const listed = (names: string[]) => (names.length === 0 ? 'none' : names.slice(0, 25).join(', ') + (names.length > 25 ? ', …' : ''));
    const check = async (row: MappingRow, list: SiteNameList, field: 'source' | 'target') => {
      const value = row[field];
      const answer = await known(list, value);
      if (!answer.ok) problems.push({ kind: row.kind, source: row.source, field, value, message: `Jira has no ${label[list]} named "${value}" (it has: ${listed(answer.names)})` });
    };
    const projects = new Map<string, ReturnType<typeof findProject>>();
    const project = (key: string) => {
      let found = projects.get(key.toUpperCase());
      if (!found) {
        found = findProject(transport, key);
        projects.set(key.toUpperCase(), found);
      }
      return found;
    };
    for (const row of rows) {
      if (row.kind === 'status' && norm(row.source) !== 'default') await check(row, 'statuses', 'source');
      else if (row.kind === 'priority') await check(row, 'priorities', 'target');
      else if (row.kind === 'project') {
        if (!(await project(row.target))) problems.push({ kind: row.kind, source: row.source, field: 'target', value: row.target, message: `Jira has no project with the key "${row.target}" that this connection can see` });
      } else if (row.kind === 'issue_type') {
        const before = problems.length;
        await check(row, 'issueTypes', 'target');
        // An issue type the site has may still be missing from the project tickets go to.
        const key = projectKeyFor(all);
        const inProject = before === problems.length && key ? await project(key) : null;
        if (inProject && !inProject.issueTypes.some((type) => norm(type.name) === norm(row.target))) {
          problems.push({
            kind: row.kind,
            source: row.source,
            field: 'target',
            value: row.target,
            message: `project ${inProject.key} has no issue type "${row.target}" (it has: ${listed(inProject.issueTypes.map((type) => type.name))})`,
          });
        }
      }
    }
    return problems;
  }

  // /myself, asked once per client (verify and the sync's time zone), again after a failure.
  let account: ReturnType<typeof client.myself> | null = null;
  const myself = () =>
    (account ??= client.myself().catch((error: unknown) => {
      account = null;
      throw error;
    }));
  const ticketing: TicketingClient = {
    provider,
    capabilities: { maxCreateBatch: JIRA_BULK_CHUNK, searchLags: flavor === 'cloud', remoteLinks: true, descriptionFormat: flavor === 'cloud' ? 'adf' : 'wiki' },
    consistencyWindowMs: deps.searchConsistencyMs ?? DEFAULT_CONSISTENCY_MS[flavor],

    verify() {
      verified ??= myself().then((me) => ({ accountId: me.accountId ?? me.name }));
      return verified;
    },
    markVerified() {
      verified ??= Promise.resolve({ accountId: null });
    },

    async draft(subjects, options, rows) {
      const projectKey = options.projectKey ?? projectKeyFor(rows);
      if (!projectKey) throw new AppError('VALIDATION_FAILED', 'project_key is required (or set a default project mapping on the connection)', { field: 'project_key' });
      try {
        return await draftAll(subjects, options, rows, projectKey);
      } catch (error) {
        if (!(error instanceof JiraError)) throw error;
        // Jira refused or failed a lookup (priorities, screen, user): every item fails with its answer.
        const failure: DraftResult = {
          ok: false,
          code: error.code,
          message: error.message,
          ...(error.field ? { field: error.field } : {}),
          ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
          provider: error.provider ?? provider,
        };
        return { results: subjects.map(() => failure), notes: [] };
      }
    },

    draftFromPayload(subject, payload) {
      const label = fingerprintLabel(subject.fingerprint);
      const labels = Array.isArray(payload.labels) ? (payload.labels as unknown[]).filter((entry): entry is string => typeof entry === 'string') : [];
      const project = payload.project as { key?: string; id?: string } | undefined;
      // Sent as given; the fingerprint label is how a retry recognises the issue it created.
      return { findingId: subject.findingId, fingerprint: subject.fingerprint, dedupeKey: label, container: project?.key ?? project?.id ?? '', fields: { ...payload, labels: [...new Set([...labels, label])] } };
    },

    renderDescription(finding: TicketFinding) {
      return descriptionFor(flavor, finding);
    },

    async createMany(drafts) {
      const results: CreateItemResult[] = new Array(drafts.length);
      if (drafts.length === 0) return results;
      if (drafts.length === 1) {
        try {
          const ref = await client.createIssue(drafts[0]!.fields);
          results[0] = { ok: true, ref };
        } catch (error) {
          results[0] = { ok: false, error: error as Error, notCreated: notCreatedBy(error) };
        }
        return results;
      }
      // The client sends chunks of 50 and maps per-item failures to input indexes.
      const answer = await client.bulkCreate(drafts.map((draft) => ({ fields: draft.fields })));
      for (const item of answer.created) results[item.index] = { ok: true, ref: { id: item.id, key: item.key, url: item.url } };
      for (const item of answer.failed) {
        results[item.index] = { ok: false, error: item.error, notCreated: !item.attempted || (!item.error.outcomeUnknown && item.status >= 400 && item.status < 500) };
      }
      return results;
    },

    async findByDedupeKey(keys, options = {}) {
      const found = new Map<string, TicketRef>();
      const wanted = new Set(keys.map((key) => key.dedupeKey));
      const labels = [...wanted];
      const projects = [...new Set(keys.map((key) => key.container).filter(Boolean))];
      const reconcile = (options.knownIds ?? []).map(Number).filter((id) => Number.isSafeInteger(id));
      for (let start = 0; start < labels.length; start += LABELS_PER_SEARCH) {
        const chunk = labels.slice(start, start + LABELS_PER_SEARCH);
        const scope = projects.length > 0 ? `project in (${projects.map(quoteJql).join(', ')}) AND ` : '';
        const jql = `${scope}labels in (${chunk.map(quoteJql).join(', ')}) ORDER BY created ASC`;
        for (const issue of await client.search(jql, { fields: ['labels'], ...(reconcile.length > 0 ? { reconcileIssues: reconcile } : {}) })) {
          for (const label of issue.labels) {
            // The oldest issue wins if a label was ever duplicated by hand.
            if (wanted.has(label) && !found.has(label)) found.set(label, { id: issue.id, key: issue.key, url: issue.url });
          }
        }
      }
      return found;
    },

    async get(idOrKey): Promise<TicketState> {
      const issue = await client.getIssue(idOrKey);
      return { ref: { id: issue.id, key: issue.key, url: issue.url }, status: { name: issue.status.name, category: issue.status.categoryKey || null }, priority: issue.priority, updated: issue.updated || null };
    },

    async listChangedSince(since, limit) {
      // Jira reads an absolute JQL date in the searching account's time zone (its profile's, from
      // /myself), to the minute: the cursor is written in that zone, truncated to the minute, so the
      // edge is read again, never skipped. Our issues carry a fingerprint label; the sync matches the
      // rest against the tickets we hold.
      const stamp = jqlMinute(since, (await myself()).timeZone);
      const issues = await client.search(`updated >= "${stamp}" AND labels is not EMPTY ORDER BY updated ASC`, { maxResults: limit, pageSize: Math.min(limit, 100) });
      return issues.map((issue) => ({ ref: { id: issue.id, key: issue.key, url: issue.url }, status: { name: issue.status.name, category: issue.status.categoryKey || null }, priority: issue.priority, updated: issue.updated || null }));
    },

    async updateFields(idOrKey, fields) {
      await putFields(idOrKey, fields);
    },

    async updateFromFinding(idOrKey, subject: TicketSubject, wanted: readonly TicketUpdateField[], rows: MappingRow[], options = {}) {
      const fields: Record<string, unknown> = {};
      let priority: string | null = null;
      if (wanted.includes('priority')) {
        const name = priorityFor(rows, subject.severity);
        priorities ??= client.priorities();
        // Jira's own spelling when it has the priority; otherwise the mapped name as it is, which Jira
        // refuses with its own message (a mapping naming a priority the site does not have).
        priority = matchPriority(name, await priorities) ?? name;
        fields.priority = { name: priority };
      }
      if (wanted.includes('summary')) fields.summary = buildSummary(subject.finding);
      if (wanted.includes('due_date')) fields.duedate = subject.dueDate ?? null;
      if (Object.keys(fields).length === 0) return { priority: null };
      await options.beforeWrite?.({ priority });
      await putFields(idOrKey, fields);
      return { priority };
    },

    async transition(idOrKey, to: InternalState, rows: MappingRow[]) {
      let issue = await client.getIssue(idOrKey, { fields: ['status'] });
      if (stateFor(rows, issue.status.name, issue.status.categoryKey) === to) return { changed: false, status: issue.status.name };
      // Workflows often need several steps (To Do → In Progress → In Review → Done): walk forward,
      // re-reading the issue's own transitions each step, at most JIRA_WORKFLOW_STEPS of them.
      const visited = new Set<string>([issue.status.name.trim().toLowerCase()]);
      const path: string[] = [];
      for (let step = 0; step < JIRA_WORKFLOW_STEPS; step += 1) {
        const transitions = await client.listTransitions(idOrKey);
        // A status the mapping (or the known names) gives for `to` first; for done, the done category.
        const reaching = transitions.filter((candidate) => stateFor(rows, candidate.to.name, candidate.to.categoryKey) === to);
        const chosen =
          reaching.find((candidate) => rows.some((row) => row.kind === 'status' && row.target === to && row.source.trim().toLowerCase() === candidate.to.name.trim().toLowerCase())) ??
          reaching[0];
        if (chosen) {
          await client.transition(idOrKey, chosen.id);
          return { changed: true, status: chosen.to.name };
        }
        const next = to === 'done' ? forwardStep(transitions, issue.status.categoryKey, visited, rows) : undefined;
        if (!next) {
          const offered = transitions.map((candidate) => `${candidate.name} → ${candidate.to.name}`).join(', ') || 'none';
          const walked = path.length > 0 ? ` after ${path.join(' → ')}` : '';
          throw new JiraError(JIRA_TRANSITION_NOT_AVAILABLE, `no transition of ${issue.key} (now ${issue.status.name}${walked}) reaches a status mapped to ${to}; offered: ${offered}`, { status: 409, provider });
        }
        await client.transition(idOrKey, next.id);
        path.push(next.to.name);
        visited.add(next.to.name.trim().toLowerCase());
        issue = await client.getIssue(idOrKey, { fields: ['status'] });
        if (stateFor(rows, issue.status.name, issue.status.categoryKey) === to) return { changed: true, status: issue.status.name };
        visited.add(issue.status.name.trim().toLowerCase());
      }
      throw new JiraError(JIRA_TRANSITION_NOT_AVAILABLE, `${issue.key} did not reach a status mapped to ${to} within ${JIRA_WORKFLOW_STEPS} workflow steps (${path.join(' → ')})`, { status: 409, provider });
    },

    async comment(idOrKey, body: TicketComment, options = {}) {
      if (!options.onceKey) {
        const posted = await client.addComment(idOrKey, body);
        return { posted: true, id: posted.id || null };
      }
      const done = await commentedMarkers(idOrKey);
      if (done.includes(options.onceKey)) return { posted: false, id: null };
      const posted = await client.addComment(idOrKey, body);
      // Keep the list short: the property is capped at 32,768 characters by Jira.
      await client.setIssueProperty(idOrKey, COMMENTED_PROPERTY, { commented: [...done, options.onceKey].slice(-50) }).catch(() => undefined);
      return { posted: true, id: posted.id || null };
    },

    async linkUrl(idOrKey, link) {
      await client.addRemoteLink(idOrKey, { globalId: link.url, url: link.url, title: link.title.slice(0, 255), ...(link.summary ? { summary: link.summary } : {}) });
    },

    async validateMappingValues(rows: MappingRow[], all: MappingRow[]): Promise<MappingValueProblem[]> {
      try {
        return await checkMappingValues(rows, all);
      } catch (error) {
        throw attributeTo(error, provider);
      }
    },

    previewRequests(drafts: TicketDraft[]): RequestPreview[] {
      const basic = target.credentials.kind === 'api-token' || target.credentials.kind === 'basic';
      const headers = { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: basic ? 'Basic ***' : 'Bearer ***' };
      if (drafts.length === 1) return [{ method: 'POST', url: `${api}/issue`, headers, body: { fields: drafts[0]!.fields } }];
      const previews: RequestPreview[] = [];
      for (let start = 0; start < drafts.length; start += JIRA_BULK_CHUNK) {
        previews.push({ method: 'POST', url: `${api}/issue/bulk`, headers, body: { issueUpdates: drafts.slice(start, start + JIRA_BULK_CHUNK).map((draft) => ({ fields: draft.fields })) } });
      }
      return previews;
    },
  };
  return ticketing;
}

/** The registry's `ticketing` slot for one flavour. */
export function jiraTicketing(flavor: JiraFlavor): TicketingProvider {
  return {
    create: (target, deps) => createJiraTicketing(flavor, target, deps),
    // Jira files into a project with an issue type; it has no assignment groups or close codes.
    mappingKinds: ['status', 'priority', 'project', 'issue_type'],
    requestCredential({ siteUrl, account, token }): Credential | null {
      if (jiraFlavorOf(siteUrl, account) !== flavor) return null;
      return flavor === 'cloud' && account ? { kind: 'api-token', email: account, apiToken: token } : { kind: 'pat', token };
    },
  };
}

/**
 * An instant as an absolute JQL date (`yyyy/MM/dd HH:mm`) in the zone Jira reads it in: the
 * searching account's (UTC when Jira does not say, or names a zone this runtime does not know).
 */
export function jqlMinute(instant: Date, timeZone: string | null): string {
  let local: string;
  try {
    local = formatIsoInZoneWithIntl(instant.getTime(), timeZone || 'UTC');
  } catch {
    local = formatIsoInZoneWithIntl(instant.getTime(), 'UTC');
  }
  return `${local.slice(0, 10).replaceAll('-', '/')} ${local.slice(11, 16)}`;
}
