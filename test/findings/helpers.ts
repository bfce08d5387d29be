/** Builders and request shortcuts shared by the findings and audit-case API tests. */
import type { TestService } from '../helpers/runtime.ts';

export function vulnerability(index: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'vulnerability',
    title: `Prototype pollution in pkg-${index}`,
    description: 'Upgrade to the fixed version.',
    severity: 'high',
    ecosystem: 'npm',
    package_name: `pkg-${index}`,
    current_version: '1.0.0',
    fixed_version: '1.0.1',
    cve_ids: [`CVE-2024-${String(10000 + index)}`],
    repo_url: 'https://github.com/acme/web',
    manifest_path: 'package.json',
    ...overrides,
  };
}

export function api(service: TestService, org: string, subject = 'tester') {
  let token: string | null = null;
  const auth = async () => {
    token ??= await service.token({ org, subject });
    return { authorization: `Bearer ${token}` };
  };
  return {
    post: async (url: string, payload: unknown) => service.app.inject({ method: 'POST', url, payload: payload as object, headers: await auth() }),
    get: async (url: string) => service.app.inject({ method: 'GET', url, headers: await auth() }),
  };
}
