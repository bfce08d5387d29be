/**
 * Credential sources: a stored credential is refreshed once however many callers find it expired
 * (single flight in process, a SharedState lock across processes, the row re-read after the lock),
 * and a client retries a 401 once when the source renews the credential; a provider that answers an
 * early refresh with the same token is not asked again for that token until it expires.
 */
import { describe, expect, it } from 'vitest';
import { type Credential, type CredentialRefresher, staticCredentials, storedCredentials } from '../../../src/providers/credentials/index.ts';
import { createJiraClient } from '../../../src/providers/jira/index.ts';
import { createMemorySharedState } from '../../../src/shared-state/index.ts';
import type { OutboundClient } from '../../../src/http-client/index.ts';
import { startAtlassianOAuthSimulator } from '../../simulators/atlassian-oauth/index.ts';
import { startJiraCloudSimulator } from '../../simulators/jira/cloud/index.ts';
import { outbound, silentLogger } from '../github/helpers.ts';

const NOW = Date.parse('2026-05-01T10:00:00Z');

function oauth(accessToken: string, expiresAt: number): Credential {
  return { kind: 'oauth2', accessToken, refreshToken: `rt-${accessToken}`, expiresAt: new Date(expiresAt), scopes: ['read:jira-work'] };
}

/** A "row" shared by every source (every process), and a refresher that counts its calls. */
function world() {
  let row = oauth('at-1', NOW - 1000);
  let refreshes = 0;
  const refresher: CredentialRefresher = {
    async refresh(stale) {
      refreshes += 1;
      // The token endpoint takes a moment: concurrent callers pile up meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (stale.kind !== 'oauth2') throw new Error('not oauth');
      row = oauth(`at-${refreshes + 1}`, NOW + 3_600_000);
      return row;
    },
  };
  return { refresher, load: async () => row, refreshes: () => refreshes, row: () => row };
}

describe('stored credential sources', () => {
  it('50 concurrent calls on an expired credential make exactly one refresh, and all get the new token', async () => {
    const w = world();
    const source = storedCredentials({ connectionId: 'c1', kind: 'oauth2', hosts: ['jira.example'], load: w.load, refresher: w.refresher, sharedState: createMemorySharedState(), refreshBeforeMs: 60_000, now: () => NOW });
    const got = await Promise.all(Array.from({ length: 50 }, () => source.current()));
    expect(w.refreshes()).toBe(1);
    expect(new Set(got.map((credential) => (credential.kind === 'oauth2' ? credential.accessToken : '')))).toEqual(new Set(['at-2']));
  });

  it('two processes (two sources, one shared state and one row): one refresh; the second re-reads the row after the lock', async () => {
    const w = world();
    const shared = createMemorySharedState();
    const make = () => storedCredentials({ connectionId: 'c2', kind: 'oauth2', hosts: ['jira.example'], load: w.load, refresher: w.refresher, sharedState: shared, refreshBeforeMs: 60_000, now: () => NOW });
    const [a, b] = [make(), make()];
    const got = await Promise.all([...Array.from({ length: 25 }, () => a.current()), ...Array.from({ length: 25 }, () => b.current())]);
    expect(w.refreshes()).toBe(1);
    expect(got.every((credential) => credential.kind === 'oauth2' && credential.accessToken === 'at-2')).toBe(true);
  });

  it('a 401 on a token that is not yet expired refreshes once; a token someone else renewed is used without a refresh', async () => {
    const w = world();
    const source = storedCredentials({ connectionId: 'c3', kind: 'oauth2', hosts: ['jira.example'], load: w.load, initial: oauth('at-1', NOW + 3_600_000), refresher: w.refresher, sharedState: createMemorySharedState(), refreshBeforeMs: 60_000, now: () => NOW });
    const first = await source.current();
    expect(w.refreshes()).toBe(0);
    const renewed = await Promise.all(Array.from({ length: 10 }, () => source.renewAfterRejection(first)));
    expect(w.refreshes()).toBe(1);
    expect(renewed.every((credential) => credential?.kind === 'oauth2' && credential.accessToken === 'at-2')).toBe(true);
    // Rejected again with the old one: the source already holds a newer credential.
    expect(await source.renewAfterRejection(first)).toMatchObject({ accessToken: 'at-2' });
    expect(w.refreshes()).toBe(1);
  });

  it('a provider that answers an early refresh with the same token (ServiceNow while it is valid): asked once per token by every source, the token used until it expires, then refreshed once; a 401 still refreshes', async () => {
    let clock = NOW;
    let row = oauth('at-1', NOW + 30_000);
    let refreshes = 0;
    const refresher: CredentialRefresher = {
      async refresh(stale) {
        refreshes += 1;
        if (stale.kind !== 'oauth2') throw new Error('not oauth');
        // Still valid at the instance: the same token with what is left of it; expired: a new one.
        row = stale.expiresAt && stale.expiresAt.getTime() > clock ? { ...stale } : oauth(`at-${refreshes + 1}`, clock + 1_800_000);
        return row;
      },
    };
    const shared = createMemorySharedState();
    const make = () => storedCredentials({ connectionId: 'c-same', kind: 'oauth2', hosts: ['sn.example'], load: async () => row, refresher, sharedState: shared, refreshBeforeMs: 60_000, now: () => clock });
    const [a, b] = [make(), make()];
    const first = await Promise.all([...Array.from({ length: 10 }, () => a.current()), ...Array.from({ length: 10 }, () => b.current())]);
    expect(refreshes).toBe(1);
    expect(first.every((credential) => credential.kind === 'oauth2' && credential.accessToken === 'at-1')).toBe(true);
    clock += 20_000;
    await Promise.all([a.current(), b.current(), make().current()]);
    expect(refreshes).toBe(1);

    clock += 11_000; // expired
    const after = await Promise.all([a.current(), b.current(), make().current()]);
    expect(refreshes).toBe(2);
    expect(after.every((credential) => credential.kind === 'oauth2' && credential.accessToken === 'at-3')).toBe(true);

    // A 401 is not answered from the note: it refreshes.
    const renewed = await a.renewAfterRejection(after[0]!);
    expect(refreshes).toBe(3);
    expect(renewed).toBeNull(); // still valid at the instance: the same token, so the 401 stands
  });

  it('without a refresher, or for a static (request-supplied) credential, a 401 stands', async () => {
    const w = world();
    const plain = storedCredentials({ connectionId: 'c4', kind: 'oauth2', hosts: ['jira.example'], load: w.load, sharedState: createMemorySharedState(), refreshBeforeMs: 60_000, now: () => NOW });
    expect(await plain.renewAfterRejection(await plain.current())).toBeNull();
    const pat = staticCredentials({ kind: 'pat', token: 'request-pat' });
    expect(pat.hosts).toBeNull();
    expect(pat.key).not.toContain('request-pat');
    expect(await pat.renewAfterRejection(await pat.current())).toBeNull();
  });
});

