/**
 * `npm run demo`: everything a newcomer needs to watch the service work, on this machine only.
 *
 * Starts the simulators (Jira Cloud, the Atlassian OAuth server, Confluence, GitHub, ServiceNow) and
 * the service (`serve`, embedded database in a fresh temporary DATA_DIR, OUTBOUND_ALLOWED_HOSTS=
 * 127.0.0.1, an admin with a random password), then, through the public API with the admin's
 * session (cookie + X-CSRF-Token, as the web UI calls it): connects Jira Cloud (API token) and
 * GitHub (token), registers the service's Jira and GitHub webhooks (URLs and secrets from
 * GET /api/v1/webhooks) in the simulators, loads sample findings, opens Jira tickets for some and a
 * fix PR (with its ticket) for one, merges that PR in the GitHub simulator — whose signed webhook
 * moves the ticket to Done and resolves the finding — and prints the URL and the sign-in.
 * Runs until Ctrl-C, then stops everything and deletes the temporary folder.
 *
 * PORT (default 3001) picks the service's port. The service's log goes to <DATA_DIR>/service.log.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAtlassianOAuthSimulator } from '../test/simulators/atlassian-oauth/index.ts';
import { startConfluenceSimulator } from '../test/simulators/confluence/index.ts';
import { startGitHubSimulator } from '../test/simulators/github/index.ts';
import { startJiraCloudSimulator } from '../test/simulators/jira/cloud/index.ts';
import { startServiceNowSimulator } from '../test/simulators/servicenow/index.ts';

const root = path.resolve(import.meta.dirname, '..');
const port = Number(process.env.PORT ?? 3001);
const base = `http://localhost:${port}`;
const say = (text: string) => process.stdout.write(`${text}\n`);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'integration-demo-'));
const cleanups: (() => Promise<unknown>)[] = [];
let service: ChildProcess | null = null;
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (service && service.exitCode === null) {
      const exited = new Promise((resolve) => service!.once('exit', resolve));
      service.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
    await Promise.allSettled(cleanups.map((cleanup) => cleanup()));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

/** One API call as the signed-in admin (session cookie and CSRF token, like the web UI). */
let cookie = '';
let csrf = '';
async function call<T = Record<string, unknown>>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(cookie ? { cookie } : {}),
      ...(csrf && method !== 'GET' ? { 'x-csrf-token': csrf } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  const setCookie = response.headers.get('set-cookie');
  if (setCookie) cookie = setCookie.split(';')[0]!;
  return (text ? JSON.parse(text) : {}) as T;
}

