/**
 * `npm run bench:compare -- --base <rev> [--head <rev>] [--rounds N] <suite>...`: the named
 * benchmarks of two revisions (head: this checkout as it is, or the revision given), side by side in
 * one run on the same machine. A revision is checked out into a temporary git worktree with its own
 * `npm ci`; each round runs every suite once
 * on each side, alternating which side goes first, so drift in machine load touches both alike.
 * Prints one JSON document (also written to bench/results/compare.json): per suite and numeric
 * summary field, the median of each side over the rounds and head ÷ base.
 *
 * A suite must exist on both sides under the same name; fields only one side reports are listed
 * under `only_base` / `only_head`. Nothing of the checked-out revisions is kept: the worktrees are
 * removed.
 */
import { execFile as execFileCallback, spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { machineInfo } from './lib/machine.ts';
import { median, round } from './lib/stats.ts';

const execFile = promisify(execFileCallback);
const checkoutDir = fileURLToPath(new URL('..', import.meta.url));

type Flat = Record<string, number>;

/** Numeric leaves of a summary, keyed by their dotted path. */
export function flatten(value: unknown, prefix = '', out: Flat = {}): Flat {
  if (typeof value === 'number' && Number.isFinite(value)) out[prefix] = value;
  else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  }
  return out;
}

/** Runs one suite in a checkout; resolves with its summary line (the last JSON line on stdout). */
function runSuite(dir: string, suite: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'bench', '--', suite], { cwd: dir, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').reverse().find((candidate) => candidate.startsWith('{'));
      if (!line) return reject(new Error(`${suite} in ${dir}: no summary line (exit ${code})`));
      const summary = JSON.parse(line) as Record<string, unknown>;
      if (code !== 0 || summary.ok === false) return reject(new Error(`${suite} in ${dir} failed: ${line}`));
      resolve(summary);
    });
  });
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { base: { type: 'string' }, head: { type: 'string' }, rounds: { type: 'string', default: '2' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help || !values.base || positionals.length === 0) {
    process.stderr.write('usage: npm run bench:compare -- --base <git revision> [--head <git revision>] [--rounds N] <suite>...\n');
    return values.help ? 0 : 2;
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
    process.stderr.write('--rounds must be a whole number from 1 to 20\n');
    return 2;
  }
  const revision = async (rev: string) => (await execFile('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: checkoutDir })).stdout.trim();
  const baseSha = await revision(values.base);
  const headSha = await revision(values.head ?? 'HEAD');
  const dirty = values.head ? '' : (await execFile('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: checkoutDir })).stdout;
  const worktrees: string[] = [];
  const checkout = async (sha: string, label: string) => {
    const dir = await mkdtemp(path.join(tmpdir(), `bench-${label}-`));
    worktrees.push(dir);
    await execFile('git', ['worktree', 'add', '--detach', dir, sha], { cwd: checkoutDir });
    process.stderr.write(`bench:compare: npm ci in ${dir} (${label} ${sha.slice(0, 10)})\n`);
    await execFile('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
    return dir;
  };
  try {
    const baseDir = await checkout(baseSha, 'base');
    const headDir = values.head ? await checkout(headSha, 'head') : checkoutDir;
    const samples: Record<string, { base: Flat[]; head: Flat[]; errors: string[] }> = {};
    for (let index = 0; index < rounds; index++) {
      for (const suite of positionals) {
        const sides: ['base' | 'head', string][] = [
          ['base', baseDir],
          ['head', headDir],
        ];
        if (index % 2 === 1) sides.reverse();
        for (const [side, dir] of sides) {
          process.stderr.write(`bench:compare: round ${index + 1}/${rounds} ${suite} on ${side}\n`);
          const entry = (samples[suite] ??= { base: [], head: [], errors: [] });
          // A failing side is reported, not fatal: the other suites' numbers are still worth having.
          await runSuite(dir, suite).then(
            (summary) => entry[side].push(flatten(summary)),
            (error: Error) => entry.errors.push(`${side}: ${error.message}`),
          );
        }
      }
    }
    const suites: Record<string, unknown> = {};
    for (const [suite, { base, head, errors }] of Object.entries(samples)) {
      const keys = new Set([...base.flatMap(Object.keys), ...head.flatMap(Object.keys)]);
      const fields: Record<string, { base: number; head: number; head_over_base: number | null }> = {};
      const onlyBase: string[] = [];
      const onlyHead: string[] = [];
      for (const key of keys) {
        const b = base.map((sample) => sample[key]).filter((value): value is number => value !== undefined);
        const h = head.map((sample) => sample[key]).filter((value): value is number => value !== undefined);
        if (b.length === 0) onlyHead.push(key);
        else if (h.length === 0) onlyBase.push(key);
        else {
          const mb = median(b);
          const mh = median(h);
          fields[key] = { base: round(mb, 3), head: round(mh, 3), head_over_base: mb === 0 ? null : round(mh / mb, 3) };
        }
      }
      suites[suite] = { samples: { base: base.length, head: head.length }, fields, only_base: onlyBase, only_head: onlyHead, errors };
    }
    const record = {
      benchmark: 'compare',
      timestamp: new Date().toISOString(),
      machine: machineInfo(),
      base: baseSha,
      head: headSha,
      head_has_uncommitted_changes: dirty.trim() !== '',
      rounds,
      suites,
    };
    const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
    await mkdir(resultsDir, { recursive: true });
    await writeFile(path.join(resultsDir, 'compare.json'), `${JSON.stringify(record, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(record)}\n`);
    return Object.values(samples).some((entry) => entry.errors.length > 0) ? 1 : 0;
  } finally {
    for (const dir of worktrees) {
      await execFile('git', ['worktree', 'remove', '--force', dir], { cwd: checkoutDir }).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }
}

// Only when run as a script (the unit test imports flatten()).
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.exitCode = await main();
}
