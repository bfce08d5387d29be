import { describe, expect, it } from 'vitest';
import { GITHUB_BAD_REPO_URL, GitHubError, parseRepoUrl } from '../../../src/providers/github/index.ts';

describe('parseRepoUrl', () => {
  it.each([
    'https://github.com/acme/web',
    'https://github.com/acme/web.git',
    'https://github.com/acme/web/',
    'https://github.com/acme/web.git/',
    'https://www.github.com/acme/web',
    '  https://github.com/acme/web  ',
  ])('accepts %s', (url) => {
    expect(parseRepoUrl(url)).toEqual({
      owner: 'acme',
      repo: 'web',
      webUrl: 'https://github.com/acme/web',
      apiUrl: 'https://api.github.com',
      gitUrl: 'https://github.com/acme/web.git',
    });
  });

  it('maps a GitHub Enterprise Server host to its /api/v3 root (port kept)', () => {
    expect(parseRepoUrl('https://ghe.acme.internal/platform/billing-api.git')).toEqual({
      owner: 'platform',
      repo: 'billing-api',
      webUrl: 'https://ghe.acme.internal/platform/billing-api',
      apiUrl: 'https://ghe.acme.internal/api/v3',
      gitUrl: 'https://ghe.acme.internal/platform/billing-api.git',
    });
    expect(parseRepoUrl('https://ghe.acme.internal:8443/o/r').apiUrl).toBe('https://ghe.acme.internal:8443/api/v3');
  });

  it('keeps http for a local host (the outbound guard decides whether it may be used)', () => {
    expect(parseRepoUrl('http://127.0.0.1:4010/acme/web.git')).toMatchObject({ apiUrl: 'http://127.0.0.1:4010/api/v3', gitUrl: 'http://127.0.0.1:4010/acme/web.git' });
  });

  it('accepts GitHub name characters: dots, underscores, hyphens', () => {
    expect(parseRepoUrl('https://github.com/my-org/.github')).toMatchObject({ owner: 'my-org', repo: '.github' });
    expect(parseRepoUrl('https://github.com/a1/some_repo.v2')).toMatchObject({ repo: 'some_repo.v2' });
  });

  it.each([
    ['ssh://git@github.com/acme/web.git', /scheme ssh:/],
    ['git@github.com:acme/web.git', /expected https/],
    ['git://github.com/acme/web.git', /scheme git:/],
    ['file:///srv/repos/acme/web.git', /scheme file:/],
    ['ext::sh -c touch% /tmp/pwned', /spaces|expected|scheme/],
    ['ext::sh', /scheme ext:|expected/],
    ['https://x-access-token:ghp_secret123@github.com/acme/web', /credentials/],
    ['https://user@github.com/acme/web', /credentials/],
    ['https://github.com/acme/web/tree/main', /exactly \/owner\/repo/],
    ['https://github.com/acme', /exactly \/owner\/repo/],
    ['https://github.com/acme/web?ref=x', /query/],
    ['https://github.com/acme/web#readme', /fragment/],
    ['https://github.com/-acme/web', /owner name/],
    ['https://github.com/ac.me/web', /owner name/],
    ['https://github.com/acme/we%2Fb', /repository name/],
    ['https://github.com/acme/..', /exactly|repository name/],
    ['https://github.com/acme/we b', /spaces/],
    ['https://github.com/acme/web\\x', /backslash/],
    ['', /empty/],
    ['not a url', /spaces|expected/],
  ])('refuses %s', (url, reason) => {
    let error: unknown;
    try {
      parseRepoUrl(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GitHubError);
    expect((error as GitHubError).code).toBe(GITHUB_BAD_REPO_URL);
    expect((error as GitHubError).message).toMatch(reason);
    expect((error as GitHubError).message).not.toContain('ghp_secret123');
  });
});
