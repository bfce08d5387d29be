/**
 * `pr-engine`: time to open one fix PR (lodash ^4.17.15 → 4.17.x in package.json) on a small
 * repository (~10 files) and on a large one (20,000 files, ~100 MB of history, built with
 * `buildLargeRepository`), two ways, in the same run against the GitHub simulator:
 *
 *  - api: our engine (`openFixPullRequest`, transport `api`): one recursive tree listing, only the
 *    candidate manifests read, a tree + commit + ref through the git data API, then the PR. Nothing
 *    is cloned, so the repository's size should barely show.
 *  - clone: the seeds' approach — `git clone` with full history, edit, commit, push a branch, then
 *    create the PR through REST.
 *
 * Each path runs BENCH_PR_RUNS times per repository (default 3), each time for a different fixed
 * version (a new branch and PR). The GitHub client's write spacing (1 s between writes and 3 s between
 * notifying writes in production, to stay under GitHub's secondary limits) is set to 0 here, so the
 * numbers are the engine's own cost; the spacing adds the same few seconds to any repository.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createGitHubClient } from '../../src/providers/github/index.ts';
import { startRuntime } from '../../src/runtime.ts';
import { openFixPullRequest } from '../../src/services/pull-requests/index.ts';
import { buildLargeRepository, type GitHubSimulator, startGitHubSimulator } from '../../test/simulators/github/index.ts';
import { intFromEnv } from '../lib/env.ts';
import { serviceEnv } from '../lib/service-env.ts';
import { median, round } from '../lib/stats.ts';
import type { Benchmark, BenchEnv, BenchmarkOutcome } from '../lib/types.ts';
import { staticCredentials } from '../../src/providers/credentials/index.ts';

const SMALL_PACKAGE_JSON = `{
  "name": "small-app",
  "version": "1.0.0",
  "private": true,
  "dependencies": {
    "lodash": "^4.17.15",
    "express": "4.17.1"
  }
}
`;

function progress(message: string): void {
  process.stderr.write(`[pr-engine] ${message}\n`);
}

function git(args: string[], options: { cwd?: string; token?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const auth = options.token ? ['-c', `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${options.token}`).toString('base64')}`] : [];
  return new Promise((resolve) => {
    execFile(
      'git',
      [...auth, '-c', 'user.name=Seed Bot', '-c', 'user.email=seed-bot@acme.example', ...args],
      { cwd: options.cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

async function must(step: string, result: Promise<{ code: number; stderr: string }>): Promise<void> {
  const done = await result;
  if (done.code !== 0) throw new Error(`${step} failed: ${done.stderr.slice(0, 500)}`);
}

/** The seeds' way: full clone, edit, commit, push, then POST /pulls. */
async function clonePath(sim: GitHubSimulator, repo: string, version: string, workRoot: string): Promise<number> {
  const started = performance.now();
  const dir = await mkdtemp(path.join(workRoot, 'clone-'));
  try {
    await must('git clone', git(['clone', '--quiet', `${sim.url}/${repo}.git`, dir], { token: sim.token }));
    const branch = `seed/lodash-${version}`;
    await must('git checkout', git(['checkout', '-q', '-b', branch], { cwd: dir }));
    const manifest = path.join(dir, 'package.json');
    const content = await readFile(manifest, 'utf8');
    await writeFile(manifest, content.replace(/"lodash": "[^"]*"/, `"lodash": "^${version}"`));
    await must('git commit', git(['commit', '-q', '-am', `Bump lodash to ${version}`], { cwd: dir }));
    await must('git push', git(['push', '-q', 'origin', branch], { cwd: dir, token: sim.token }));
    const response = await fetch(`${sim.apiUrl}/repos/${repo}/pulls`, {
      method: 'POST',
      headers: { authorization: `token ${sim.token}`, 'content-type': 'application/json', accept: 'application/vnd.github+json' },
      body: JSON.stringify({ title: `Bump lodash to ${version}`, head: branch, base: 'main', body: 'Security update' }),
    });
    if (response.status !== 201) throw new Error(`POST /pulls answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    return performance.now() - started;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}


async function run(env: BenchEnv): Promise<BenchmarkOutcome> {
  const runs = intFromEnv(env, 'BENCH_PR_RUNS', 3, { min: 1, max: 10 });
  const largeFiles = intFromEnv(env, 'BENCH_PR_LARGE_FILES', 20_000, { min: 100, max: 200_000 });
  const historyMb = intFromEnv(env, 'BENCH_PR_HISTORY_MB', 100, { min: 1, max: 2_000 });
  const parameters = { runs_per_path: runs, small_files: 10, large_files: largeFiles, large_history_mb: historyMb, github_write_spacing_ms: 0, transport: 'api', simulator: 'GitHub simulator on 127.0.0.1 (real git over HTTP)' };

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-pr-'));
  const workRoot = await mkdtemp(path.join(os.tmpdir(), 'bench-pr-work-'));
  const baseEnv: BenchEnv = { ...serviceEnv(dataDir), OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' };
  const config = loadConfig(baseEnv, dataDir);
  const sim = await startGitHubSimulator({ seedRepos: false });
  const database = await openDatabase({ kind: 'embedded', dir: null });
  const runtime = await startRuntime(config, { database, skipClockCheck: true });
  try {
    const { context } = runtime;
    const orgId = (await context.tenants.resolve('demo-org', 'bench')).orgId;
    const smallFiles: Record<string, string> = { 'package.json': SMALL_PACKAGE_JSON, 'README.md': '# small\n' };
    for (let i = 0; i < 8; i++) smallFiles[`src/file-${i}.ts`] = `export const value${i} = ${i};\n`;
    await sim.admin.createRepo({ fullName: 'acme/small', files: smallFiles });
    progress(`building the large repository (${largeFiles} files, ~${historyMb} MB of history)`);
    const large = await buildLargeRepository({ simulator: sim, fullName: 'acme/large', files: largeFiles, historyMb });
    progress(`large repository built in ${round(large.durationMs / 1000, 1)} s`);

    const deps = {
      http: context.outbound,
      guard: context.outboundGuard,
      logger: context.logger,
      orm: context.db.orm,
      orgId,
      clientFor: (target: Parameters<typeof createGitHubClient>[0]) => createGitHubClient(target, { http: context.outbound, logger: context.logger, options: { writeIntervalMs: 0, notificationIntervalMs: 0 } }),
    };
    const apiPath = async (repo: string, version: string) => {
      sim.admin.clearRequests();
      const started = performance.now();
      const outcome = await openFixPullRequest(
        { repoUrl: `${sim.url}/${repo}`, credentials: staticCredentials({ kind: 'pat', token: sim.token }), items: [{ packageName: 'lodash', ecosystem: 'npm', fixedVersion: version, advisories: [{ id: 'CVE-2021-23337', severity: 'high' }] }] },
        deps,
      );
      const ms = performance.now() - started;
      if (outcome.status !== 'created') throw new Error(`${repo}: expected a created PR, got ${outcome.status}: ${outcome.error ?? outcome.note}`);
      return { ms, calls: sim.admin.requests().length };
    };

    const versions = ['4.17.19', '4.17.20', '4.17.21', '4.17.22', '4.17.23', '4.17.24', '4.17.25', '4.17.26', '4.17.27', '4.17.28'].slice(0, runs);
    const measure: Record<string, { ms: number[]; calls?: number[] }> = {};
    for (const [label, repo] of [['small', 'acme/small'], ['large', 'acme/large']] as const) {
      const api = { ms: [] as number[], calls: [] as number[] };
      const clone = { ms: [] as number[] };
      for (const version of versions) {
        const a = await apiPath(repo, version);
        api.ms.push(a.ms);
        api.calls.push(a.calls);
        progress(`${label} api: ${round(a.ms)} ms, ${a.calls} GitHub requests`);
        const c = await clonePath(sim, repo, version, workRoot);
        clone.ms.push(c);
        progress(`${label} clone: ${round(c)} ms`);
      }
      measure[`${label}_api`] = api;
      measure[`${label}_clone`] = clone;
    }
    const m = (key: string) => median(measure[key]!.ms);
    const results = {
      small_api_ms: round(m('small_api')),
      small_clone_ms: round(m('small_clone')),
      large_api_ms: round(m('large_api')),
      large_clone_ms: round(m('large_clone')),
      /** How much the repository's size costs each path (large / small). */
      api_large_over_small: round(m('large_api') / m('small_api'), 2),
      clone_large_over_small: round(m('large_clone') / m('small_clone'), 2),
      /** How much faster the API path is than a full clone, per repository. */
      small_clone_over_api: round(m('small_clone') / m('small_api'), 2),
      large_clone_over_api: round(m('large_clone') / m('large_api'), 2),
      github_requests_per_api_pr: { small: measure.small_api!.calls, large: measure.large_api!.calls },
      runs_ms: Object.fromEntries(Object.entries(measure).map(([key, value]) => [key, value.ms.map((ms) => round(ms))])),
      large_repository: { files: large.files, commits: large.commits, build_ms: large.durationMs },
    };
    return {
      parameters,
      results,
      summary: {
        small_api_ms: results.small_api_ms,
        small_clone_ms: results.small_clone_ms,
        large_api_ms: results.large_api_ms,
        large_clone_ms: results.large_clone_ms,
        api_large_over_small: results.api_large_over_small,
        clone_large_over_small: results.clone_large_over_small,
        large_clone_over_api: results.large_clone_over_api,
      },
    };
  } finally {
    await runtime.close();
    await sim.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(workRoot, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: 'pr-engine',
  description: 'Time to open one fix PR on a small (~10 files) and a large (20,000 files, ~100 MB history) repository: our API path (tree listing + git data API) against a full git clone, edit, commit, push and REST PR (the seeds’ approach)',
  run,
};
