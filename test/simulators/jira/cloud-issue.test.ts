import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraCloudSimulator, startJiraCloudSimulator } from './cloud/index.ts';
import { adf, call } from './helpers.ts';

let sim: JiraCloudSimulator;
let api: string;
let auth: string;

beforeAll(async () => {
  sim = await startJiraCloudSimulator();
  api = `${sim.url}/rest/api/3`;
  auth = sim.credentials.basicAuthHeader;
});
afterAll(() => sim.close());

const base = (fields: Record<string, unknown> = {}) => ({
  fields: { project: { key: 'SEC' }, issuetype: { name: 'Bug' }, summary: 'Log4Shell in api', description: adf('Upgrade log4j'), ...fields },
});

describe('Jira Cloud create issue', () => {
  it('creates with ADF description and answers 201 {id,key,self} with a string id', async () => {
    const res = await call(`${api}/issue`, { auth, body: base({ labels: ['security', 'cve-2021-44228'], priority: { name: 'Blocker' } }) });
    expect(res.status).toBe(201);
    const body = res.json as { id: string; key: string; self: string };
    expect(typeof body.id).toBe('string');
    expect(body.key).toMatch(/^SEC-\d+$/);
    expect(body.self).toBe(`${api}/issue/${body.id}`);
    const got = await call(`${api}/issue/${body.key}`, { auth });
    const fields = (got.json as { fields: { description: unknown; priority: { name: string }; status: { name: string }; reporter: { accountId: string } } }).fields;
    expect(fields.description).toEqual(adf('Upgrade log4j'));
    expect(fields.priority.name).toBe('Blocker');
    expect(fields.status.name).toBe('To Do');
    expect(fields.reporter.accountId).toBe(sim.credentials.accountId);
  });

  it('refuses a plain-string description on v3', async () => {
    const res = await call(`${api}/issue`, { auth, body: base({ description: 'plain text' }) });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      errorMessages: [],
      errors: { description: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)' },
    });
  });

  it('refuses a plain string in a textarea custom field and in environment', async () => {
    const res = await call(`${api}/issue`, { auth, body: base({ customfield_10051: 'notes', environment: 'prod' }) });
    expect(res.status).toBe(400);
    const errors = (res.json as { errors: Record<string, string> }).errors;
    expect(errors.customfield_10051).toMatch(/Atlassian Document/);
    expect(errors.environment).toMatch(/Atlassian Document/);
  });

  it.each([
    ['empty text node', { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: '' }] }] }],
    ['wrong version', { type: 'doc', version: 2, content: [] }],
    ['unknown node', { type: 'doc', version: 1, content: [{ type: 'blink', content: [] }] }],
    ['text at block level', { type: 'doc', version: 1, content: [{ type: 'text', text: 'x' }] }],
    ['cell outside a row', { type: 'doc', version: 1, content: [{ type: 'table', content: [{ type: 'tableCell', content: [] }] }] }],
    ['code with strong', { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x', marks: [{ type: 'code' }, { type: 'strong' }] }] }] }],
    ['taskList without localId', { type: 'doc', version: 1, content: [{ type: 'taskList', content: [] }] }],
    ['list starting with a list', { type: 'doc', version: 1, content: [{ type: 'bulletList', content: [{ type: 'listItem', content: [{ type: 'bulletList', content: [] }] }] }] }],
  ])('answers INVALID_INPUT for a malformed document (%s)', async (_name, doc) => {
    const res = await call(`${api}/issue`, { auth, body: base({ description: doc }) });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ errorMessages: ['INVALID_INPUT'], errors: {} });
  });

  it('accepts a well-formed table', async () => {
    const cell = (type: string, text: string) => ({ type, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });
    const doc = {
      type: 'doc',
      version: 1,
      content: [{ type: 'table', content: [{ type: 'tableRow', content: [cell('tableHeader', 'Package'), cell('tableHeader', 'Fix')] }, { type: 'tableRow', content: [cell('tableCell', 'log4j'), cell('tableCell', '2.17.1')] }] }],
    };
    expect((await call(`${api}/issue`, { auth, body: base({ description: doc }) })).status).toBe(201);
  });

  it('refuses a description over 32,767 characters', async () => {
    const res = await call(`${api}/issue`, { auth, body: base({ description: adf('x'.repeat(32_800)) }) });
    expect(res.status).toBe(400);
    expect((res.json as { errors: Record<string, string> }).errors.description).toBe(
      'The entered text is too long. It exceeds the allowed limit of 32,767 characters.',
    );
  });

  it('requires project, issue type and summary with Cloud wording', async () => {
    const res = await call(`${api}/issue`, { auth, body: { fields: {} } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      errorMessages: [],
      errors: { project: 'Specify a valid project ID or key', issuetype: 'Specify an issue type', summary: 'You must specify a summary of the issue.' },
    });
  });

  it('refuses summaries over 255 characters or with newlines', async () => {
    const long = await call(`${api}/issue`, { auth, body: base({ summary: 'x'.repeat(256) }) });
    expect((long.json as { errors: Record<string, string> }).errors.summary).toBe('Summary must be less than 255 characters.');
    const newline = await call(`${api}/issue`, { auth, body: base({ summary: 'a\nb' }) });
    expect(newline.status).toBe(400);
    expect((newline.json as { errors: Record<string, string> }).errors.summary).toMatch(/newline/);
  });

  it('refuses unknown fields and fields not on the screen', async () => {
    const res = await call(`${api}/issue`, { auth, body: base({ customfield_99999: 'x', reporter: { accountId: sim.credentials.accountId } }) });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      errorMessages: [],
      errors: {
        customfield_99999: "Field 'customfield_99999' cannot be set. It is not on the appropriate screen, or unknown.",
        reporter: "Field 'reporter' cannot be set. It is not on the appropriate screen, or unknown.",
      },
    });
    // environment is only on the Bug screen
    const task = await call(`${api}/issue`, { auth, body: base({ issuetype: { name: 'Task' }, environment: adf('prod') }) });
    expect((task.json as { errors: Record<string, string> }).errors.environment).toMatch(/cannot be set/);
  });

  it('refuses unknown project, unknown issue type, unknown priority, labels with spaces', async () => {
    const project = await call(`${api}/issue`, { auth, body: base({ project: { key: 'NOPE' } }) });
    expect((project.json as { errors: Record<string, string> }).errors.project).toBe('Specify a valid project ID or key');
    const type = await call(`${api}/issue`, { auth, body: base({ issuetype: { name: 'Epic' } }) });
    expect((type.json as { errors: Record<string, string> }).errors.issuetype).toBe('The issue type selected is invalid.');
    const priority = await call(`${api}/issue`, { auth, body: base({ priority: { name: 'Critical' } }) });
    expect(priority.status).toBe(400);
    expect((priority.json as { errors: Record<string, string> }).errors.priority).toBeDefined();
    const labels = await call(`${api}/issue`, { auth, body: base({ labels: ['two words'] }) });
    expect((labels.json as { errors: Record<string, string> }).errors.labels).toBe("The label 'two words' contains spaces which is invalid.");
  });

  it('wants assignee as accountId on Cloud; a user name is refused', async () => {
    const byName = await call(`${api}/issue`, { auth, body: base({ assignee: { name: 'bob' } }) });
    expect(byName.status).toBe(400);
    expect((byName.json as { errors: Record<string, string> }).errors.assignee).toBe('Specify a valid value for assignee');
    const bob = sim.credentials.users.find((u) => u.name === 'bob');
    const ok = await call(`${api}/issue`, { auth, body: base({ assignee: { accountId: bob?.accountId } }) });
    expect(ok.status).toBe(201);
  });

  it('enforces required fields of a stricter project', async () => {
    const res = await call(`${api}/issue`, { auth, body: base({ project: { key: 'FEDRAMP' } }) });
    expect(res.status).toBe(400);
    expect((res.json as { errors: Record<string, string> }).errors).toMatchObject({ customfield_10052: 'Severity is required.' });
  });

  it('hides projects the caller cannot see (viewer)', async () => {
    const viewer = sim.credentials.users.find((u) => u.name === 'viewer');
    const viewerAuth = `Basic ${Buffer.from(`${viewer?.email}:${viewer?.apiToken}`).toString('base64')}`;
    const res = await call(`${api}/issue`, { auth: viewerAuth, body: base({ project: { key: 'COMP' }, issuetype: { name: 'Task' } }) });
    expect((res.json as { errors: Record<string, string> }).errors.project).toBe('Specify a valid project ID or key');
    const created = await call(`${api}/issue`, { auth, body: base({ project: { key: 'COMP' }, issuetype: { name: 'Task' } }) });
    const key = (created.json as { key: string }).key;
    const hidden = await call(`${api}/issue/${key}`, { auth: viewerAuth });
    expect(hidden.status).toBe(404);
    expect(hidden.json).toEqual({ errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
  });
});

