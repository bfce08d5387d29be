/**
 * `POST /internal/create-issues-and-prs` (seeds 000 and 001, JWT) and `GET /api/v1/runs/{id}` for
 * batches answered asynchronously. Bodies are fixed in SPEC section 3; extra fields are ignored.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { hostOf, OUTBOUND_URL_REFUSED, OutboundError } from '../../http-client/index.ts';
import { codeHostFailureOf, codeHostFor } from '../../providers/registry.ts';
import type { PrPlan } from '../../services/pull-requests/run-for-items.ts';
import { startInProcessRun, startQueuedRun, storedItems } from '../../services/internal/batch-runs.ts';
import { checkJiraInputs, checkStoredCredentialHosts, runCreateIssuesAndPrs, type WorkItem } from '../../services/internal/create-issues-and-prs.ts';
import { RunStore } from '../../services/internal/runs.ts';
import type { RequestTicketCredentials as RequestJiraCredentials } from '../../services/tickets/ticket-session.ts';
import { ticketServiceFor } from '../../services/tickets/ticket-operations.ts';
import { ecosystemNames } from '../../updaters/registry.ts';
import { tenantOf } from '../plugins/auth.ts';
import { boundedJsonObject, branchName, identifier, repoPath, safeLine, safeText, secret } from '../../contracts/index.ts';
import { authErrors, errorCode, errorResponse, uuidParam } from '../schemas.ts';
import { severityInput } from './findings.ts';
import { requestPreview } from './tickets.ts';

const SYNC_LIMIT = 100;
const MAX_ITEMS = 5_000;

/** Every name of an ecosystem the updater registry knows (canonical names and aliases). */
const ecosystem = z.enum(ecosystemNames);
const url = identifier(2048);

const vulnerability = z
  .object({
    id: identifier(200),
    package_name: identifier(500),
    ecosystem,
    current_version: identifier(200),
    fixed_version: identifier(200).nullish(),
    severity: severityInput,
    cve_ids: z.array(identifier(100)).max(200).default([]),
    ghsa_ids: z.array(identifier(100)).max(200).optional(),
    title: safeLine(1000).optional(),
    description: safeText(100_000).nullish(),
    manifest_path: repoPath().nullish(),
    repo_url: url.nullish(),
  })
  .loose();

const jiraIssueRequest = z
  .object({
    jira_url: url,
    jira_email: identifier(320).nullish(),
    jira_pat: secret(4096),
    fields: boundedJsonObject(z.string()).refine((fields) => typeof fields.project === 'object' && fields.project !== null, 'fields.project is required'),
    comment_with_pr_link: z.boolean().default(true),
  })
  .loose();

const githubPrRequest = z
  .object({
    repo_url: url.nullish(),
    github_pat: secret(4096).nullish(),
    branch_name: branchName().nullish(),
    base_branch: branchName().nullish(),
    title: safeLine(1000, { min: 0 }).nullish(),
    body: safeText(65_536).nullish(),
    package_name: identifier(500).nullish(),
    current_version: identifier(200).nullish(),
    new_version: identifier(200).nullish(),
    dependency_files: z.array(repoPath()).max(100).nullish(),
    transport: z.enum(['api', 'git']).nullish(),
    labels: z.array(identifier(50)).max(20).nullish(),
  })
  .loose();

const requestBody = z
  .object({
    // Seed 001
    items: z.array(vulnerability).max(MAX_ITEMS).optional(),
    repo_url: url.nullish(),
    github_pat: secret(4096).nullish(),
    jira_issue_requests: z.array(jiraIssueRequest).max(MAX_ITEMS).nullish(),
    github_pr_requests: z.array(githubPrRequest).max(MAX_ITEMS).nullish(),
    // Seed 000
    vulnerabilities: z.array(vulnerability).max(MAX_ITEMS).optional(),
    jira: z
      .object({
        jira_url: url.nullish(),
        jira_email: identifier(320).nullish(),
        jira_pat: secret(4096).nullish(),
        project_key: identifier(100).nullish(),
        issue_type: identifier(100).nullish(),
      })
      .loose()
      .nullish(),
    github: z
      .object({
        repo_url: url.nullish(),
        github_pat: secret(4096, { min: 0 }).nullish(),
        base_branch: branchName().nullish(),
        /** One PR per repository for all its findings instead of one per package. */
        group: z.boolean().default(false),
        transport: z.enum(['api', 'git']).default('api'),
        labels: z.array(identifier(50)).max(20).nullish(),
      })
      .loose()
      .nullish(),
    dry_run: z.boolean().default(false),
  })
  .loose();

type RequestBody = z.infer<typeof requestBody>;

