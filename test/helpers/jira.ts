/** A test service wired to a Jira Cloud simulator through a stored API-token connection. */
import { type JiraCloudSimulator, startJiraCloudSimulator } from '../simulators/jira/cloud/index.ts';
import type { DatabaseKind } from './databases.ts';
import { startTestService, type TestService } from './runtime.ts';

export interface JiraFixture {
  service: TestService;
  jira: JiraCloudSimulator;
  token: string;
  connectionId: string;
  auth: { authorization: string };
  close(): Promise<void>;
}

export async function startJiraFixture(
  kind: DatabaseKind,
  options: { env?: Record<string, string>; searchLagMs?: number; roles?: string[] } = {},
): Promise<JiraFixture> {
  const jira = await startJiraCloudSimulator({ searchLagMs: options.searchLagMs ?? 0 });
  const service = await startTestService(kind, options.env ?? {});
  const token = await service.token({ subject: 'test_user', roles: options.roles ?? ['admin'] });
  const auth = { authorization: `Bearer ${token}` };
  // The organization's connection is an admin's to add, whatever roles the test's own token has.
  const admin = { authorization: `Bearer ${await service.token({ subject: 'org-admin', roles: ['admin'] })}` };
  const created = await service.app.inject({
    method: 'POST',
    url: '/api/v1/connections',
    headers: admin,
    payload: { provider: 'jira-cloud', name: 'Sim Jira', site_url: jira.url, email: jira.credentials.email, api_token: jira.credentials.apiToken },
  });
  if (created.statusCode !== 201) throw new Error(`connection not created: ${created.body}`);
  return {
    service,
    jira,
    token,
    connectionId: created.json().id,
    auth,
    async close() {
      await service.close();
      await jira.close();
    },
  };
}

/** Creates an audit case with `count` violations and returns their ids. */
export async function seedCase(fixture: JiraFixture, count: number, name = 'FedRAMP audit 2026'): Promise<{ caseId: string; violationIds: string[] }> {
  const created = await fixture.service.app.inject({ method: 'POST', url: '/api/v1/cases', headers: fixture.auth, payload: { name, framework: 'FedRAMP' } });
  const caseId = created.json().id as string;
  const violations = Array.from({ length: count }, (_, index) => ({
    title: `Account management control gap ${index + 1}`,
    severity: (['critical', 'high', 'medium', 'low'] as const)[index % 4],
    framework: 'FedRAMP',
    control_id: `AC-${index + 2}`,
    description: `Inactive accounts are not disabled after 90 days (${index + 1}).`,
  }));
  const added = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/violations`, headers: fixture.auth, payload: { violations } });
  if (added.statusCode >= 300) throw new Error(`violations not added: ${added.body}`);
  const body = added.json();
  const list = (body.violations ?? body.findings) as { id: string }[];
  return { caseId, violationIds: list.map((violation) => violation.id) };
}
