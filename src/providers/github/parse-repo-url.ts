/**
 * Turns a user-supplied repository URL into owner, repo and the three URLs we need (web, REST, git).
 * Only plain http(s) web URLs of a repository are accepted: ssh/scp forms, git:, file:, ext:: and
 * anything with credentials, a query or extra path segments are refused, because the result is
 * handed to git and to the REST client. Whether http (rather than https) or the host itself may be
 * used is the outbound guard's decision, made when the URL is used (allow-listed hosts only).
 */
import { GITHUB_BAD_REPO_URL, GitHubError } from './errors.ts';
import type { ParsedRepoUrl } from './types.ts';

// GitHub logins: letters, digits and single hyphens, at most 39; `_` appears in Enterprise Managed
// Users' logins (`name_shortcode`). Repository names: letters, digits, '.', '-', '_', at most 100.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

const PUBLIC_HOSTS = new Set(['github.com', 'www.github.com']);

function bad(reason: string): GitHubError {
  return new GitHubError(GITHUB_BAD_REPO_URL, `repository URL refused: ${reason}`, { field: 'repo_url' });
}

export function parseRepoUrl(input: string): ParsedRepoUrl {
  if (typeof input !== 'string' || input.trim() === '') throw bad('it is empty');
  const text = input.trim();
  if (/[\s\u0000-\u001f\u007f\\]/.test(text)) throw bad('it contains spaces, control characters or backslashes');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // scp-like "git@github.com:o/r.git" lands here too.
    throw bad('expected https://host/owner/repo');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad(`scheme ${url.protocol} is not allowed; use https://host/owner/repo`);
  if (url.username !== '' || url.password !== '') throw bad('credentials in the URL are not allowed; pass the token separately');
  if (url.search !== '' || url.hash !== '') throw bad('a query string or fragment is not allowed');
  if (url.hostname === '') throw bad('the URL has no host');

  const segments = url.pathname.replace(/\/$/, '').split('/').slice(1);
  if (segments.length !== 2) throw bad('expected exactly /owner/repo after the host');
  const [owner, rawRepo] = segments as [string, string];
  const repo = rawRepo.endsWith('.git') ? rawRepo.slice(0, -4) : rawRepo;
  if (!OWNER.test(owner)) throw bad(`'${owner.slice(0, 60)}' is not a valid GitHub owner name`);
  if (!REPO.test(repo) || repo === '.' || repo === '..') throw bad(`'${repo.slice(0, 120)}' is not a valid GitHub repository name`);

  const isPublic = PUBLIC_HOSTS.has(url.hostname.toLowerCase());
  const origin = isPublic ? 'https://github.com' : `${url.protocol}//${url.host}`;
  return {
    owner,
    repo,
    webUrl: `${origin}/${owner}/${repo}`,
    apiUrl: isPublic ? 'https://api.github.com' : `${origin}/api/v3`,
    gitUrl: `${origin}/${owner}/${repo}.git`,
  };
}