describe('clients ask the source at each call and retry a 401 once when it renews', () => {
  it('Jira over the OAuth gateway: a revoked access token is refreshed after the 401 and the call succeeds (one refresh, one retry)', async () => {
    const oauthSim = await startAtlassianOAuthSimulator();
    const sim = await startJiraCloudSimulator({ oauth: oauthSim, cloudId: oauthSim.cloudId, searchLagMs: 0 });
    const http = outbound();
    const statuses: number[] = [];
    const counting: OutboundClient = { ...http, request: async (request) => {
      const response = await http.request(request);
      statuses.push(response.status);
      return response;
    } };
    try {
      // Not expired by its clock, but unknown to the gateway (revoked): only the 401 reveals it.
      let row: Credential = oauth('sim-at-revoked', Date.now() + 3_600_000);
      let refreshes = 0;
      const source = storedCredentials({
        connectionId: 'gateway',
        kind: 'oauth2',
        hosts: [new URL(sim.gatewayUrl).host],
        load: async () => row,
        refresher: {
          async refresh() {
            refreshes += 1;
            const issued = oauthSim.admin.issueTokensDirectly(['read:jira-work', 'write:jira-work', 'read:jira-user', 'offline_access']);
            row = oauth(issued.access_token, Date.now() + 3_600_000);
            return row;
          },
        },
        sharedState: createMemorySharedState(),
        refreshBeforeMs: 60_000,
      });
      const client = createJiraClient({ flavor: 'cloud', baseUrl: sim.gatewayUrl, browseUrl: sim.url, credentials: source, connectionId: 'gateway' }, { http: counting, sharedState: createMemorySharedState(), logger: silentLogger });
      expect((await client.myself()).accountId).toBe(sim.credentials.accountId);
      expect(refreshes).toBe(1);
      expect(statuses).toEqual([401, 200]);
      // The next call uses the renewed token straight away.
      await client.myself();
      expect(statuses).toEqual([401, 200, 200]);
      expect(refreshes).toBe(1);
    } finally {
      await http.close();
      await sim.close();
      await oauthSim.close();
    }
  });
});
