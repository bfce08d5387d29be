/**
 * The remote and the settings every git process runs with. The URL must pass the outbound guard
 * (https, public addresses, or an allow-listed host, which alone may use http); git itself is then
 * told to speak only that transport, so `ext::`, `file://` and redirects to them fail inside git
 * too. The connection is pinned to the address the guard checked (no second DNS answer), redirects
 * are not followed (the Authorization header must not travel to another host), and nothing from
 * the user's or the system's git configuration applies.
 */
import { isIP } from 'node:net';
import { type CheckedTarget, type OutboundGuard, OutboundError } from '../http-client/index.ts';
import { GIT_URL_REFUSED, GitError } from './errors.ts';
import { basicCredential } from './redact.ts';

export interface CheckedRemote {
  url: string;
  host: string;
  /** "/owner/repo.git", for log lines. */
  path: string;
  target: CheckedTarget;
}

export async function checkRemote(remoteUrl: string, guard: OutboundGuard): Promise<CheckedRemote> {
  if (typeof remoteUrl !== 'string' || remoteUrl.startsWith('-')) throw new GitError(GIT_URL_REFUSED, 'git remote refused: not a URL');
  let parsed: URL;
  try {
    parsed = new URL(remoteUrl);
  } catch {
    throw new GitError(GIT_URL_REFUSED, 'git remote refused: not a URL (expected https://host/owner/repo.git)');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new GitError(GIT_URL_REFUSED, `git remote refused: scheme ${parsed.protocol} is not allowed (https only)`);
  }
  if (parsed.username !== '' || parsed.password !== '') throw new GitError(GIT_URL_REFUSED, 'git remote refused: credentials in the URL are not allowed');
  if (parsed.search !== '' || parsed.hash !== '') throw new GitError(GIT_URL_REFUSED, 'git remote refused: a query string or fragment is not allowed');
  let target: CheckedTarget;
  try {
    target = await guard.resolve(parsed);
  } catch (error) {
    const reason = error instanceof OutboundError ? (error.reason ?? error.message) : 'not allowed';
    throw new GitError(GIT_URL_REFUSED, `git remote refused by the outbound guard: ${reason}`);
  }
  return { url: parsed.toString(), host: parsed.host, path: parsed.pathname, target };
}

/** `-c` settings for every git command (none of them secret: they are visible in `ps`). */
export function gitConfigArgs(remote: CheckedRemote): string[] {
  const { target } = remote;
  const settings = [
    'protocol.allow=never',
    'protocol.https.allow=always',
    // http only where the operator allow-listed the host (local simulators, on-prem mirrors).
    ...(target.allowListed && target.url.protocol === 'http:' ? ['protocol.http.allow=always'] : []),
    'credential.helper=',
    'core.askPass=',
    'http.followRedirects=false',
    'core.hooksPath=/dev/null',
    'core.fsmonitor=false',
    'submodule.recurse=false',
    'commit.gpgSign=false',
    'gc.auto=0',
    'maintenance.auto=false',
  ];
  const first = target.addresses[0];
  if (first) {
    const port = target.url.port || (target.url.protocol === 'https:' ? '443' : '80');
    const address = isIP(first.address) === 6 ? `[${first.address}]` : first.address;
    settings.push(`http.curloptResolve=${target.hostname}:${port}:${address}`);
  }
  return settings.flatMap((setting) => ['-c', setting]);
}

/**
 * The environment of every git process: no inherited variables (GIT_DIR, proxies, askpass), an
 * empty HOME, no system or global config, no prompts, and the token only here, as an extra header.
 */
export function gitEnv(home: string, token: string): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basicCredential(token)}`,
  };
}