async function waitForHealth(deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (service?.exitCode !== null) throw new Error(`the service exited (${service?.exitCode}); see ${path.join(dataDir, 'service.log')}`);
    try {
      const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the service did not answer ${base}/health in time; see ${path.join(dataDir, 'service.log')}`);
}

const sample = (id: string, packageName: string, current: string, fixed: string, severity: string, cve: string, title: string) => ({
  id,
  kind: 'vulnerability',
  title,
  description: `${packageName} ${current} is affected by ${cve}; upgrade to ${fixed}.`,
  severity,
  ecosystem: 'npm',
  package_name: packageName,
  current_version: current,
  fixed_version: fixed,
  cve_ids: [cve],
  manifest_path: 'package.json',
});

try {
  say('Starting the simulators…');
  let oauth: Awaited<ReturnType<typeof startAtlassianOAuthSimulator>> | null = null;
  const validateBearer = (token: string) => (oauth ? oauth.validateAccessToken(token) : { ok: false as const, reason: 'unknown' as const });
  const jira = await startJiraCloudSimulator({ searchLagMs: 0, validateBearer } as Parameters<typeof startJiraCloudSimulator>[0]);
  cleanups.push(() => jira.close());
  const confluence = await startConfluenceSimulator({ cloudId: jira.cloudId, validateBearer } as Parameters<typeof startConfluenceSimulator>[0]);
  cleanups.push(() => confluence.close());
  oauth = await startAtlassianOAuthSimulator({
    sites: [{ cloudId: jira.cloudId, url: jira.url, name: 'sim-site' }],
    products: { jira: jira.url, confluence: confluence.url },
    redirectUris: [`${base}/api/v1/auth/atlassian/callback`, `${base}/api/jira/callback`, `${base}/oauth/jira`],
  });
  cleanups.push(() => oauth!.close());
  const github = await startGitHubSimulator();
  cleanups.push(() => github.close());
  const servicenow = await startServiceNowSimulator();
  cleanups.push(() => servicenow.close());

  const username = 'admin';
  const password = randomBytes(12).toString('base64url');
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(port),
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    REDIS_URL: '',
    NODE_ENV: 'development',
    NTP_SERVER: 'off',
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.1,localhost',
    ADMIN_USERNAME: username,
    ADMIN_PASSWORD: password,
    ADMIN_ORG: 'demo-org',
    // Jira over OAuth against the simulator, for the UI's "Connect with Atlassian" button.
    JIRA_CLIENT_ID: oauth.clientId,
    JIRA_CLIENT_SECRET: oauth.clientSecret,
    JIRA_REDIRECT_URI: `${base}/api/jira/callback`,
    ATLASSIAN_AUTH_URL: oauth.url,
    ATLASSIAN_API_URL: oauth.apiUrl,
  };
  delete env.npm_lifecycle_event; // serve must not tie its life to npm's: this script stops it
  const log = fs.openSync(path.join(dataDir, 'service.log'), 'a');
  say(`Starting the service on ${base} (embedded database in ${dataDir})…`);
  service = spawn(process.execPath, [path.join(root, 'src/main/cli.ts'), 'serve'], { cwd: root, env, stdio: ['ignore', log, log] });
  await waitForHealth(180_000);

  say('Signing in and setting up through the API…');
  const session = await call<{ csrf_token: string }>('POST', '/api/v1/session', { username, password });
  csrf = session.csrf_token;

  const jiraConnection = await call<{ id: string }>('POST', '/api/v1/connections', {
    provider: 'jira-cloud',
    name: 'Jira Cloud (simulator)',
    site_url: jira.url,
    email: jira.credentials.email,
    api_token: jira.credentials.apiToken,
  });
  await call('POST', '/api/v1/connections', { provider: 'github', name: 'GitHub (simulator)', api_url: github.apiUrl, token: github.token });

  // Webhooks, as an admin sets them up: the service's URLs and secrets from its API, registered in
  // Jira (admin → System → WebHooks) and on the GitHub repository (Settings → Webhooks, pull_request).
  const { webhooks } = await call<{ webhooks: { provider: string; url: string; endpoint_url: string; secret?: string }[] }>('GET', '/api/v1/webhooks');
  const hookOf = (provider: string) => {
    const hook = webhooks.find((candidate) => candidate.provider === provider);
    if (!hook?.secret) throw new Error(`GET /api/v1/webhooks gave no ${provider} endpoint with its secret`);
    return hook;
  };
  jira.admin.registerWebhook({ url: hookOf('jira').url, secret: hookOf('jira').secret! });
  github.admin.addWebhook({ url: hookOf('github').endpoint_url, secret: hookOf('github').secret!, events: ['pull_request'], repo: 'acme/web' });
  say('  Jira and GitHub webhooks registered to the service');

  const repoUrl = `${github.url}/acme/web`;
  const samples = [
    sample('demo-lodash', 'lodash', '4.17.15', '4.17.21', 'high', 'CVE-2021-23337', 'Command injection in lodash'),
    sample('demo-minimist', 'minimist', '1.2.5', '1.2.6', 'critical', 'CVE-2021-44906', 'Prototype pollution in minimist'),
    sample('demo-axios', 'axios', '0.21.1', '0.21.2', 'high', 'CVE-2021-3749', 'ReDoS in axios'),
    sample('demo-express', 'express', '4.17.1', '4.20.0', 'medium', 'CVE-2024-43796', 'XSS in express redirects'),
  ];
  const loaded = await call<{ findings: { id: string }[] }>('POST', '/api/v1/findings', { findings: samples.map(({ id: _id, ...finding }) => ({ ...finding, repo_url: repoUrl })) });
  say(`  ${loaded.findings.length} sample findings loaded (acme/web)`);

  const bulk = await call<{ summary: Record<string, number> }>('POST', '/api/v1/tickets/bulk', {
    finding_ids: loaded.findings.slice(1).map((finding) => finding.id),
    connection_id: jiraConnection.id,
    project_key: 'SEC',
    issue_type: 'Bug',
  });
  say(`  Jira tickets opened for 3 findings: ${JSON.stringify(bulk.summary)}`);

  // Seed 000's call: a ticket and a fix PR for lodash, the PR linked on the ticket.
  const run = await call<{ results: { jira: { issue_key?: string }; github: { pr_number?: number; pr_url?: string; status: string } }[] }>(
    'POST',
    '/internal/create-issues-and-prs',
    {
      vulnerabilities: [{ ...samples[0]!, id: 'demo-lodash' }],
      // The organization's stored Jira connection (the closed loop moves the ticket with it later).
      jira: { project_key: 'SEC', issue_type: 'Bug' },
      github: { repo_url: repoUrl, github_pat: github.token, base_branch: 'main' },
    },
  );
  const [result] = run.results;
  const prNumber = result?.github.pr_number;
  say(`  fix PR ${result?.github.pr_url ?? '(not opened)'} for ticket ${result?.jira.issue_key ?? '?'}`);

  if (prNumber) {
    const merge = await fetch(`${github.apiUrl}/repos/acme/web/pulls/${prNumber}/merge`, {
      method: 'PUT',
      headers: { authorization: `token ${github.token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' },
      body: JSON.stringify({ merge_method: 'squash' }),
    });
    if (!merge.ok) {
      say(`  merging PR #${prNumber} failed: ${merge.status} ${await merge.text()}`);
    } else {
      say(`  PR #${prNumber} merged in the GitHub simulator; its signed pull_request webhook closes the loop…`);
      // GitHub's delivery -> the service's webhook_delivery job -> a transition job walks the Jira issue to Done.
      const key = result?.jira.issue_key;
      const until = Date.now() + 60_000;
      let status = '';
      while (key && Date.now() < until) {
        const page = await call<{ tickets: { external_key: string | null; external_status: string | null; state: string }[] }>('GET', '/api/v1/tickets?limit=200');
        const ticket = page.tickets.find((candidate) => candidate.external_key === key);
        status = ticket ? `${ticket.external_status} (${ticket.state})` : '';
        if (ticket?.state === 'done') break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      say(`  ticket ${key ?? '?'} is now ${status || 'unknown'}: merged PR -> ticket done -> finding resolved`);
    }
  }

  say('');
  say(`Integration Service demo is running: ${base}`);
  say(`Sign in as ${username} with password ${password}`);
  say(`Simulators: Jira ${jira.url}  GitHub ${github.url}  ServiceNow ${servicenow.url}  Confluence ${confluence.url}`);
  say(`Service log: ${path.join(dataDir, 'service.log')}. Ctrl-C stops everything and deletes ${dataDir}.`);
  service.once('exit', (code) => {
    if (!stopping) {
      process.stderr.write(`the service exited (${code}); see the log above\n`);
      void stop(1);
    }
  });
} catch (error) {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  await stop(1);
}
