import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundGuard } from '../../src/http-client/index.ts';
import { checkRemote, gitConfigArgs, gitEnv } from '../../src/git/remote.ts';
import { type GitHubSimulator, startGitHubSimulator } from '../simulators/github/index.ts';

const run = promisify(execFile);
let sim: GitHubSimulator;
let home: string;

beforeAll(async () => {
  sim = await startGitHubSimulator();
  home = await mkdtemp(join(tmpdir(), 'git-remote-home-'));
});
afterAll(async () => {
  await sim.close();
  await rm(home, { recursive: true, force: true });
});

describe('git remote settings', () => {
  it('pins the connection to the address the guard checked (no second DNS answer)', async () => {
    // A public host whose DNS (stubbed) answers 140.82.112.3 when the guard checks it.
    const guard = createOutboundGuard({ allowedHosts: [], lookup: async () => [{ address: '140.82.112.3', family: 4 }] });
    const remote = await checkRemote('https://github.example/acme/web.git', guard);
    expect(gitConfigArgs(remote)).toContain('http.curloptResolve=github.example:443:140.82.112.3');
    expect(gitConfigArgs(remote)).not.toContain('protocol.http.allow=always');
  });

  it('git 2.39 honours the pin: a name that DNS cannot resolve reaches the pinned address', async () => {
    const port = new URL(sim.url).port;
    const remote = await checkRemote(`${sim.url}/acme/web.git`, createOutboundGuard({ allowedHosts: ['127.0.0.1'] }));
    const pinned = { ...remote, target: { ...remote.target, hostname: 'pinned.invalid', addresses: [{ address: '127.0.0.1', family: 4 }] } };
    const { stdout } = await run('git', [...gitConfigArgs(pinned), 'ls-remote', '--', `http://pinned.invalid:${port}/acme/web.git`, 'refs/heads/main'], { env: gitEnv(home, sim.token) });
    expect(stdout).toMatch(/^[0-9a-f]{40}\trefs\/heads\/main/);
  });

  it('the environment carries the token only as an Authorization header, and nothing inherited', () => {
    const env = gitEnv(home, 'tok-123456');
    expect(env.GIT_CONFIG_KEY_0).toBe('http.extraHeader');
    expect(env.GIT_CONFIG_VALUE_0).toBe(`Authorization: Basic ${Buffer.from('x-access-token:tok-123456').toString('base64')}`);
    expect(env).toMatchObject({ HOME: home, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', GIT_CONFIG_NOSYSTEM: '1' });
    expect(Object.keys(env).filter((k) => k.startsWith('GIT_TRACE') || k === 'GIT_DIR' || k.endsWith('_PROXY'))).toEqual([]);
  });
});
