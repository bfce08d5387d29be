/**
 * Refresh before expiry for a stored ServiceNow OAuth connection, through the public API, the
 * runtime's ServiceNow refresher and the simulator's oauth_token.do, on both databases. The stored
 * access token is inside the descriptor's refresh margin (60 s) but not expired: five concurrent
 * ticket requests refresh it once (single-flight: one refresh grant, form-encoded, under the
 * connection's lock), before any Table API call (no 401 spent), and the renewed credential is
 * persisted sealed with its new expiry. Two cases, since ServiceNow answers a grant made while the
 * client's access token is still valid with that same token and its remaining lifetime
 * (PROVIDER-FACTS §5):
 * - our stored expiry is earlier than the instance's (a token whose expires_in we under-read): the
 *   refresh returns the same token with its real lifetime, stored; later calls refresh no more;
 * - both clocks agree the token has seconds left: the refresh cannot buy a new one early, so the
 *   token is used as it is until it expires (one refresh attempt for the window, not one per
 *   request), and after it expires on the instance one refresh buys a new token.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connections } from '../../src/db/schema.ts';
import { openSecret, sealSecret } from '../../src/services/secret-columns.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { type ServiceNowSimulator, startServiceNowSimulator } from '../simulators/servicenow/index.ts';
import { type ListeningService, post, startListening } from '../webhooks/helpers.ts';

const json = { 'content-type': 'application/json' };
const SCOPES = ['ticket.read', 'ticket.write'];

describe.each(databaseKinds())('ServiceNow OAuth: refresh before expiry (%s)', (kind) => {
  let listening: ListeningService;
  let sn: ServiceNowSimulator;
  let orgId: string;
  let serial = 0;

  beforeAll(async () => {
    listening = await startListening(kind);
    sn = await startServiceNowSimulator({ outbound: null });
    orgId = await listening.service.context.tenants.orgId('demo-org');
  }, 60_000);
  afterEach(() => sn.admin.reset());
  afterAll(async () => {
    await sn?.close();
    await listening?.close();
  });

  const db = () => listening.service.context.db;
  const refreshGrants = () => sn.admin.received({ method: 'POST', path: '/oauth_token.do' }).filter((entry) => String(entry.body).includes('grant_type=refresh_token'));
  const tableCalls = () => sn.admin.requests.entries.filter((entry) => entry.path.startsWith('/api/now/table/'));

  /** An OAuth connection as the consent flow stores it, with tokens the instance issued and our expiry `expiresInMs` from now. */
  async function storedConnection(tokens: { access_token: string; refresh_token: string }, expiresInMs: number): Promise<string> {
    const id = randomUUID();
    const secrets = { access_token: tokens.access_token, refresh_token: tokens.refresh_token, client_id: sn.credentials.clientId, client_secret: sn.credentials.clientSecret };
    await db().orm.insert(connections).values({
      id,
      orgId,
      provider: 'servicenow',
      authKind: 'oauth2',
      name: `SN OAuth ${kind} ${++serial}`,
      siteUrl: sn.url,
      settings: { table: 'incident' },
      scopes: SCOPES,
      expiresAt: new Date(Date.now() + expiresInMs),
      secretsEncrypted: sealSecret(listening.service.context.keyRing, 'connections', id, JSON.stringify(secrets)),
    });
    return id;
  }

  async function tickets(connectionId: string, count: number, label: string) {
    const created = await post(
      `${listening.url}/api/v1/findings`,
      JSON.stringify({ findings: Array.from({ length: count }, (_, i) => ({ kind: 'violation', title: `${label} ${i}`, severity: 'high', framework: 'ISO27001', control_id: `A.${label}.${i}` })) }),
      { ...listening.admin, ...json },
    );
    expect(created.status, JSON.stringify(created.json)).toBeLessThan(300);
    const ids = (created.json.findings as { id: string }[]).map((finding) => finding.id);
    const answers = await Promise.all(ids.map((id) => post(`${listening.url}/api/v1/tickets`, JSON.stringify({ finding_id: id, connection_id: connectionId }), { ...listening.admin, ...json })));
    for (const answer of answers) expect(answer.status, JSON.stringify(answer.json)).toBeLessThan(300);
    expect(sn.admin.records('incident').filter((record) => record.short_description?.includes(label))).toHaveLength(count);
  }

  async function stored(connectionId: string): Promise<{ accessToken: string; expiresAt: Date }> {
    const [row] = await db().query<{ secrets_encrypted: string; expires_at: Date | string }>('select secrets_encrypted, expires_at from connections where id = $1::uuid', [connectionId]);
    const secrets = JSON.parse(openSecret(listening.service.context.keyRing, 'connections', connectionId, row!.secrets_encrypted)) as { access_token: string };
    return { accessToken: secrets.access_token, expiresAt: new Date(row!.expires_at) };
  }

  it('a token our row says expires within the margin (the instance gives it 30 min): one refresh for five concurrent requests, before any call; the real expiry stored', async () => {
    const tokens = sn.admin.issueTokensDirectly(sn.credentials.username, SCOPES);
    const connectionId = await storedConnection(tokens, 30_000);
    sn.admin.requests.clear();

    await tickets(connectionId, 5, `early-refresh-${kind}`);

    const grants = refreshGrants();
    expect(grants).toHaveLength(1);
    expect(String(grants[0]!.headers['content-type'])).toContain('application/x-www-form-urlencoded');
    // The refresh came first: no Table API call was answered 401, and every one carried the token.
    const calls = tableCalls();
    expect(calls.length).toBeGreaterThanOrEqual(5);
    expect(calls.filter((call) => call.status === 401)).toEqual([]);
    expect(sn.admin.requests.entries.findIndex((entry) => entry.path === '/oauth_token.do')).toBeLessThan(sn.admin.requests.entries.findIndex((entry) => entry.path.startsWith('/api/now/table/')));
    const after = await stored(connectionId);
    expect(after.accessToken).toBe(tokens.access_token);
    expect(after.expiresAt.getTime()).toBeGreaterThan(Date.now() + 25 * 60_000);

    // Renewed: later requests use it without another refresh.
    await tickets(connectionId, 2, `early-refresh-later-${kind}`);
    expect(refreshGrants()).toHaveLength(1);
  }, 60_000);

  it('a token with seconds left on both sides: one refresh attempt (the instance answers the same token), used as it is until it expires; then one refresh buys a new token', async () => {
    const tokens = sn.admin.issueTokensDirectly(sn.credentials.username, SCOPES);
    sn.admin.advanceClock((1800 - 40) * 1000); // 40 s left on the instance
    const connectionId = await storedConnection(tokens, 40_000);
    sn.admin.requests.clear();

    await tickets(connectionId, 5, `late-refresh-${kind}`);
    await tickets(connectionId, 2, `late-refresh-again-${kind}`);
    expect(refreshGrants()).toHaveLength(1);
    expect(tableCalls().filter((call) => call.status === 401)).toEqual([]);
    expect((await stored(connectionId)).accessToken).toBe(tokens.access_token);

    // Expired on the instance (and on our side: the row's expiry moved back past now): one refresh, a new token.
    sn.admin.advanceClock(60_000);
    await db().query("update connections set expires_at = now() - interval '1 second' where id = $1::uuid", [connectionId]);
    await tickets(connectionId, 3, `late-refresh-expired-${kind}`);
    expect(refreshGrants()).toHaveLength(2);
    const renewed = await stored(connectionId);
    expect(renewed.accessToken).not.toBe(tokens.access_token);
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(Date.now() + 25 * 60_000);
  }, 60_000);
});