const jiraPart = z.object({
  status: z.enum(['created', 'existing', 'planned', 'failed', 'skipped']),
  issue_id: z.string().nullable(),
  issue_key: z.string().nullable(),
  issue_url: z.string().nullable(),
  error: z.string().nullable(),
  error_code: errorCode.nullable(),
});
const githubPart = z.object({
  status: z.enum(['created', 'updated', 'existing', 'planned', 'failed', 'skipped', 'queued']).describe('queued: a stored GitHub connection; an open_pr job opens the PR (job_id)'),
  pr_number: z.number().nullable(),
  pr_url: z.string().nullable(),
  branch: z.string().nullable(),
  base: z.string().nullable(),
  error: z.string().nullable(),
  error_code: errorCode.nullable(),
  note: z.string().nullable().describe('Why nothing was pushed or opened: not fixable by a manifest edit, already fixed, a branch someone else pushed to'),
  reason_code: z.string().nullable().describe('not-declared (transitive only), hashes-required, git-source, path-source, already-satisfied, …'),
  jira_commented: z.boolean(),
  job_id: z.string().optional().describe('queued: the open_pr job, GET /api/v1/jobs/{id}'),
});
const pullRequestPreview = z.object({
  repo: z.string(),
  branch: z.string(),
  base: z.string().nullable(),
  status: z.string(),
  title: z.string().nullable(),
  body: z.string().nullable(),
  files: z.array(z.object({ path: z.string(), diff: z.string() })),
  pr_number: z.number().nullable(),
  pr_url: z.string().nullable(),
});
const runResponse = z
  .object({
    dry_run: z.boolean(),
    results: z.array(z.object({ item_id: z.string(), jira: jiraPart, github: githubPart })),
    summary: z.object({ total: z.number(), jira_created: z.number(), prs_created: z.number(), failed: z.number() }),
    requests: z.array(requestPreview).optional(),
    pull_requests: z.array(pullRequestPreview).optional().describe('Dry run: each PR that would be opened or updated, with the unified diff of every file'),
    notes: z.array(z.string()).optional(),
  })
  .meta({ id: 'CreateIssuesAndPrsResponse' });

const runMode = z
  .enum(['in-process', 'queued'])
  .describe('queued: stored connections only, child jobs that resume after a restart; in-process: request credentials (never stored), worked by one process, failed with the reason if it stops');
const accepted = z.object({ run_id: z.string(), status: z.string(), mode: runMode, total: z.number(), status_url: z.string() });

const runView = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  mode: runMode,
  total: z.number(),
  completed: z.number(),
  failed: z.number(),
  result: z.unknown().describe('The create-issues-and-prs response when completed; {error} when failed; null while running'),
  created_at: z.string(),
  updated_at: z.string(),
});

function vulnerabilityFinding(item: z.infer<typeof vulnerability>, repoUrl: string | null) {
  const title = item.title ?? `${item.package_name} ${item.current_version} is vulnerable${item.cve_ids[0] ? ` (${item.cve_ids[0]})` : ''}`;
  return {
    kind: 'vulnerability' as const,
    title,
    description: item.description ?? null,
    severity: item.severity,
    ecosystem: item.ecosystem,
    packageName: item.package_name,
    installedVersion: item.current_version,
    fixedVersion: item.fixed_version ?? null,
    advisoryIds: [...item.cve_ids, ...(item.ghsa_ids ?? [])],
    repoUrl: item.repo_url ?? repoUrl,
    manifestPath: item.manifest_path ?? null,
    source: 'create-issues-and-prs',
    externalRef: item.id,
  };
}

/**
 * Seed 000: "credentials passed via JWT token claims", when the body has none. A PAT travels with its
 * own URL: the body's PAT with the body's jira_url (else the claim's), a claim's PAT only ever to the
 * claim's jira_url; a body jira_url for another site with only a claim PAT is refused.
 */
function jiraCredentialsFrom(body: RequestBody, request: FastifyRequest): RequestJiraCredentials | null {
  const claims = request.principal?.claims ?? {};
  const claim = (key: 'jira_url' | 'jira_email' | 'jira_pat') => {
    const value = claims[key];
    return typeof value === 'string' && value.length > 0 ? value : null;
  };
  const given = body.jira;
  if (given?.jira_pat) {
    const jiraUrl = given.jira_url ?? claim('jira_url');
    return jiraUrl ? { jira_url: jiraUrl, jira_email: given.jira_email ?? claim('jira_email'), jira_pat: given.jira_pat } : null;
  }
  const pat = claim('jira_pat');
  const claimUrl = claim('jira_url');
  if (!pat || !claimUrl) return null;
  if (given?.jira_url && hostOf(given.jira_url) !== hostOf(claimUrl)) {
    throw new AppError('CREDENTIAL_HOST_MISMATCH', "jira.jira_url is not the site of the token's jira_pat claim (its jira_url claim); pass jira.jira_pat for that site", {
      field: 'jira.jira_url',
    });
  }
  return { jira_url: claimUrl, jira_email: claim('jira_email') ?? given?.jira_email ?? null, jira_pat: pat };
}

