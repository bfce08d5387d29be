/**
 * A process killed between Atlassian's token answer and our write (issue 11, PROVIDER-FACTS §3): a
 * real child process refreshes an expired token; the simulator issues the new tokens (rotating the
 * refresh token) and holds the answer back; the test SIGKILLs the child. The stored refresh token is
 * still the previous one, and the next refresh — in another process, inside Atlassian's 10-minute
 * reuse leeway — still works: the connection stays active and the token family is not revoked.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtlassianOAuthService } from '../../src/services/atlassian-oauth.ts';
import { createPostgresDatabase, databaseKinds } from '../helpers/databases.ts';
import { testEnv } from '../helpers/runtime.ts';
import { exited, waitFor, withRuntime } from '../helpers/wait.ts';
import { type AtlassianOAuthSimulator, startAtlassianOAuthSimulator } from '../simulators/atlassian-oauth/index.ts';

const REDIRECT = 'http://localhost:3001/api/jira/callback';
const childScript = path.resolve(import.meta.dirname, '../fixtures/refreshing-child.ts');

describe.each(databaseKinds())('SIGKILL during a refresh on %s', (kind) => {
  let oauth: AtlassianOAuthSimulator;
  let dir: string;
  let dropDatabase: (() => Promise<void>) | null = null;
  let env: Record<string, string>;

  beforeAll(async () => {
    oauth = await startAtlassianOAuthSimulator({ redirectUris: [REDIRECT] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'is-sigkill-'));
    env = testEnv({ DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn', ATLASSIAN_AUTH_URL: oauth.url, ATLASSIAN_API_URL: oauth.apiUrl, JIRA_CLIENT_ID: oauth.clientId, JIRA_CLIENT_SECRET: oauth.clientSecret, JIRA_REDIRECT_URI: REDIRECT });
    if (kind === 'postgres') {
      const created = await createPostgresDatabase();
      env.DATABASE_URL = created.url;
      dropDatabase = created.drop;
    }
  });
  afterAll(async () => {
    await oauth?.close();
    await dropDatabase?.();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the next refresh in a new process still works', async () => {
    // A connection made through the real consent flow, its access token then due.
    const { orgId, connectionId, sealed } = await withRuntime(env, async ({ context }) => {
      const service = new AtlassianOAuthService(context);
      const orgId = await context.tenants.orgId('demo-org');
      const { authorizationUrl } = await service.begin({ orgId, subject: 'alice', privileged: false }, { kind: 'user', subject: 'alice' });
      const browser = await fetch(authorizationUrl, { redirect: 'manual' });
      const back = new URL(browser.headers.get('location') ?? '');
      const done = await service.complete(Object.fromEntries(back.searchParams), null);
      const connectionId = done.connections[0]!.id;
      await context.db.query(`update connections set expires_at = now() - interval '1 hour' where id = $1::uuid`, [connectionId]);
      const [row] = await context.db.query<{ secrets_encrypted: string }>('select secrets_encrypted from connections where id = $1::uuid', [connectionId]);
      return { orgId, connectionId, sealed: row!.secrets_encrypted };
    });

    oauth.admin.resetTokenCalls();
    oauth.admin.failNextTokenCall({ grantType: 'refresh_token', kind: 'delay-after-issue', ms: 120_000 });
    const child = spawn(process.execPath, [childScript, orgId, connectionId], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += String(chunk)));
    try {
      // The simulator has issued the new tokens (the answer is held back): kill the process now.
      await waitFor(async () => oauth.admin.tokenCalls().history.some((call) => call.grantType === 'refresh_token' && call.status === 200), 60_000);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited(child)).toMatchObject({ signal: 'SIGKILL' });
    expect(output).toContain('refreshing');
    expect(output).not.toContain('refreshed');

    await withRuntime(env, async ({ context }) => {
      // Nothing was written: the previous refresh token is still the stored one.
      const [before] = await context.db.query<{ secrets_encrypted: string; status: string }>('select secrets_encrypted, status from connections where id = $1::uuid', [connectionId]);
      expect(before).toEqual({ secrets_encrypted: sealed, status: 'active' });
      const refreshed = await new AtlassianOAuthService(context).refresh(orgId, connectionId);
      expect(oauth.validateAccessToken(refreshed.accessToken)).toMatchObject({ ok: true });
      const [after] = await context.db.query<{ status: string }>('select status from connections where id = $1::uuid', [connectionId]);
      expect(after!.status).toBe('active');
    });
    expect(oauth.admin.tokenCalls().refresh_token).toBe(2);
    expect(oauth.admin.families().every((family) => !family.revoked)).toBe(true);
  }, 120_000);
});