describe('Jira Cloud bulk create', () => {
  it('refuses the 51st issue update', async () => {
    const res = await call(`${api}/issue/bulk`, { auth, body: { issueUpdates: Array.from({ length: 51 }, () => base()) } });
    expect(res.status).toBe(400);
    expect((res.json as { errorMessages: string[] }).errorMessages[0]).toMatch(/50/);
    expect(sim.admin.issues().filter((i) => i.summary === 'bulk-51')).toHaveLength(0);
  });

  it('answers 201 on partial success with per-item errors (0-based failedElementNumber)', async () => {
    const res = await call(`${api}/issue/bulk`, {
      auth,
      body: { issueUpdates: [base({ summary: 'bulk ok' }), base({ description: 'plain' }), base({ issuetype: { name: 'Nope' } })] },
    });
    expect(res.status).toBe(201);
    const body = res.json as { issues: { key: string }[]; errors: { status: number; failedElementNumber: number; elementErrors: { errors: Record<string, string> } }[] };
    expect(body.issues).toHaveLength(1);
    expect(body.errors.map((e) => e.failedElementNumber)).toEqual([1, 2]);
    expect(body.errors[0]?.elementErrors.errors.description).toMatch(/Atlassian Document/);
    expect(body.errors[1]?.elementErrors.errors.issuetype).toBe('The issue type selected is invalid.');
  });

  it('answers 400 when every item fails', async () => {
    const res = await call(`${api}/issue/bulk`, { auth, body: { issueUpdates: [base({ summary: '' })] } });
    expect(res.status).toBe(400);
    expect((res.json as { issues: unknown[] }).issues).toEqual([]);
  });
});

