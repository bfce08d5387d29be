/**
 * Both transports through the HTTP API: the git data API (`api`, default) and a sparse git checkout
 * pushed under a lease (`git`) must give byte-identical files for the same bump — here lodash in
 * acme/mono, declared in two package.json files with different specs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { lodash, type PrFixture, seed001, startPrFixture } from './fixture.ts';

describe.each(databaseKinds())('transports on %s', (kind) => {
  let fx: PrFixture;
  beforeAll(async () => {
    fx = await startPrFixture(kind);
  });
  afterAll(async () => {
    await fx?.close();
  });

  const open = async (transport: 'api' | 'git') => {
    const response = await fx.post(
      seed001(fx, [lodash(`mono-${transport}`)], () => ({
        repo_url: `${fx.github.url}/acme/mono`,
        branch_name: `security/${transport}-transport/lodash-4.17.21`,
        base_branch: 'main',
        package_name: 'lodash',
        new_version: '4.17.21',
        transport,
      })),
    );
    expect(response.statusCode, response.body).toBe(200);
    return response.json().results[0].github;
  };

  it('api and git produce the same file content, one commit each', async () => {
    const viaApi = await open('api');
    const viaGit = await open('git');
    expect(viaApi.status).toBe('created');
    expect(viaGit.status, viaGit.error).toBe('created');
    for (const path of ['package.json', 'packages/frontend/package.json']) {
      const base = (await fx.github.admin.readFile('acme/mono', path))!;
      const a = await fx.github.admin.readFile('acme/mono', path, viaApi.branch);
      const b = await fx.github.admin.readFile('acme/mono', path, viaGit.branch);
      expect(a).toBe(b);
      expect(a).not.toBe(base);
    }
    expect(await fx.github.admin.readFile('acme/mono', 'package.json', viaGit.branch)).toBe(
      (await fx.github.admin.readFile('acme/mono', 'package.json'))!.replace('"lodash": "4.17.15"', '"lodash": "4.17.21"'),
    );
    expect(await fx.github.admin.readFile('acme/mono', 'packages/frontend/package.json', viaGit.branch)).toBe(
      (await fx.github.admin.readFile('acme/mono', 'packages/frontend/package.json'))!.replace('"lodash": "^4.17.15"', '"lodash": "^4.17.21"'),
    );
    // Re-running the git transport finds its own branch current and opens nothing new.
    const again = await open('git');
    expect(again).toMatchObject({ status: 'existing', pr_number: viaGit.pr_number });
  }, 180_000);
});
