import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubSimulator, startGitHubSimulator } from './index.ts';
import { api, graphql, pushBranch, startReceiver, tempDir } from './test-helpers.ts';

let sim: GitHubSimulator;
let dir: { path: string; remove(): Promise<void> };
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const SECRET = 'webhook-secret-for-tests';

beforeAll(async () => {
  receiver = await startReceiver();
  sim = await startGitHubSimulator({ webhooks: [{ url: receiver.url, secret: SECRET, events: ['pull_request', 'push'] }] });
  dir = await tempDir();
});
afterAll(async () => {
  await sim.close();
  await receiver.close();
  await dir.remove();
});

function verify(raw: Buffer, header: string | string[] | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`);
  const given = Buffer.from(String(header ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhooks', () => {
  it('delivers signed pull_request opened/edited/synchronize/closed(merged) and push events', async () => {
    receiver.received.length = 0;
    await pushBranch(sim, 'acme/web', 'hooked', { 'h.txt': 'h\n' }, dir.path);
    const pr = (await api(sim, 'POST', '/repos/acme/web/pulls', { title: 'Hooked', head: 'hooked', base: 'main', body: null })).json;
    await api(sim, 'PATCH', `/repos/acme/web/pulls/${pr.number}`, { title: 'Hooked (edited)' });
    await pushBranch(sim, 'acme/web', 'hooked', { 'h2.txt': 'h2\n' }, dir.path);
    await api(sim, 'PUT', `/repos/acme/web/pulls/${pr.number}/merge`, {});
    await sim.admin.settle();

    for (const hook of receiver.received) {
      expect(verify(hook.raw, hook.headers['x-hub-signature-256'])).toBe(true);
      expect(hook.headers['x-hub-signature']).toBe(`sha1=${createHmac('sha1', SECRET).update(hook.raw).digest('hex')}`);
      expect(hook.headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
      expect(hook.headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
      expect(hook.headers['x-github-hook-id']).toMatch(/^\d+$/);
    }
    // GitHub does not promise delivery order, and neither do we: look events up by action.
    const pulls = receiver.received.filter((h) => h.headers['x-github-event'] === 'pull_request').map((h) => h.json);
    expect(pulls.map((p) => p.action).sort()).toEqual(['closed', 'edited', 'opened', 'synchronize']);
    const byAction = (action: string) => pulls.find((p) => p.action === action);
    expect(byAction('opened')).toMatchObject({ number: pr.number, pull_request: { body: null, merged: false, head: { ref: 'hooked' }, base: { ref: 'main' } }, repository: { full_name: 'acme/web' }, sender: { login: 'sim-bot' } });
    expect(byAction('edited').changes).toEqual({ title: { from: 'Hooked' } });
    const sync = byAction('synchronize');
    expect(sync.before).toBe(pr.head.sha);
    expect(sync.after).toBe(sync.pull_request.head.sha);
    expect(byAction('closed').pull_request).toMatchObject({ merged: true, state: 'closed' });
    expect(byAction('closed').pull_request.merged_at).not.toBeNull();
    const pushes = receiver.received.filter((h) => h.headers['x-github-event'] === 'push').map((h) => h.json);
    expect(pushes.map((p) => p.ref).sort()).toEqual(['refs/heads/hooked', 'refs/heads/hooked', 'refs/heads/main']);
    const created = pushes.find((p) => p.created);
    expect(created).toMatchObject({ ref: 'refs/heads/hooked', deleted: false, pusher: { name: 'sim-bot' } });
    expect(created.commits[0].added).toEqual(['h.txt']);
  });

  it('sends closed with merged:false when a PR is closed without merging', async () => {
    receiver.received.length = 0;
    await pushBranch(sim, 'acme/api', 'abandon', { 'a.txt': 'a\n' }, dir.path);
    const pr = (await api(sim, 'POST', '/repos/acme/api/pulls', { title: 'Abandon', head: 'abandon', base: 'main' })).json;
    await api(sim, 'PATCH', `/repos/acme/api/pulls/${pr.number}`, { state: 'closed' });
    await sim.admin.settle();
    const closed = receiver.received.find((h) => h.json.action === 'closed');
    expect(closed?.json.pull_request).toMatchObject({ merged: false, merged_at: null, state: 'closed' });
    const deliveries = sim.admin.deliveries();
    expect(deliveries.at(-1)).toMatchObject({ status: 204, event: 'pull_request', action: 'closed' });
  });

  it('sends a form hook payload=<url-encoded JSON> as a form, signed over the form bytes', async () => {
    const form = await startReceiver();
    try {
      sim.admin.addWebhook({ url: form.url, secret: SECRET, events: ['push'], contentType: 'form' });
      await sim.admin.commitAsSomeoneElse({ repo: 'acme/svc', branch: 'main', files: { 'f.txt': 'f\n' } });
      await sim.admin.settle();
      expect(form.received.map((hook) => hook.headers['x-github-event'])).toEqual(['ping', 'push']);
      for (const hook of form.received) {
        expect(hook.headers['content-type']).toBe('application/x-www-form-urlencoded');
        expect(hook.raw.toString('utf8')).toMatch(/^payload=%7B/);
        expect(verify(hook.raw, hook.headers['x-hub-signature-256'])).toBe(true);
      }
      expect(form.received[0]?.json.hook.config.content_type).toBe('form');
      expect(form.received[1]?.json).toMatchObject({ ref: 'refs/heads/main' });
    } finally {
      await form.close();
    }
  });

  it('omits signatures for hooks without a secret and filters by event', async () => {
    const plain = await startReceiver();
    try {
      sim.admin.addWebhook({ url: plain.url, events: ['push'] });
      await sim.admin.commitAsSomeoneElse({ repo: 'acme/svc', branch: 'main', files: { 'z.txt': 'z\n' } });
      await sim.admin.settle();
      const events = plain.received.map((h) => h.headers['x-github-event']);
      expect(events).toEqual(['ping', 'push']);
      expect(plain.received[1]?.headers['x-hub-signature-256']).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});

describe('GraphQL', () => {
  it('answers repository.defaultBranchRef with the branch tip', async () => {
    const main = (await api(sim, 'GET', '/repos/acme/java/git/ref/heads/main')).json.object.sha;
    const result = await graphql(sim, 'query($o: String!, $n: String!) { repository(owner: $o, name: $n) { defaultBranchRef { name target { oid } } } }', { o: 'acme', n: 'java' });
    expect(result.status).toBe(200);
    expect(result.json).toEqual({ data: { repository: { defaultBranchRef: { name: 'main', target: { oid: main } } } } });
    expect(result.headers.get('x-ratelimit-resource')).toBe('graphql');
  });

  const mutation = 'mutation($input: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $input) { commit { oid messageHeadline } ref { name } } }';

  it('creates a commit on a branch with additions and deletions, visible to REST and git', async () => {
    const head = (await api(sim, 'GET', '/repos/acme/mono/git/ref/heads/main')).json.object.sha;
    const result = await graphql(sim, mutation, {
      input: {
        branch: { repositoryNameWithOwner: 'acme/mono', branchName: 'main' },
        expectedHeadOid: head,
        message: { headline: 'Bump node-fetch', body: 'Fixes GHSA-r683-j2x4-v87g' },
        fileChanges: {
          additions: [{ path: 'packages/frontend/package.json', contents: Buffer.from('{"dependencies":{"node-fetch":"2.6.7"}}\n').toString('base64') }],
          deletions: [{ path: 'services/worker/requirements.txt' }],
        },
      },
    });
    expect(result.json.errors).toBeUndefined();
    const oid = result.json.data.createCommitOnBranch.commit.oid;
    expect(result.json.data.createCommitOnBranch).toMatchObject({ commit: { messageHeadline: 'Bump node-fetch' }, ref: { name: 'main' } });
    expect((await api(sim, 'GET', '/repos/acme/mono/git/ref/heads/main')).json.object.sha).toBe(oid);
    const commit = (await api(sim, 'GET', `/repos/acme/mono/git/commits/${oid}`)).json;
    expect(commit).toMatchObject({ message: 'Bump node-fetch\n\nFixes GHSA-r683-j2x4-v87g\n', committer: { name: 'GitHub' }, author: { name: 'Simulator Bot' } });
    expect(await sim.admin.readFile('acme/mono', 'services/worker/requirements.txt')).toBeNull();
  });

  it('answers a stale expectedHeadOid with HTTP 200 and a STALE_DATA error, leaving the branch alone', async () => {
    const head = (await api(sim, 'GET', '/repos/acme/svc/git/ref/heads/main')).json.object.sha;
    const stale = 'a'.repeat(40);
    const result = await graphql(sim, mutation, { input: { branch: { repositoryNameWithOwner: 'acme/svc', branchName: 'main' }, expectedHeadOid: stale, message: { headline: 'x' }, fileChanges: { additions: [{ path: 'x', contents: 'eA==' }] } } });
    expect(result.status).toBe(200);
    expect(result.json.data).toEqual({ createCommitOnBranch: null });
    expect(result.json.errors).toHaveLength(1);
    expect(result.json.errors[0]).toMatchObject({ type: 'STALE_DATA', path: ['createCommitOnBranch'], message: `Expected branch to point to "${stale}" but it did not.  Pull and try again.` });
    expect((await api(sim, 'GET', '/repos/acme/svc/git/ref/heads/main')).json.object.sha).toBe(head);
  });

  it('refuses a missing expectedHeadOid as a variable error in GitHub’s wording', async () => {
    const result = await graphql(sim, mutation, { input: { branch: { repositoryNameWithOwner: 'acme/svc', branchName: 'main' }, message: { headline: 'x' } } });
    expect(result.json.data).toBeUndefined();
    expect(result.json.errors[0].message).toBe('Variable $input of type CreateCommitOnBranchInput! was provided invalid value for expectedHeadOid (Expected value to not be null)');
  });

  it('refuses unknown fields with undefinedField', async () => {
    const result = await graphql(sim, '{ repository(owner: "acme", name: "web") { defaultBranchRef { name } starCount } }');
    expect(result.json.errors[0]).toMatchObject({ message: "Field 'starCount' doesn't exist on type 'Repository'", extensions: { code: 'undefinedField' } });
  });

  it('answers NOT_FOUND for an unknown repository, FORBIDDEN for the read-only token, 401 without a token', async () => {
    const missing = await graphql(sim, '{ repository(owner: "acme", name: "nope") { name } }');
    expect(missing.json.errors[0]).toMatchObject({ type: 'NOT_FOUND', message: "Could not resolve to a Repository with the name 'acme/nope'." });
    const head = (await api(sim, 'GET', '/repos/acme/svc/git/ref/heads/main')).json.object.sha;
    const ro = await graphql(sim, mutation, { input: { branch: { repositoryNameWithOwner: 'acme/svc', branchName: 'main' }, expectedHeadOid: head, message: { headline: 'x' } } }, sim.readOnlyToken);
    expect(ro.json.errors[0].type).toBe('FORBIDDEN');
    expect((await graphql(sim, '{ viewer { login } }', {}, null)).status).toBe(401);
  });

  it('refuses deleting a path that does not exist', async () => {
    const head = (await api(sim, 'GET', '/repos/acme/svc/git/ref/heads/main')).json.object.sha;
    const result = await graphql(sim, mutation, { input: { branch: { repositoryNameWithOwner: 'acme/svc', branchName: 'main' }, expectedHeadOid: head, message: { headline: 'x' }, fileChanges: { deletions: [{ path: 'no/such/file' }] } } });
    expect(result.json.errors[0].type).toBe('UNPROCESSABLE');
  });
});

describe('rate limits and faults', () => {
  it('primary limit: 403 with x-ratelimit-remaining 0 and a reset time once the window is used up', async () => {
    const limited = await startGitHubSimulator({ seedRepos: false, rateLimits: { primaryLimit: 3 } });
    try {
      const remaining = [];
      for (let i = 0; i < 3; i++) remaining.push((await api(limited, 'GET', '/user')).headers.get('x-ratelimit-remaining'));
      expect(remaining).toEqual(['2', '1', '0']);
      const over = await api(limited, 'GET', '/user');
      expect(over.status).toBe(403);
      expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(over.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
      expect(over.json.message).toMatch(/^API rate limit exceeded for user ID \d+\./);
      const status = await api(limited, 'GET', '/rate_limit');
      expect(status.status).toBe(200);
      expect(status.json.resources.core.remaining).toBe(0);
      limited.admin.setRateLimits({ primaryStatus: 429 });
      expect((await api(limited, 'GET', '/user')).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('secondary limit on content creation: 403 with retry-after and the secondary message, remaining above 0; reads still pass', async () => {
    const limited = await startGitHubSimulator({ rateLimits: { secondaryPerMinute: 2 } });
    try {
      const main = (await api(limited, 'GET', '/repos/acme/web/git/ref/heads/main')).json.object.sha;
      expect((await api(limited, 'POST', '/repos/acme/web/git/refs', { ref: 'refs/heads/s1', sha: main })).status).toBe(201);
      expect((await api(limited, 'POST', '/repos/acme/web/git/refs', { ref: 'refs/heads/s2', sha: main })).status).toBe(201);
      const third = await api(limited, 'POST', '/repos/acme/web/git/refs', { ref: 'refs/heads/s3', sha: main });
      expect(third.status).toBe(403);
      expect(third.json.message).toBe('You have exceeded a secondary rate limit. Please wait a few minutes before you try again.');
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(third.headers.get('x-ratelimit-remaining')).not.toBe('0');
      expect((await limited.admin.refs('acme/web'))['refs/heads/s3']).toBeUndefined();
      expect((await api(limited, 'GET', '/repos/acme/web')).status).toBe(200);
      limited.admin.setRateLimits({ secondaryStatus: 429 });
      expect((await api(limited, 'POST', '/repos/acme/web/git/refs', { ref: 'refs/heads/s4', sha: main })).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('shared faults: a 5xx answer in GitHub’s shape, admin routes exempt, then back to normal', async () => {
    sim.admin.faults.configure({ errorRate: 1, errorStatuses: [503] });
    try {
      const failed = await api(sim, 'GET', '/repos/acme/web');
      expect(failed.status).toBe(503);
      expect(failed.json).toMatchObject({ message: 'Service Unavailable', status: '503' });
      const admin = await fetch(`${sim.url}/_admin/repos`);
      expect(admin.status).toBe(200);
    } finally {
      sim.admin.faults.configure({ errorRate: 0 });
    }
    expect((await api(sim, 'GET', '/repos/acme/web')).status).toBe(200);
  });

  it('shared token bucket answers like GitHub’s primary limit', async () => {
    sim.admin.faults.configure({ rateLimit: { capacity: 1, refillPerSecond: 0.001 } });
    try {
      await api(sim, 'GET', '/user');
      const limited = await api(sim, 'GET', '/user');
      expect([403, 429]).toContain(limited.status);
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    } finally {
      sim.admin.faults.configure({ rateLimit: null });
    }
  });

  it('records requests in the common log and exposes them on the admin side', async () => {
    sim.admin.clearRequests();
    await api(sim, 'POST', '/repos/acme/web/issues/9999/comments', { body: 'logged' });
    const entries = sim.admin.requests();
    expect(entries.at(-1)).toMatchObject({ method: 'POST', path: '/api/v3/repos/acme/web/issues/9999/comments', body: { body: 'logged' }, status: 404 });
    const http = (await (await fetch(`${sim.url}/_admin/requests`)).json()) as { path: string }[];
    expect(http.at(-1)?.path).toBe('/api/v3/repos/acme/web/issues/9999/comments');
  });
});
