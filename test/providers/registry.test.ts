/**
 * The provider registry: every descriptor validates at start, a malformed one is refused naming the
 * provider and the path, and the connection body schema derived from them accepts the bodies of
 * ../shared/SPEC.md §3 exactly as before.
 */
import { describe, expect, it } from 'vitest';
import { buildRegistry, codeHostFor, connectionInputSchema, creatableProviders, providerRegistry, resolveUrl } from '../../src/providers/registry.ts';
import { githubDescriptor } from '../../src/providers/github/descriptor.ts';
import { credentialHosts } from '../../src/services/connections.ts';

describe('provider registry', () => {
  it('holds every provider, validated, with its kind', () => {
    expect([...providerRegistry.keys()]).toEqual(['jira-cloud', 'jira-server', 'github', 'servicenow', 'confluence']);
    expect(providerRegistry.get('servicenow')!.descriptor.kind).toBe('ticketing');
    expect(providerRegistry.get('confluence')!.descriptor.kind).toBe('wiki');
    // ServiceNow is described, not wired for pasted connections yet; Confluence has its connection test.
    expect(creatableProviders().map((entry) => entry.descriptor.id)).toEqual(['jira-cloud', 'jira-server', 'github', 'servicenow', 'confluence']);
  });

  it('refuses a malformed descriptor at start, naming the provider and the path', () => {
    const bad = { ...githubDescriptor, fields: [{ ...githubDescriptor.fields[0]!, https: false }] };
    expect(() => buildRegistry([{ descriptor: bad }])).toThrow(/provider descriptor github is invalid: .*api_url must say https: true/);
    const twice = { ...githubDescriptor, auth: [githubDescriptor.auth[0]!, githubDescriptor.auth[0]!] };
    expect(() => buildRegistry([{ descriptor: twice }])).toThrow(/auth: an auth kind is listed twice/);
  });

  it('the derived body schema accepts the SPEC §3 bodies and refuses what is not creatable', () => {
    const schema = connectionInputSchema();
    const ok = [
      { provider: 'jira-cloud', name: 'Acme Jira', site_url: 'https://acme.atlassian.net', email: 'bot@acme.com', api_token: 'tok', user_id: null },
      { provider: 'jira-server', name: 'DC', site_url: 'https://jira.acme.internal', pat: 'pat' },
      { provider: 'github', name: 'GH', api_url: 'https://api.github.com', token: 'ghp' },
      { provider: 'github', name: 'GH', token: 'ghp' },
      { provider: 'jira-server', auth_kind: 'basic', name: 'DC', site_url: 'https://jira.acme.internal', username: 'bot', password: 'pw' },
      { provider: 'servicenow', auth_kind: 'basic', name: 'SN', instance_url: 'https://dev1.service-now.com', username: 'u', password: 'p' },
      { provider: 'servicenow', auth_kind: 'basic', name: 'SN', instance_url: 'https://dev1.service-now.com', table: 'sn_vul_vulnerable_item', username: 'u', password: 'p' },
    ];
    for (const body of ok) expect(schema.safeParse(body).success, JSON.stringify(body)).toBe(true);
    const refused = [
      { provider: 'jira-cloud', name: 'x', site_url: 'https://acme.atlassian.net', api_token: 'tok' },
      { provider: 'servicenow', auth_kind: 'basic', name: 'x', instance_url: 'https://dev1.service-now.com', table: 'Bad Table', username: 'u', password: 'p' },
      { provider: 'github', auth_kind: 'oauth2', name: 'x', token: 't' },
      { provider: 'jira-server', auth_kind: 'basic', name: 'DC', site_url: 'https://jira.acme.internal', pat: 'pat' },
    ];
    for (const body of refused) expect(schema.safeParse(body).success, JSON.stringify(body)).toBe(false);
  });

  it('derives where secrets may go and resolves configurable URLs', () => {
    expect(credentialHosts({ provider: 'github', auth_kind: 'pat', site_url: null, api_url: null })).toEqual(['api.github.com', 'github.com']);
    expect(credentialHosts({ provider: 'jira-cloud', auth_kind: 'oauth2', site_url: 'https://acme.atlassian.net', api_url: null }, { ATLASSIAN_API_URL: 'https://127.0.0.1:9999' })).toEqual([
      'acme.atlassian.net',
      '127.0.0.1:9999',
    ]);
    const mode = providerRegistry.get('jira-cloud')!.descriptor.auth.find((m) => m.kind === 'oauth2')!;
    if (mode.kind !== 'oauth2') throw new Error('oauth2 expected');
    expect(resolveUrl(mode.tokenUrl, {})).toBe('https://auth.atlassian.com/oauth/token');
    expect(resolveUrl(mode.apiBaseUrl!, {}, { cloud_id: 'abc' })).toBe('https://api.atlassian.com/ex/jira/abc');
  });

  it('finds the code host of a repository URL', () => {
    expect(codeHostFor('https://github.com/acme/web').repo).toMatchObject({ owner: 'acme', repo: 'web', apiUrl: 'https://api.github.com' });
    expect(() => codeHostFor('not a url')).toThrow();
  });
});
