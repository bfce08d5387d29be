/**
 * One service, one GitHub simulator and both Jira simulators for the PR tests, driven through
 * `POST /internal/create-issues-and-prs` as seeds 000 and 001 call it.
 */
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../simulators/jira/cloud/index.ts';
import { type JiraServerSimulator, startJiraServerSimulator } from '../simulators/jira/server/index.ts';
import { type GitHubSimulator, startGitHubSimulator } from '../simulators/github/index.ts';
import type { DatabaseKind } from '../helpers/databases.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';

export interface PrFixture {
  service: TestService;
  github: GitHubSimulator;
  cloud: JiraCloudSimulator;
  server: JiraServerSimulator;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke into JSON freely
  post(payload: unknown): Promise<{ statusCode: number; json(): any; body: string }>;
  close(): Promise<void>;
}

export async function startPrFixture(kind: DatabaseKind): Promise<PrFixture> {
  const github = await startGitHubSimulator();
  const cloud = await startJiraCloudSimulator({ searchLagMs: 0 });
  const server = await startJiraServerSimulator();
  const service = await startTestService(kind, { OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' });
  const auth = { authorization: `Bearer ${await service.token({ subject: 'auth-service', roles: ['service'] })}` };
  return {
    service,
    github,
    cloud,
    server,
    post: (payload) => service.app.inject({ method: 'POST', url: '/internal/create-issues-and-prs', headers: auth, payload: payload as object }),
    async close() {
      await service.close();
      await github.close();
      await cloud.close();
      await server.close();
    },
  };
}

export const lodash = (id = 'vuln-lodash') => ({
  id,
  package_name: 'lodash',
  ecosystem: 'npm',
  current_version: '4.17.15',
  fixed_version: '4.17.21',
  severity: 'high',
  cve_ids: ['CVE-2021-23337'],
  ghsa_ids: ['GHSA-35jh-r3h4-6jhm'],
  title: 'Command injection in lodash',
  description: 'lodash before 4.17.21 is vulnerable to command injection via template.',
});

/** Seed 001: fully formed Jira (Server, PAT) and GitHub requests, one per item. */
export function seed001(fx: PrFixture, items: ReturnType<typeof lodash>[], pr: (item: ReturnType<typeof lodash>) => Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    items,
    repo_url: `${fx.github.url}/acme/web`,
    github_pat: fx.github.token,
    jira_issue_requests: items.map((item) => ({
      jira_url: fx.server.url,
      jira_pat: fx.server.credentials.pat,
      fields: { project: { key: 'SEC' }, issuetype: { name: 'Bug' }, summary: `Upgrade ${item.package_name} to ${item.fixed_version}`, description: item.description },
      comment_with_pr_link: true,
    })),
    github_pr_requests: items.map(pr),
    dry_run: false,
    ...extra,
  };
}

/** Seed 000: findings only, Jira Cloud by API token, we build everything. */
export function seed000(fx: PrFixture, vulnerabilities: unknown[], github: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    vulnerabilities,
    jira: { jira_url: fx.cloud.url, jira_email: fx.cloud.credentials.email, jira_pat: fx.cloud.credentials.apiToken, project_key: 'SEC', issue_type: 'Bug' },
    github: { github_pat: fx.github.token, base_branch: 'main', ...github },
    ...extra,
  };
}

/** Plain text of a Jira comment body, ADF (Cloud) or wiki (Server). */
export function commentText(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body);
}
