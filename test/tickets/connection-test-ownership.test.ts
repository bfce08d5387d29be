/**
 * `POST /api/v1/connections/{id}/test` follows the same ownership rule as every other use of a
 * connection: a user's personal connection is tested by that user (or an admin/service), never by
 * another member, who would otherwise learn its account id and email.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraFixture, startJiraFixture } from '../helpers/jira.ts';

describe('connection test ownership', () => {
  let fixture: JiraFixture;
  let aliceConnection: string;
  const as = async (subject: string, roles: string[] = []) => ({ authorization: `Bearer ${await fixture.service.token({ subject, roles })}` });
  const test = async (id: string, headers: { authorization: string }) => fixture.service.app.inject({ method: 'POST', url: `/api/v1/connections/${id}/test`, headers });

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded', { roles: [] });
    const created = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: await as('alice'),
      payload: { provider: 'jira-cloud', name: 'Alice Jira', site_url: fixture.jira.url, email: fixture.jira.credentials.email, api_token: fixture.jira.credentials.apiToken, user_id: 'alice' },
    });
    expect(created.statusCode, created.body).toBe(201);
    aliceConnection = created.json().id;
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it("another member cannot test a user's personal connection: 404, no account details, status untouched", async () => {
    const before = (await fixture.service.app.inject({ method: 'GET', url: `/api/v1/connections/${aliceConnection}`, headers: await as('alice') })).json();
    const response = await test(aliceConnection, await as('bob'));
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('NOT_FOUND');
    expect(response.body).not.toContain(fixture.jira.credentials.email);
    const after = (await fixture.service.app.inject({ method: 'GET', url: `/api/v1/connections/${aliceConnection}`, headers: await as('alice') })).json();
    expect(after.status).toBe(before.status);
  });

  it('the owner and an admin may test it; anyone may test an organization-wide connection', async () => {
    const own = await test(aliceConnection, await as('alice'));
    expect(own.statusCode).toBe(200);
    expect(own.json().ok).toBe(true);
    expect((await test(aliceConnection, await as('root', ['admin']))).statusCode).toBe(200);
    const shared = await test(fixture.connectionId, await as('bob'));
    expect(shared.statusCode).toBe(200);
    expect(shared.json().ok).toBe(true);
  });
});

describe('connection list and read ownership', () => {
  let fixture: JiraFixture;
  let aliceConnection: string;
  const as = async (subject: string, roles: string[] = []) => ({ authorization: `Bearer ${await fixture.service.token({ subject, roles })}` });
  const list = async (headers: { authorization: string }) => fixture.service.app.inject({ method: 'GET', url: '/api/v1/connections', headers });
  const read = async (id: string, headers: { authorization: string }) => fixture.service.app.inject({ method: 'GET', url: `/api/v1/connections/${id}`, headers });

  beforeAll(async () => {
    fixture = await startJiraFixture('embedded', { roles: [] });
    const created = await fixture.service.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: await as('alice'),
      payload: { provider: 'jira-cloud', name: 'Alice Jira', site_url: fixture.jira.url, email: 'alice-own@acme.example', api_token: fixture.jira.credentials.apiToken, user_id: 'alice' },
    });
    expect(created.statusCode, created.body).toBe(201);
    aliceConnection = created.json().id;
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it("another member's list leaves out a user's personal connection (and its account email); the read answers 404", async () => {
    const bobs = await list(await as('bob'));
    expect(bobs.statusCode).toBe(200);
    const ids = bobs.json().connections.map((c: { id: string }) => c.id);
    expect(ids).toContain(fixture.connectionId);
    expect(ids).not.toContain(aliceConnection);
    expect(bobs.body).not.toContain('alice-own@acme.example');
    const read404 = await read(aliceConnection, await as('bob'));
    expect(read404.statusCode).toBe(404);
    expect(read404.body).not.toContain('alice-own@acme.example');
  });

  it('the owner, an admin and a service see it', async () => {
    for (const headers of [await as('alice'), await as('root', ['admin']), await as('svc', ['service'])]) {
      expect((await list(headers)).json().connections.map((c: { id: string }) => c.id)).toContain(aliceConnection);
      expect((await read(aliceConnection, headers)).statusCode).toBe(200);
    }
  });
});