function workItems(body: RequestBody, request: FastifyRequest): { items: WorkItem[]; fieldPrefix: string } {
  if (body.items && body.vulnerabilities) {
    throw new AppError('UNPROCESSABLE', 'send either items (seed 001 shape) or vulnerabilities (seed 000 shape), not both', { field: 'items' });
  }
  if (body.items) {
    const count = body.items.length;
    const jiraRequests = body.jira_issue_requests ?? [];
    const prRequests = body.github_pr_requests ?? [];
    if (jiraRequests.length > 0 && jiraRequests.length !== count) {
      throw new AppError('UNPROCESSABLE', `jira_issue_requests has ${jiraRequests.length} entries but items has ${count}; give exactly one per item, or none`, {
        field: 'jira_issue_requests',
      });
    }
    if (prRequests.length > 0 && prRequests.length !== count) {
      throw new AppError('UNPROCESSABLE', `github_pr_requests has ${prRequests.length} entries but items has ${count}; give exactly one per item, or none`, {
        field: 'github_pr_requests',
      });
    }
    const items = body.items.map((item, index): WorkItem => {
      const jiraRequest = jiraRequests[index];
      const prRequest = prRequests[index];
      return {
        itemId: item.id,
        finding: vulnerabilityFinding(item, prRequest?.repo_url ?? body.repo_url ?? null),
        jiraRequest: jiraRequest
          ? { credentials: { jira_url: jiraRequest.jira_url, jira_email: jiraRequest.jira_email ?? null, jira_pat: jiraRequest.jira_pat }, fields: jiraRequest.fields }
          : null,
        jiraTarget: null,
        pr: prRequest ? seed001Plan(body, request, item, prRequest, jiraRequest?.comment_with_pr_link ?? true) : null,
      };
    });
    return { items, fieldPrefix: 'items' };
  }
  if (body.vulnerabilities) {
    const credentials = jiraCredentialsFrom(body, request);
    const options = { projectKey: body.jira?.project_key ?? null, issueType: body.jira?.issue_type ?? null };
    const repoUrl = body.github?.repo_url ?? null;
    const items = body.vulnerabilities.map(
      (item): WorkItem => ({
        itemId: item.id,
        finding: vulnerabilityFinding(item, repoUrl),
        jiraTarget: { credentials, options, siteUrl: credentials ? null : (body.jira?.jira_url ?? null) },
        jiraRequest: null,
        pr: seed000Plan(body, request, item),
      }),
    );
    return { items, fieldPrefix: 'vulnerabilities' };
  }
  throw new AppError('VALIDATION_FAILED', 'items (seed 001 shape) or vulnerabilities (seed 000 shape) is required', { field: 'items' });
}

function advisoriesOf(item: z.infer<typeof vulnerability>) {
  return [...item.cve_ids, ...(item.ghsa_ids ?? [])].map((id) => ({ id, severity: item.severity }));
}

/** Seed 000: "credentials passed via JWT token claims" applies to the GitHub PAT too. */
function githubToken(fromBody: string | null | undefined, request: FastifyRequest): string | null {
  if (fromBody) return fromBody;
  const claim = request.principal?.claims?.github_pat;
  return typeof claim === 'string' && claim.length > 0 ? claim : null;
}

function seed001Plan(body: RequestBody, request: FastifyRequest, item: z.infer<typeof vulnerability>, pr: z.infer<typeof githubPrRequest>, comment: boolean): PrPlan | null {
  const repoUrl = pr.repo_url ?? body.repo_url ?? item.repo_url;
  if (!repoUrl) return null;
  return {
    repoUrl,
    token: githubToken(pr.github_pat ?? body.github_pat, request),
    baseBranch: pr.base_branch ?? null,
    branch: pr.branch_name ?? null,
    title: pr.title ?? null,
    body: pr.body ?? null,
    packageName: pr.package_name ?? item.package_name,
    ecosystem: item.ecosystem,
    fixedVersion: pr.new_version ?? item.fixed_version ?? null,
    currentVersion: pr.current_version ?? item.current_version,
    manifestPaths: pr.dependency_files && pr.dependency_files.length > 0 ? pr.dependency_files : (item.manifest_path ? [item.manifest_path] : null),
    advisories: advisoriesOf(item),
    group: false,
    transport: pr.transport ?? 'api',
    labels: pr.labels ?? null,
    commentOnTicket: comment,
  };
}

