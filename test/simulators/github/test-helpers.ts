/**
 * Helpers for the simulator's own tests: async git (never execFileSync: the simulator runs in the same
 * process and a blocked event loop would deadlock the clone), authenticated REST calls, and a local
 * webhook receiver that keeps the exact raw bodies for signature checks.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import type { GitHubSimulator } from './index.ts';

export interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function git(args: string[], options: { cwd?: string; token?: string | null } = {}): Promise<GitRun> {
  const auth = options.token ? ['-c', `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${options.token}`).toString('base64')}`] : [];
  return new Promise((resolve) => {
    execFile(
      'git',
      [...auth, '-c', 'user.name=Test Bot', '-c', 'user.email=test-bot@acme.example', '-c', 'init.defaultBranch=main', '-c', 'advice.detachedHead=false', ...args],
      { cwd: options.cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

export async function tempDir(prefix = 'gh-sim-test-'): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(`${tmpdir()}/${prefix}`);
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke into JSON freely
  json: any;
}

export async function api(sim: GitHubSimulator, method: string, path: string, body?: unknown, options: { token?: string | null; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
  const token = options.token === undefined ? sim.token : options.token;
  const headers: Record<string, string> = { accept: 'application/vnd.github+json', ...options.headers };
  if (token) headers.authorization = `token ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${sim.apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body: parsed, json: parsed };
}

export async function graphql(sim: GitHubSimulator, query: string, variables: Record<string, unknown> = {}, token: string | null = sim.token): Promise<ApiResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `bearer ${token}`;
  const response = await fetch(sim.graphqlUrl, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  return { status: response.status, headers: response.headers, body: parsed, json: parsed };
}

export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke into JSON freely
  json: any;
}

export async function startReceiver(): Promise<{ url: string; received: ReceivedHook[]; close(): Promise<void> }> {
  const received: ReceivedHook[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      // A form hook sends `payload=<url-encoded JSON>`.
      const text = String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(raw.toString('utf8')).get('payload') ?? '' : raw.toString('utf8');
      received.push({ headers: request.headers, raw, json: JSON.parse(text) });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Clone `repo`, commit `files` on a new `branch` and push it; returns the working copy and head sha. */
export async function pushBranch(sim: GitHubSimulator, repo: string, branch: string, files: Record<string, string>, dir: string): Promise<string> {
  const work = `${dir}/${repo.replace('/', '-')}-${branch.replace(/\//g, '-')}-${Date.now()}`;
  const clone = await git(['clone', '--quiet', `${sim.url}/${repo}.git`, work], { token: sim.token });
  if (clone.code !== 0) throw new Error(clone.stderr);
  // Continue an existing remote branch (a second push to a PR head), or start one from the default branch.
  if ((await git(['checkout', '-q', '-B', branch, `origin/${branch}`], { cwd: work })).code !== 0) await git(['checkout', '-q', '-B', branch], { cwd: work });
  const { writeFile, mkdir } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(`${work}/${path}`), { recursive: true });
    await writeFile(`${work}/${path}`, content);
  }
  await git(['add', '-A'], { cwd: work });
  const commit = await git(['commit', '-q', '-m', `Change on ${branch}`], { cwd: work });
  if (commit.code !== 0) throw new Error(commit.stderr || commit.stdout);
  const push = await git(['push', '-q', 'origin', branch], { cwd: work, token: sim.token });
  if (push.code !== 0) throw new Error(push.stderr);
  return (await git(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
}
