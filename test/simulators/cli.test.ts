/**
 * The simulators launcher as a user runs it: one JSON line on stdout whose URLs and credentials work
 * (a real git clone and push with the printed token, Jira calls with the printed API token and PAT,
 * ServiceNow Table API and token calls with the printed user and OAuth client),
 * then a clean exit on SIGTERM.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

const launcher = path.resolve(import.meta.dirname, 'cli.ts');

describe('npm run simulators', () => {
  it('prints one JSON line with working credentials and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [launcher], { stdio: ['ignore', 'pipe', 'pipe'] });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-cli-'));
    try {
      const lines = createInterface({ input: child.stdout! });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`launcher exited early with ${code}`)));
      });
      const info = JSON.parse(first);
      expect(Object.keys(info).sort()).toEqual(['atlassianOAuth', 'confluence', 'github', 'jira', 'jiraServer', 'servicenow']);
      const wikiAuth = `Basic ${Buffer.from(`${info.confluence.email}:${info.confluence.apiToken}`).toString('base64')}`;
      expect((await fetch(`${info.confluence.url}/wiki/api/v2/spaces`, { headers: { authorization: wikiAuth } })).status).toBe(200);
      expect(info.github.app.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
      expect(info.atlassianOAuth.apiUrl).toBe(info.atlassianOAuth.url);
      // The whole 3LO round trip, then Confluence through the api.atlassian.com stand-in.
      const oa = info.atlassianOAuth;
      const consent = await fetch(
        `${oa.authUrl}?${new URLSearchParams({ audience: 'api.atlassian.com', client_id: oa.clientId, scope: 'read:space:confluence offline_access', redirect_uri: oa.redirectUris[0], state: 'cli-test', response_type: 'code', prompt: 'consent' })}`,
        { redirect: 'manual' },
      );
      const code = new URL(consent.headers.get('location') ?? '').searchParams.get('code') ?? '';
      const tokenAnswer = await fetch(oa.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'authorization_code', client_id: oa.clientId, client_secret: oa.clientSecret, code, redirect_uri: oa.redirectUris[0] }),
      });
      const { access_token: accessToken } = (await tokenAnswer.json()) as { access_token: string };
      const spaces = await fetch(`${oa.apiUrl}/ex/confluence/${info.confluence.cloudId}/wiki/api/v2/spaces`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(spaces.status).toBe(200);

      const basic = Buffer.from(`${info.jira.email}:${info.jira.apiToken}`).toString('base64');
      const myself = await fetch(`${info.jira.url}/rest/api/3/myself`, { headers: { authorization: `Basic ${basic}` } });
      expect(myself.status).toBe(200);
      const server = await fetch(`${info.jiraServer.url}/rest/api/2/myself`, { headers: { authorization: `Bearer ${info.jiraServer.pat}` } });
      expect(server.status).toBe(200);
      const snAuth = `Basic ${Buffer.from(`${info.servicenow.username}:${info.servicenow.password}`).toString('base64')}`;
      const incidents = await fetch(`${info.servicenow.url}/api/now/table/incident`, { headers: { authorization: snAuth, accept: 'application/json' } });
      expect(incidents.status).toBe(200);
      const token = await fetch(`${info.servicenow.url}/oauth_token.do`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', client_id: info.servicenow.clientId, client_secret: info.servicenow.clientSecret, username: info.servicenow.username, password: info.servicenow.password }),
      });
      expect(token.status).toBe(200);

      const header = `Authorization: Basic ${Buffer.from(`x-access-token:${info.github.token}`).toString('base64')}`;
      const repo = info.github.repos[0];
      const dir = path.join(work, 'clone');
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', `http.extraHeader=${header}`, '-c', 'user.name=Tester', '-c', 'user.email=t@example.com', ...args], {
          cwd: work,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      git('clone', `${info.github.url}/${repo}.git`, dir);
      expect(fs.existsSync(path.join(dir, '.git'))).toBe(true);
      fs.writeFileSync(path.join(dir, 'NOTE.md'), 'pushed by the launcher test\n');
      git('-C', dir, 'checkout', '-b', 'launcher-test');
      git('-C', dir, 'add', 'NOTE.md');
      git('-C', dir, 'commit', '-m', 'launcher test');
      git('-C', dir, 'push', 'origin', 'launcher-test');
      const branch = await fetch(`${info.github.apiUrl}/repos/${repo}/branches/launcher-test`, { headers: { authorization: `Bearer ${info.github.token}` } });
      expect(branch.status).toBe(200);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
