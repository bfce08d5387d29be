/**
 * The web UI in a real browser (Debian's Chromium through playwright-core) against a real service on
 * the embedded database and the Jira Cloud and Atlassian OAuth simulators: sign in, connect Jira with
 * a token and with OAuth, edit a
 * mapping (the default row cannot be removed), watch a signed webhook's last delivery time update,
 * create tickets for a selection after a dry-run preview, analytics charts with data, and an axe-core
 * scan of every page (no serious or critical violation). Screenshots of every page at 1280 px and
 * 390 px go to test-artifacts/ui (gitignored).
 */
import { createHmac } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb, isStale } from '../../scripts/build-web.ts';
import { startTestService, type TestService } from '../helpers/runtime.ts';
import { waitFor } from '../helpers/wait.ts';
import { type AtlassianOAuthSimulator, startAtlassianOAuthSimulator } from '../simulators/atlassian-oauth/index.ts';
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../simulators/jira/cloud/index.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../simulators/servicenow/index.ts';
import { axeViolations, DESKTOP, type LaunchedBrowser, launchChromium, newContext, PHONE, screenshot, serious } from './browser.ts';

const ADMIN = { username: 'ui-admin', password: 'correct horse battery staple 1' };

describe('web UI in Chromium', () => {
  let service: TestService;
  let jira: JiraCloudSimulator;
  let oauth: AtlassianOAuthSimulator | null = null;
  let servicenow: ServiceNowSimulator;
  let chromium: LaunchedBrowser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let bearer: { authorization: string };
  let sessionsAvailable = false;
  /** Uncaught errors in the page: none is expected on any page. */
  const pageErrors: string[] = [];

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...bearer, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };

  /** Every page: axe scan with no serious/critical violation, screenshots at 1280 px and 390 px. */
  async function checkPage(name: string) {
    await page.waitForLoadState('networkidle');
    // Let transitions end first (a modal fading in has half-opaque text, which axe rightly measures
    // as low contrast: the dry-run dialog's buttons failed that way now and then).
    await page.waitForFunction(
      () => (globalThis as unknown as { document: { getAnimations(): { playState: string }[] } }).document.getAnimations().every((animation) => animation.playState !== 'running'),
      undefined,
      { timeout: 5_000 },
    );
    expect(pageErrors, `${name}: uncaught errors in the page`).toEqual([]);
    const violations = serious(await axeViolations(page));
    expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
    await screenshot(page, `${name}-1280`);
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(150); // layout settles after the resize (no assertion depends on it)
    // Severity badges show their whole word at phone width ("CRITICAL", never "CRITIC…").
    const cut = await page.locator('[data-severity-badge] .mantine-Badge-label').evaluateAll((labels) =>
      labels.filter((label) => label.scrollWidth > label.clientWidth + 1).map((label) => label.textContent),
    );
    expect(cut, `${name}: severity badges cut at 390 px`).toEqual([]);
    await screenshot(page, `${name}-390`);
    await page.setViewportSize(DESKTOP);
  }

  beforeAll(async () => {
    if (isStale()) await buildWeb();
    // The service's port is chosen first: the OAuth simulator must know the callback URL.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    base = `http://127.0.0.1:${port}`;
    const redirect = `${base}/api/v1/auth/atlassian/callback`;
    jira = await startJiraCloudSimulator({ searchLagMs: 0, validateBearer: (token) => (oauth ? oauth.validateAccessToken(token) : { ok: false, reason: 'unknown' }) } as Parameters<typeof startJiraCloudSimulator>[0]);
    oauth = await startAtlassianOAuthSimulator({ redirectUris: [redirect], sites: [{ cloudId: jira.cloudId, url: 'https://sim-site.atlassian.net', name: 'sim-site' }], products: { jira: jira.url } });
    oauth.admin.setConsent({ cloudIds: [jira.cloudId] });
    servicenow = await startServiceNowSimulator({ outbound: null, redirectUris: [`${base}/oauth/servicenow`] });
    service = await startTestService('embedded', {
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      ATLASSIAN_AUTH_URL: oauth.url,
      ATLASSIAN_API_URL: oauth.apiUrl,
      JIRA_CLIENT_ID: oauth.clientId,
      JIRA_CLIENT_SECRET: oauth.clientSecret,
      JIRA_REDIRECT_URI: redirect,
    });
    await service.context.queue.work((await import('../../src/jobs/handlers/index.ts')).productHandlers(service.context), 2);
    await service.app.listen({ host: '127.0.0.1', port });
    bearer = { authorization: `Bearer ${await service.token({ subject: 'seeder', roles: ['admin'] })}` };
    // The session API is another change (issue 15, sign-in); without it there is no way to sign in.
    sessionsAvailable = (await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status !== 404;

    // Sample data: findings of every severity on two targets; some seen weeks ago and resolved since.
    // Even indexes get resolved below; pkg-2 (critical, first seen 22 days ago) stays open past its SLA.
    const severities = ['critical', 'critical', 'medium', 'low', 'high', 'medium', 'high', 'low'] as const;
    const posted = await api('POST', '/api/v1/findings', {
      findings: severities.map((severity, index) => ({
        kind: 'vulnerability',
        title: `Prototype pollution in pkg-${index + 1}`,
        severity,
        ecosystem: 'npm',
        package_name: `pkg-${index + 1}`,
        current_version: '1.0.0',
        fixed_version: '1.0.1',
        cve_ids: [`CVE-2026-${2000 + index}`],
        repo_url: index % 2 ? 'https://github.com/acme/web' : 'https://github.com/acme/api',
        manifest_path: 'package.json',
      })),
    });
    expect(posted.status).toBe(200);
    const ids = (posted.body.findings as { id: string }[]).map((finding) => finding.id);
    // History the API cannot backdate: first seen 1–25 days ago, half of them resolved since.
    for (const [index, id] of ids.entries()) {
      const seen = 25 - index * 3;
      await service.context.db.orm.execute(sql`update findings set first_seen_at = now() - make_interval(days => ${seen}), created_at = now() - make_interval(days => ${seen}) where id = ${id}`);
      if (index % 2 === 0) {
        await service.context.db.orm.execute(sql`update findings set state = 'done', resolved_at = now() - make_interval(days => ${Math.max(0, seen - 2 - index)}) where id = ${id}`);
      }
    }

    chromium = await launchChromium();
    context = await newContext(chromium.browser, base);
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 180_000);

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail' && page) await screenshot(page, `failed-${test.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
    // The service's error lines explain a 500 the page only shows as a generic message.
    if (test.task.result?.state === 'fail') console.error(service?.logs.filter((line) => /"level":(50|60)/.test(line)).join('').slice(-4000));
  });

  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await service?.close();
    await oauth?.close();
    await jira?.close();
    await servicenow?.close();
  });

  it('signs in with the first admin (ADMIN_USERNAME / ADMIN_PASSWORD)', async (test) => {
    test.skip(!sessionsAvailable, 'the session API (POST /api/v1/session) is not in this build yet: nothing to sign in with');
    await page.goto('/');
    await page.waitForURL(/\/sign-in/);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in to Integration Service' }).isVisible()).toBe(true);
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByRole('textbox', { name: 'Password' }).fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
    await checkPage('sign-in');
    await page.getByRole('textbox', { name: 'Password' }).fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Settings → Integrations' }).waitFor();
    expect(page.url()).toContain('/settings/integrations');
    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.name === 'is_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
  }, 60_000);

  it('connects Jira Cloud with an API token and tests the connection', async (test) => {
    test.skip(!sessionsAvailable, 'needs sign-in (session API missing)');
    const card = page.getByTestId('provider-jira-cloud');
    await card.getByRole('button', { name: 'Connect with a token' }).click();
    const form = card.getByRole('form', { name: 'Connect Jira Cloud with a token' });
    await form.getByLabel('Name').fill('Sim Jira');
    await form.getByLabel('Site URL').fill(jira.url);
    await form.getByLabel('Account email').fill(jira.credentials.email);
    await form.getByRole('textbox', { name: 'API token' }).fill(jira.credentials.apiToken);
    await form.getByRole('button', { name: 'Connect Jira Cloud' }).click();
    await card.getByText('Sim Jira').waitFor();
    await expect.poll(() => card.getByText('Connected', { exact: true }).isVisible()).toBe(true);
    await card.getByRole('button', { name: 'Test' }).click();
    await card.getByRole('status').filter({ hasText: 'Connection works' }).waitFor();
    // The token never comes back to the browser.
    expect(await page.content()).not.toContain(jira.credentials.apiToken);
  }, 60_000);

  it('connects Jira Cloud with OAuth through the Atlassian simulator (consent, callback, status on the card)', async (test) => {
    test.skip(!sessionsAvailable, 'needs sign-in (session API missing)');
    const card = page.getByTestId('provider-jira-cloud');
    await card.getByRole('link', { name: 'Connect with Atlassian' }).click();
    // The simulator consents at once and sends the browser back to our callback.
    await page.waitForURL(/\/api\/v1\/auth\/atlassian\/callback/);
    expect(await page.textContent('body')).toContain('connected');
    await page.goto('/settings/integrations');
    const status = card.getByLabel('Atlassian OAuth connection');
    await status.waitFor();
    expect(await status.textContent()).toContain('sim-site');
    expect(await status.textContent()).toMatch(/Scopes: .*write:jira-work/);
    expect(await status.textContent()).toContain('expires');
  }, 60_000);

  it("connects ServiceNow with OAuth from its card (the instance's OAuth app, consent, callback at /oauth/servicenow)", async (test) => {
    test.skip(!sessionsAvailable, 'needs sign-in (session API missing)');
    await page.goto('/settings/integrations');
    const card = page.getByTestId('provider-servicenow');
    await card.getByRole('button', { name: 'Connect with OAuth' }).click();
    const form = card.getByRole('form', { name: 'Connect ServiceNow with OAuth' });
    await form.getByLabel('Name').fill('Sim SN OAuth');
    await form.getByLabel('Instance URL').fill(servicenow.url);
    await form.getByLabel('Client ID').fill(servicenow.credentials.clientId);
    await form.getByRole('textbox', { name: 'Client secret' }).fill(servicenow.credentials.clientSecret);
    await form.getByRole('button', { name: 'Continue to ServiceNow' }).click();
    // The simulator consents as its integration user and sends the browser back to our callback.
    await page.waitForURL(/\/oauth\/servicenow/);
    expect(await page.textContent('body')).toContain('ServiceNow connected');
    await page.goto('/settings/integrations');
    await card.getByText('Sim SN OAuth').waitFor();
    expect(await page.content()).not.toContain(servicenow.credentials.clientSecret);

    // The instance refuses a refresh (the refresher marks the row reauth_required): the card says so
    // and offers to connect again, as the Atlassian card does.
    await service.context.db.orm.execute(sql`update connections set status = 'reauth_required' where provider = 'servicenow' and name = 'Sim SN OAuth'`);
    try {
      await page.goto('/settings/integrations');
      await card.getByText('Reauth needed').waitFor();
      expect(await card.getByRole('button', { name: 'Reconnect with OAuth' }).isVisible()).toBe(true);
      await screenshot(page, 'integrations-servicenow-reauth');
    } finally {
      await service.context.db.orm.execute(sql`update connections set status = 'active' where provider = 'servicenow' and name = 'Sim SN OAuth'`);
    }
  }, 60_000);

  it('edits a mapping; the default row is shown, locked and cannot be removed', async (test) => {
    test.skip(!sessionsAvailable, 'needs sign-in (session API missing)');
    // The token connection made above (the OAuth one has its own block and mappings).
    const card = page.getByTestId('provider-jira-cloud').locator('[data-testid^="connection-"]').filter({ hasText: 'Sim Jira' });
    await card.getByRole('button', { name: 'Mappings' }).click();
    const defaultRow = card.getByTestId('mapping-status-default');
    await defaultRow.waitFor();
    await expect.poll(() => defaultRow.getByText('default · locked').isVisible()).toBe(true);
    expect(await defaultRow.getByRole('button', { name: /^Remove status default/ }).isDisabled()).toBe(true);

    const form = card.getByRole('form', { name: /Add or change a mapping/ });
    await form.getByLabel('Source').fill('In Progress');
    await form.getByLabel('Target').fill('in_progress');
    await form.getByRole('button', { name: 'Save mapping' }).click();
    const added = card.getByTestId('mapping-status-In Progress');
    await added.waitFor();
    expect(await added.textContent()).toContain('in_progress');
    const connectionId = ((await api('GET', '/api/v1/connections')).body.connections as { id: string; name: string }[]).find((row) => row.name === 'Sim Jira')!.id;
    const rows = (await api('GET', `/api/v1/connections/${connectionId}/mappings`)).body.mappings as { kind: string; source: string; target: string }[];
    expect(rows).toContainEqual(expect.objectContaining({ kind: 'status', source: 'In Progress', target: 'in_progress' }));

    await added.getByRole('button', { name: 'Remove status In Progress' }).click();
    await added.waitFor({ state: 'detached' });

    // Each editor offers the kinds its connection takes (the API's mapping_kinds): Jira's, ServiceNow's.
    const offered = async (scope: typeof card) => {
      await scope.getByRole('form', { name: /Add or change a mapping/ }).getByRole('combobox', { name: 'Kind' }).click();
      const options = await page.getByRole('option').allTextContents();
      await page.keyboard.press('Escape');
      return options;
    };
    expect(await offered(card)).toEqual(['Status', 'Priority', 'Project key', 'Issue type']);
    const snCard = page.getByTestId('provider-servicenow').locator('[data-testid^="connection-"]').filter({ hasText: 'Sim SN OAuth' });
    await snCard.getByRole('button', { name: 'Mappings' }).click();
    await snCard.getByTestId('mapping-status-default').waitFor();
    expect(await offered(snCard)).toEqual(['Status', 'Priority', 'Assignment group', 'Default assignee', 'Close code']);
    await checkPage('integrations');
  }, 60_000);

  it("shows a signed webhook's last delivery time as soon as it arrives (seed 003 validation)", async (test) => {
    test.skip(!sessionsAvailable, 'needs sign-in (session API missing)');
    const last = page.getByTestId('last-delivery-JIRA').first();
    await last.waitFor();
    const before = await last.getAttribute('data-value');
    const summary = (await api('GET', '/api/v1/integrations/summary')).body as { provider: string; webhook: { secret: string } }[];
    const secret = summary.find((entry) => entry.provider === 'JIRA')!.webhook.secret;
    // Seed 003's sample payload, signed as the seed's curl command does (X-Jira-Signature, hex HMAC-SHA256).
    const payload = '{"issue":{"id":"10001","fields":{"summary":"FedRAMP AC-2","status":{"name":"In Progress"},"priority":{"name":"High"},"project":{"key":"FEDRAMP"}}}}';
    const signature = createHmac('sha256', secret).update(payload).digest('hex');
    const delivered = await fetch(`${base}/api/integrations/jira/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-jira-signature': signature }, body: payload });
    expect(delivered.status).toBe(202);
    // No reload: the panel polls and shows the new time.
    await expect.poll(() => last.getAttribute('data-value'), { timeout: 20_000 }).not.toBe(before ?? '');
    expect(await last.textContent()).not.toContain('none yet');
  }, 60_000);

  it('creates tickets for a selection after a dry-run preview of the exact requests', async (test) => {
    test.skip(!sessionsAvailable, 'needs sign-in (session API missing)');
    await page.getByRole('link', { name: 'Ticketing & Workflow' }).click();
    await page.getByRole('heading', { name: 'Ticketing & Workflow' }).waitFor();
    await page.getByText('No tickets yet').waitFor();
    await checkPage('ticketing-empty');
    await page.getByRole('tab', { name: 'Create tickets' }).click();
    await page.getByRole('checkbox', { name: 'Select Prototype pollution in pkg-2' }).check();
    await page.getByRole('checkbox', { name: 'Select Prototype pollution in pkg-4' }).check();
    // A ServiceNow connection exists too (it would be the default tracker): file in the Jira site connected with OAuth.
    await page.getByRole('combobox', { name: 'Tracker' }).click();
    await page.getByRole('option', { name: 'sim-site (Atlassian OAuth)' }).click();
    await page.getByLabel('Project key').fill('SEC');
    await page.getByLabel('Issue type').fill('Bug');
    const ticketCount = async () => ((await api('GET', '/api/v1/tickets')).body.tickets as unknown[]).length;
    expect(await ticketCount()).toBe(0);
    await page.getByRole('button', { name: 'Preview 2 tickets (dry run)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Dry run: the requests that would be sent' });
    await dialog.waitFor();
    // The exact Jira request(s): Cloud creates both issues in one POST /rest/api/3/issue/bulk.
    const requests = dialog.getByTestId('preview-request');
    await expect.poll(() => requests.count()).toBeGreaterThan(0);
    const shown = (await requests.allTextContents()).join('\n');
    expect(shown).toContain('POST');
    expect(shown).toContain('/rest/api/3/issue');
    expect(shown).toContain('"key": "SEC"');
    expect(shown).toContain('Prototype pollution in pkg-2');
    expect(shown).toContain('Prototype pollution in pkg-4');
    expect(await dialog.textContent()).toContain('Nothing has been sent yet');
    expect(await ticketCount()).toBe(0);
    expect(jira.admin.received({ method: 'POST' }).filter((request) => request.path.startsWith('/rest/api/3/issue')).length).toBe(0);
    await checkPage('ticketing-dry-run');
    await dialog.getByRole('button', { name: 'Create 2 tickets' }).click();
    await page.getByRole('status').filter({ hasText: '2 created' }).waitFor();
    expect(await ticketCount()).toBe(2);
    await page.getByRole('tab', { name: 'Tickets', exact: true }).click();
    await expect.poll(() => page.getByRole('link', { name: /^SEC-\d+/ }).count()).toBe(2);
    await checkPage('ticketing');
  }, 90_000);

  it('lists fix pull requests from the PR store with links to GitHub and the tickets', async (test) => {
    test.skip(!sessionsAvailable, 'needs sign-in (session API missing)');
    const tickets = (await api('GET', '/api/v1/tickets')).body.tickets as { id: string; finding_id: string; external_key: string }[];
    const { orgId } = await service.context.tenants.resolve('demo-org', 'seeder');
    const { recordPullRequest } = await import('../../src/services/pull-requests/pr-store.ts');
    await recordPullRequest(service.context.db.orm, {
      orgId,
      connectionId: null,
      repoUrl: 'https://github.com/acme/web',
      branch: 'security/npm/pkg-2',
      baseBranch: 'main',
      number: 42,
      url: 'https://github.com/acme/web/pull/42',
      title: 'Bump pkg-2 from 1.0.0 to 1.0.1',
      state: 'open',
      headSha: null,
      findingIds: [tickets[0]!.finding_id],
      ticketIds: [tickets[0]!.id],
    });
    await page.getByRole('tab', { name: 'Fix PRs' }).click();
    const table = page.getByRole('table', { name: 'Fix pull requests' });
    const link = table.getByRole('link', { name: /#42 Bump pkg-2/ });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('https://github.com/acme/web/pull/42');
    expect(await table.getByRole('link', { name: new RegExp(`^${tickets[0]!.external_key}`) }).count()).toBe(1);
    expect(await table.textContent()).toContain('acme/web');
    await page.getByRole('combobox', { name: 'PR state' }).click();
    await page.getByRole('option', { name: 'merged' }).click();
    await page.getByText('No pull request matches').waitFor();
    await page.getByRole('combobox', { name: 'PR state' }).click();
    await page.getByRole('option', { name: 'open' }).click();
    await link.waitFor();
    // One PR: the end-of-list line says so in the singular.
    await page.getByText('1 pull request · end of list', { exact: true }).waitFor();
    await checkPage('ticketing-fix-prs');
  }, 60_000);

  it('lists findings with filters, opens one with its history, and imports a report with progress', async (test) => {
    test.skip(!sessionsAvailable, 'needs sign-in (session API missing)');
    await page.getByRole('link', { name: 'Findings & audit cases' }).click();
    await page.getByRole('cell', { name: /Prototype pollution in pkg-1\b/ }).waitFor();
    await page.getByRole('combobox', { name: 'Severity' }).click();
    await page.getByRole('option', { name: 'critical' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'Findings' }).getByRole('row').count()).toBe(3); // header + 2 critical
    await checkPage('findings');
    await page.getByRole('link', { name: 'Prototype pollution in pkg-1', exact: true }).click();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    await page.getByText('Resolved (done)').waitFor();
    await checkPage('finding-detail');

    await page.getByRole('link', { name: '← Findings' }).click();
    await page.getByRole('button', { name: 'Import a scanner report' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a scanner report' });
    await dialog.locator('input[type=file]').setInputFiles('test/importers/fixtures/trivy/fs-npm.json');
    await dialog.getByLabel('Target').fill('https://github.com/acme/shop');
    await dialog.getByRole('button', { name: 'Import' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Imported' }).waitFor();
    expect(await dialog.textContent()).toMatch(/Format: trivy/);
  }, 90_000);

  it('lists deliveries and operations', async (test) => {
    test.skip(!sessionsAvailable, 'needs sign-in (session API missing)');
    await page.goto('/deliveries');
    await page.getByRole('table', { name: 'Webhook deliveries' }).waitFor();
    // Keyboard: the first Tab reaches the skip link, with a visible focus ring; Enter moves to the content.
    await page.keyboard.press('Tab');
    const focused = () => page.evaluate(() => {
      const element = (globalThis as unknown as { document: { activeElement: { textContent: string | null; id: string } | null } }).document.activeElement;
      return { text: element?.textContent ?? null, id: element?.id ?? null };
    });
    expect((await focused()).text).toBe('Skip to content');
    expect(await page.locator('a.skip-link').evaluate((element) => (globalThis as unknown as { getComputedStyle(e: unknown): { outlineStyle: string } }).getComputedStyle(element).outlineStyle)).not.toBe('none');
    await page.keyboard.press('Enter');
    expect((await focused()).id).toBe('main');
    await page.keyboard.press('Tab');
    expect((await focused()).text).not.toBe('Skip to content');
    expect(await page.getByRole('table', { name: 'Webhook deliveries' }).textContent()).toContain('valid');
    await checkPage('deliveries');

    // The audit log: the bulk ticket creation above is one operation with its calls to Jira.
    await page.getByRole('tab', { name: 'Audit log' }).click();
    const bulk = page.getByTestId('audit-operation').filter({ hasText: 'POST /api/v1/tickets/bulk' });
    await bulk.first().waitFor();
    await bulk.first().getByRole('button').first().click();
    const calls = page.getByRole('table', { name: 'Outbound calls of POST /api/v1/tickets/bulk' });
    await calls.waitFor();
    // Method, host, path, status, duration (the connection used is the OAuth one: Atlassian's API gateway).
    const cells = await calls.getByRole('row').filter({ hasText: '/rest/api/3/issue/bulk' }).first().getByRole('cell').allTextContents();
    expect(cells[0]).toBe('POST');
    expect(cells[1]).toBe(new URL(oauth!.apiUrl).host);
    expect(cells[2]).toMatch(/\/rest\/api\/3\/issue\/bulk$/);
    expect(cells[3]).toBe('201');
    expect(cells[4]).toMatch(/^\d+ ms$/);
    await checkPage('audit-log');
    // Searched on the server: a host/path only the connection tests called.
    await page.getByLabel('Search').fill('/rest/api/3/myself');
    await expect.poll(async () => (await page.getByTestId('audit-operation').allTextContents()).every((text) => !text.includes('POST /api/v1/tickets/bulk'))).toBe(true);
    await page.getByLabel('Search').fill('no-such-operation-anywhere');
    await page.getByText('No operation matches').waitFor();
  }, 60_000);

  it('renders the analytics charts with data', async (test) => {
    test.skip(!sessionsAvailable, 'needs sign-in (session API missing)');
    await page.getByRole('link', { name: 'Analytics' }).click();
    for (const chart of ['chart-open-resolved', 'chart-time-to-resolve', 'chart-sla']) {
      await page.getByTestId(chart).locator('svg.recharts-surface').first().waitFor();
    }
    await waitFor(async () => ((await page.getByTestId('chart-open-resolved').locator('path.recharts-area-area').count()) >= 2 ? true : null), 10_000);
    expect(await page.getByTestId('chart-time-to-resolve').locator('path.recharts-rectangle').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('chart-sla').locator('path.recharts-rectangle').count()).toBeGreaterThan(0);
    // Counts get whole-number ticks (one breach drew 0, 0.25, 0.5, 0.75, 1 before).
    for (const chart of ['chart-sla', 'chart-open-resolved']) {
      const ticks = await page.getByTestId(chart).locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents();
      expect(ticks.length, chart).toBeGreaterThan(1);
      expect(ticks.filter((tick) => !/^\d+$/.test(tick.trim())), chart).toEqual([]);
    }
    // Per scan target: the report imported through the UI above.
    expect(await page.getByTestId('chart-per-target').textContent()).toContain('https://github.com/acme/shop');
    await checkPage('analytics');
  }, 60_000);
});