describe('Jira Cloud get / edit / properties', () => {
  it('filters fields and 404s unknown issues', async () => {
    const created = (await call(`${api}/issue`, { auth, body: base() })).json as { key: string };
    const got = await call(`${api}/issue/${created.key.toLowerCase()}?fields=summary,labels`, { auth });
    expect(got.status).toBe(200);
    expect(Object.keys((got.json as { fields: object }).fields).sort()).toEqual(['labels', 'summary']);
    expect((await call(`${api}/issue/SEC-99999`, { auth })).status).toBe(404);
  });

  it('edits with fields and update ops, 204, and refuses a string description', async () => {
    const { key } = (await call(`${api}/issue`, { auth, body: base({ labels: ['a'] }) })).json as { key: string };
    const edit = await call(`${api}/issue/${key}`, { method: 'PUT', auth, body: { fields: { summary: 'new' }, update: { labels: [{ add: 'b' }, { remove: 'a' }] } } });
    expect(edit.status).toBe(204);
    expect(sim.admin.issue(key)?.labels).toEqual(['b']);
    const bad = await call(`${api}/issue/${key}`, { method: 'PUT', auth, body: { fields: { description: 'x', project: { key: 'COMP' } } } });
    expect(bad.status).toBe(400);
    expect((bad.json as { errors: Record<string, string> }).errors).toMatchObject({ description: expect.stringMatching(/Atlassian Document/), project: expect.stringMatching(/cannot be set/) });
  });

  it('stores issue properties: 201 then 200, 404 when missing', async () => {
    const { key } = (await call(`${api}/issue`, { auth, body: base() })).json as { key: string };
    const put1 = await call(`${api}/issue/${key}/properties/finding`, { method: 'PUT', auth, body: { fingerprint: 'abc' } });
    expect(put1.status).toBe(201);
    const put2 = await call(`${api}/issue/${key}/properties/finding`, { method: 'PUT', auth, body: { fingerprint: 'def' } });
    expect(put2.status).toBe(200);
    expect((await call(`${api}/issue/${key}/properties/finding`, { auth })).json).toEqual({ key: 'finding', value: { fingerprint: 'def' } });
    expect((await call(`${api}/issue/${key}/properties/nope`, { auth })).status).toBe(404);
  });
});
