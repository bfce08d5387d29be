/**
 * The Confluence Cloud simulator through real HTTP: site URL with Basic auth, the gateway with the OAuth
 * simulator's tokens and scope checks, cursor paging, page create / read / update with version
 * conflicts, title uniqueness, storage and ADF bodies, and faults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AtlassianOAuthSimulator, startAtlassianOAuthSimulator } from '../atlassian-oauth/index.ts';
import { type ConfluenceSimulator, startConfluenceSimulator } from './index.ts';
import { DUPLICATE_TITLE } from './routes.ts';

let oauth: AtlassianOAuthSimulator;
let wiki: ConfluenceSimulator;

beforeAll(async () => {
  oauth = await startAtlassianOAuthSimulator({ redirectUris: ['http://localhost:3001/api/jira/callback'], accessTokenTtlSeconds: 60 });
  wiki = await startConfluenceSimulator({ oauth, cloudId: oauth.cloudId });
  oauth.admin.setProductUrl('confluence', wiki.url);
});
afterAll(async () => {
  await wiki.close();
  await oauth.close();
});

interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON freely
  json: any;
}

async function call(url: string, init: { method?: string; auth?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.auth) headers.authorization = init.auth;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : null };
}

const site = (path: string) => `${wiki.url}/wiki/api/v2${path}`;
const basic = () => wiki.credentials.basicAuthHeader;
const storage = (value: string) => ({ representation: 'storage', value });

function bearer(scopes: string[]): string {
  return `Bearer ${oauth.admin.issueTokensDirectly(scopes).access_token}`;
}

async function secSpaceId(): Promise<string> {
  const answer = await call(site('/spaces?keys=SEC'), { auth: basic() });
  return answer.json.results[0].id as string;
}

describe('authentication', () => {
  it('accepts Basic email:API token at the site URL and refuses bearer tokens, scoped tokens and bad tokens there', async () => {
    expect((await call(site('/spaces'), { auth: basic() })).status).toBe(200);
    const token = bearer(['read:space:confluence']);
    expect((await call(site('/spaces'), { auth: token })).status).toBe(401);
    const scoped = `Basic ${Buffer.from(`${wiki.credentials.email}:${wiki.credentials.scopedApiToken}`).toString('base64')}`;
    expect((await call(site('/spaces'), { auth: scoped })).status).toBe(401);
    expect((await call(site('/spaces'), { auth: `Basic ${Buffer.from('bot@sim.example:wrong').toString('base64')}` })).status).toBe(401);
    expect((await call(site('/spaces'))).status).toBe(401);
  });

  it('accepts the OAuth simulator tokens at the gateway with the granular scope of each endpoint', async () => {
    const gateway = `${wiki.gatewayUrl}/wiki/api/v2`;
    const reader = bearer(['read:space:confluence', 'read:page:confluence']);
    expect((await call(`${gateway}/spaces`, { auth: reader })).status).toBe(200);
    const created = await call(`${gateway}/pages`, { method: 'POST', auth: reader, body: { spaceId: await secSpaceId(), title: 'nope', body: storage('<p>x</p>') } });
    expect(created).toMatchObject({ status: 401, json: { code: 401, message: 'Unauthorized; scope does not match' } });
    const writer = bearer(['write:page:confluence']);
    expect((await call(`${gateway}/pages`, { method: 'POST', auth: writer, body: { spaceId: await secSpaceId(), title: 'Written over OAuth', body: storage('<p>x</p>') } })).status).toBe(200);
    // Scoped API tokens work through the gateway only.
    const scoped = `Basic ${Buffer.from(`${wiki.credentials.email}:${wiki.credentials.scopedApiToken}`).toString('base64')}`;
    expect((await call(`${gateway}/spaces`, { auth: scoped })).status).toBe(200);
  });

  it('refuses classic Confluence scopes on v2 endpoints unless told otherwise', async () => {
    const classic = bearer(['read:confluence-space.summary', 'read:confluence-content.all', 'write:confluence-content']);
    const refused = await call(`${wiki.gatewayUrl}/wiki/api/v2/spaces`, { auth: classic });
    expect(refused).toMatchObject({ status: 401, json: { code: 401, message: 'Unauthorized; scope does not match' } });
    wiki.admin.setAcceptClassicScopes(true);
    try {
      expect((await call(`${wiki.gatewayUrl}/wiki/api/v2/spaces`, { auth: classic })).status).toBe(200);
    } finally {
      wiki.admin.setAcceptClassicScopes(false);
    }
  });

  it('answers 401 Unauthorized for an expired, revoked or unknown token, and for another cloud id', async () => {
    const token = bearer(['read:space:confluence']);
    expect((await call(`${wiki.url}/ex/confluence/00000000-0000-4000-8000-000000000000/wiki/api/v2/spaces`, { auth: token })).json).toEqual({ code: 401, message: 'Unauthorized' });
    expect((await call(`${wiki.gatewayUrl}/wiki/api/v2/spaces`, { auth: 'Bearer sim-at-unknown' })).json).toEqual({ code: 401, message: 'Unauthorized' });
    oauth.admin.advanceClock(61_000);
    expect((await call(`${wiki.gatewayUrl}/wiki/api/v2/spaces`, { auth: token })).json).toEqual({ code: 401, message: 'Unauthorized' });
  });

  it('is reachable through the OAuth simulator as api.atlassian.com', async () => {
    const token = bearer(['read:space:confluence']);
    const answer = await call(`${oauth.apiUrl}/ex/confluence/${oauth.cloudId}/wiki/api/v2/spaces?limit=1`, { auth: token });
    expect(answer.status).toBe(200);
    expect(answer.json.results).toHaveLength(1);
  });
});

describe('spaces', () => {
  it('pages with a cursor in _links.next and the Link header, sorted by id', async () => {
    const first = await call(site('/spaces?limit=2'), { auth: basic() });
    expect(first.status).toBe(200);
    expect(first.json.results.map((s: { key: string }) => s.key)).toEqual(['SEC', 'COMP']);
    expect(first.json._links.base).toBe(`${wiki.url}/wiki`);
    const next = first.json._links.next as string;
    expect(next).toMatch(/^\/wiki\/api\/v2\/spaces\?limit=2&cursor=/);
    expect(first.headers.get('link')).toBe(`<${next}>; rel="next", <${wiki.url}/wiki>; rel="base"`);
    const second = await call(`${wiki.url}${next}`, { auth: basic() });
    expect(second.json.results.map((s: { key: string }) => s.key)).toEqual(['ENG']);
    expect(second.json._links.next).toBeUndefined();
    expect(second.headers.get('link')).toBe(`<${wiki.url}/wiki>; rel="base"`);
  });

  it('filters by keys and refuses a bad limit or cursor', async () => {
    const sec = await call(site('/spaces?keys=SEC,ENG'), { auth: basic() });
    expect(sec.json.results.map((s: { key: string }) => s.key)).toEqual(['SEC', 'ENG']);
    expect(sec.json.results[0]).toMatchObject({ id: expect.stringMatching(/^\d+$/), key: 'SEC', name: 'Security', type: 'global', status: 'current', homepageId: expect.stringMatching(/^\d+$/) });
    expect((await call(site('/spaces?limit=251'), { auth: basic() })).status).toBe(400);
    expect((await call(site('/spaces?cursor=garbage'), { auth: basic() })).status).toBe(400);
  });
});

describe('pages', () => {
  it('creates (200), reads in storage and ADF, updates with version + 1, and refuses a stale version with 409', async () => {
    const spaceId = await secSpaceId();
    const created = await call(site('/pages'), { method: 'POST', auth: basic(), body: { spaceId, status: 'current', title: 'Audit case 42 report', body: storage('<h1>Case 42</h1><p>3 violations</p>') } });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ id: expect.stringMatching(/^\d+$/), status: 'current', title: 'Audit case 42 report', spaceId, version: { number: 1 }, body: { storage: { representation: 'storage', value: '<h1>Case 42</h1><p>3 violations</p>' } } });
    const id = created.json.id as string;

    const adf = await call(site(`/pages/${id}?body-format=atlas_doc_format`), { auth: basic() });
    expect(JSON.parse(adf.json.body.atlas_doc_format.value)).toEqual({
      type: 'doc',
      version: 1,
      content: [
        { type: 'heading', attrs: { level: 1 }, content: [{ type: 'text', text: 'Case 42' }] },
        { type: 'paragraph', content: [{ type: 'text', text: '3 violations' }] },
      ],
    });
    expect((await call(site(`/pages/${id}`), { auth: basic() })).json.body).toEqual({});

    const update = (number: number, value: string) =>
      call(site(`/pages/${id}`), { method: 'PUT', auth: basic(), body: { id, status: 'current', title: 'Audit case 42 report', body: storage(value), version: { number, message: 'republished' } } });
    const updated = await update(2, '<p>2 violations</p>');
    expect(updated.status).toBe(200);
    expect(updated.json.version).toMatchObject({ number: 2, message: 'republished' });

    const stale = await update(2, '<p>again</p>');
    expect(stale.status).toBe(409);
    expect(stale.json).toEqual({ errors: [{ status: 409, code: 'CONFLICT', title: 'Version must be incremented when updating a page. Current Version: [2]. Provided version: [2]', detail: null }] });
    expect((await update(4, '<p>skip</p>')).status).toBe(409);

    // Someone edits the page in the browser: our next number is stale.
    wiki.admin.editPageDirectly(id, { value: '<p>edited by a person</p>' });
    expect((await update(3, '<p>ours</p>')).status).toBe(409);
    const current = await call(site(`/pages/${id}?body-format=storage`), { auth: basic() });
    expect(current.json.version.number).toBe(3);
    expect((await update(4, '<p>ours</p>')).status).toBe(200);
    expect(wiki.admin.page(id)?.versions.map((v) => v.number)).toEqual([1, 2, 3, 4]);

    const v2 = await call(site(`/pages/${id}?version=2&body-format=storage`), { auth: basic() });
    expect(v2.json.body.storage.value).toBe('<p>2 violations</p>');
  });

  it('keeps titles unique per space (400 with Confluence message); another space or a trashed page frees it', async () => {
    const spaceId = await secSpaceId();
    const first = await call(site('/pages'), { method: 'POST', auth: basic(), body: { spaceId, title: 'Unique title', body: storage('<p>a</p>') } });
    expect(first.status).toBe(200);
    const again = await call(site('/pages'), { method: 'POST', auth: basic(), body: { spaceId, title: 'Unique title', body: storage('<p>b</p>') } });
    expect(again.status).toBe(400);
    expect(again.json).toEqual({ errors: [{ status: 400, code: 'INVALID_REQUEST_PARAMETER', title: DUPLICATE_TITLE, detail: null }] });

    const eng = (await call(site('/spaces?keys=ENG'), { auth: basic() })).json.results[0].id;
    expect((await call(site('/pages'), { method: 'POST', auth: basic(), body: { spaceId: eng, title: 'Unique title', body: storage('<p>c</p>') } })).status).toBe(200);

    const other = await call(site('/pages'), { method: 'POST', auth: basic(), body: { spaceId, title: 'Other title', body: storage('<p>d</p>') } });
    const rename = await call(site(`/pages/${other.json.id}`), { method: 'PUT', auth: basic(), body: { id: other.json.id, status: 'current', title: 'Unique title', body: storage('<p>d</p>'), version: { number: 2 } } });
    expect(rename.status).toBe(400);

    expect((await call(site(`/pages/${first.json.id}`), { method: 'DELETE', auth: basic() })).status).toBe(204);
    expect((await call(site(`/pages/${first.json.id}`), { auth: basic() })).status).toBe(404);
    expect((await call(site('/pages'), { method: 'POST', auth: basic(), body: { spaceId, title: 'Unique title', body: storage('<p>e</p>') } })).status).toBe(200);
  });

  it('validates create and update bodies as the spec requires', async () => {
    const spaceId = await secSpaceId();
    const post = (body: unknown) => call(site('/pages'), { method: 'POST', auth: basic(), body });
    expect((await post({ title: 'no space', body: storage('<p>x</p>') })).status).toBe(400);
    expect((await post({ spaceId: '999999', title: 'missing space', body: storage('<p>x</p>') })).status).toBe(404);
    expect((await post({ spaceId, body: storage('<p>x</p>') })).status).toBe(400);
    expect((await post({ spaceId, title: 'bad xhtml', body: storage('<p><b>x</p>') })).json.errors[0].title).toMatch(/^Error parsing xhtml/);
    expect((await post({ spaceId, title: 'bad adf', body: { representation: 'atlas_doc_format', value: '{"type":"paragraph"}' } })).status).toBe(400);
    expect((await post({ spaceId, title: 'bad representation', body: { representation: 'markdown', value: '# x' } })).status).toBe(400);

    const doc = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'ADF body' }] }] };
    const adf = await post({ spaceId, title: 'ADF page', body: { representation: 'atlas_doc_format', value: JSON.stringify(doc) } });
    expect(adf.status).toBe(200);
    expect(JSON.parse(adf.json.body.atlas_doc_format.value)).toEqual(doc);
    expect((await call(site(`/pages/${adf.json.id}?body-format=storage`), { auth: basic() })).json.body.storage.value).toBe('<p>ADF body</p>');

    const id = adf.json.id as string;
    const put = (body: Record<string, unknown>) => call(site(`/pages/${id}`), { method: 'PUT', auth: basic(), body });
    expect((await put({ id, status: 'current', title: 'ADF page', version: { number: 2 } })).status).toBe(400);
    expect((await put({ id: '1', status: 'current', title: 'ADF page', body: storage('<p>x</p>'), version: { number: 2 } })).status).toBe(400);
    expect((await call(site('/pages/abc'), { auth: basic() })).status).toBe(400);
    expect((await call(site('/pages/123456789'), { auth: basic() })).json).toEqual({ errors: [{ status: 404, code: 'NOT_FOUND', title: 'Not Found', detail: null }] });
  });

  it('lists pages of a space by title, with cursor paging', async () => {
    const spaceId = await secSpaceId();
    for (const title of ['List A', 'List B', 'List C']) await call(site('/pages'), { method: 'POST', auth: basic(), body: { spaceId, title, body: storage('<p>x</p>') } });
    const byTitle = await call(site(`/pages?space-id=${spaceId}&title=${encodeURIComponent('List B')}&body-format=storage`), { auth: basic() });
    expect(byTitle.json.results).toHaveLength(1);
    expect(byTitle.json.results[0]).toMatchObject({ title: 'List B', body: { storage: { value: '<p>x</p>' } } });
    const seen: string[] = [];
    let next: string | undefined = `/wiki/api/v2/pages?space-id=${spaceId}&limit=2`;
    while (next) {
      const answer = await call(`${wiki.url}${next}`, { auth: basic() });
      seen.push(...answer.json.results.map((p: { title: string }) => p.title));
      next = answer.json._links.next;
    }
    expect(seen).toEqual(expect.arrayContaining(['List A', 'List B', 'List C', 'Security Home']));
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('faults', () => {
  it('answers 429 with Retry-After and the Confluence rate-limit reason, then recovers', async () => {
    wiki.admin.configureFaults({ rateLimit: { capacity: 1, refillPerSecond: 0.001 } });
    try {
      await call(site('/spaces'), { auth: basic() });
      const limited = await call(site('/spaces'), { auth: basic() });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(limited.headers.get('ratelimit-reason')).toBe('confluence-quota-tenant-based');
    } finally {
      wiki.admin.configureFaults({ rateLimit: null });
    }
    expect((await call(site('/spaces'), { auth: basic() })).status).toBe(200);
  });
});