function seed000Plan(body: RequestBody, request: FastifyRequest, item: z.infer<typeof vulnerability>): PrPlan | null {
  const github = body.github;
  const repoUrl = item.repo_url ?? github?.repo_url;
  if (!repoUrl) return null;
  return {
    repoUrl,
    token: githubToken(github?.github_pat, request),
    baseBranch: github?.base_branch ?? null,
    branch: null,
    title: null,
    body: null,
    packageName: item.package_name,
    ecosystem: item.ecosystem,
    fixedVersion: item.fixed_version ?? null,
    currentVersion: item.current_version,
    manifestPaths: item.manifest_path ? [item.manifest_path] : null,
    advisories: advisoriesOf(item),
    group: github?.group ?? false,
    transport: github?.transport ?? 'api',
    labels: github?.labels ?? null,
    commentOnTicket: true,
  };
}

/**
 * Every repository URL is checked before anything is written (no finding, no issue): a bad one is
 * the caller's mistake and fails the whole request with its field. Branch names (branch_name and
 * base_branch) and manifest paths are refused earlier, by the request schema (src/contracts).
 */
async function checkPullRequestInputs(context: AppContext, body: RequestBody, items: WorkItem[]): Promise<void> {
  const prefix = body.items ? 'github_pr_requests' : 'vulnerabilities';
  const seen = new Set<string>();
  for (const [index, item] of items.entries()) {
    const plan = item.pr;
    if (!plan) continue;
    const field = `${prefix}.${index}`;
    let apiUrl: string;
    try {
      apiUrl = codeHostFor(plan.repoUrl).repo.apiUrl;
    } catch (error) {
      // A code host's own refusal of the URL (its coded error) is the caller's mistake.
      const refused = codeHostFailureOf(error);
      if (refused) throw new AppError('REPO_URL_INVALID', refused.message, { field: `${field}.repo_url` });
      throw error;
    }
    if (!seen.has(apiUrl)) {
      seen.add(apiUrl);
      try {
        await context.outboundGuard.check(apiUrl);
      } catch (error) {
        // Only the address policy is the caller's mistake; DNS or network trouble fails that item later.
        if (error instanceof OutboundError && error.code === OUTBOUND_URL_REFUSED) {
          throw new AppError('PROVIDER_URL_REFUSED', `${field}.repo_url is refused: ${error.reason ?? error.message}`, { field: `${field}.repo_url` });
        }
      }
    }
  }
}

export function internalRoutes(context: AppContext): FastifyPluginAsyncZod {
  const service = ticketServiceFor(context);
  const runs = new RunStore(context.db.orm);
  return async (app) => {
    app.post(
      '/internal/create-issues-and-prs',
      {
        bodyLimit: 25 * 1024 * 1024,
        schema: {
          tags: ['internal'],
          summary: 'Create Jira issues and fix PRs for findings: seed 001 fully formed requests or seed 000 findings; the PR link is commented on each issue',
          security: [{ bearerAuth: [] }],
          body: requestBody,
          response: { 200: runResponse, 202: accepted, 400: errorResponse, 409: errorResponse, 422: errorResponse, 429: errorResponse, ...authErrors },
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request);
        const { items, fieldPrefix } = workItems(request.body, request);
        await checkJiraInputs(context, items);
        await checkPullRequestInputs(context, request.body, items);
        const run = { context, service, tenant, subject: request.principal?.subject ?? null, dryRun: request.body.dry_run, fieldPrefix };
        if (items.length <= SYNC_LIMIT || run.dryRun) return runCreateIssuesAndPrs(run, items);
        // A stored credential aimed at another host is refused (422) before the batch is accepted,
        // as the synchronous path does: a 202 would only report it per chunk, long after.
        await checkStoredCredentialHosts(run, items);

        // Stored connections only: durable child jobs. Request credentials: bounded, in this process.
        const stored = storedItems(items);
        const created = stored ? await startQueuedRun(context, run, stored) : await startInProcessRun(context, run, items);
        return reply.status(202).send({ run_id: created.id, status: created.status, mode: created.mode, total: created.total, status_url: `/api/v1/runs/${created.id}` });
      },
    );

    app.get(
      '/api/v1/runs/:id',
      {
        schema: {
          tags: ['internal'],
          summary: 'Progress and, when finished, the response of a batch answered with 202',
          security: [{ bearerAuth: [] }],
          params: uuidParam,
          response: { 200: runView, 404: errorResponse, ...authErrors },
        },
      },
      async (request) => {
        const found = await runs.get(tenantOf(request).orgId, request.params.id);
        if (!found) throw new AppError('NOT_FOUND', 'no such run', { field: 'id' });
        return found;
      },
    );
  };
}
