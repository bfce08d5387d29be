/**
 * One git process: argument array (no shell), a scrubbed environment, a deadline that kills the
 * whole process group (git forks git-remote-https and pack helpers), capped output, and an optional
 * watch that kills it when a directory grows past a size limit (a clone cannot fill the disk first).
 */
import { spawn } from 'node:child_process';
import { dirSize } from './dir-size.ts';

export interface GitRun {
  binary: string;
  cwd: string;
  args: string[];
  env: Record<string, string>;
  input?: string;
  /** Epoch ms after which the process group is killed. */
  deadline: number;
  watch?: { dir: string; maxBytes: number };
}

export interface GitRunResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  tooLarge: boolean;
  durationMs: number;
}

const MAX_OUTPUT = 1024 * 1024;
const WATCH_INTERVAL_MS = 200;

function collector() {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk: Buffer) {
      if (size >= MAX_OUTPUT) return;
      chunks.push(chunk);
      size += chunk.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

export function runGit(run: GitRun): Promise<GitRunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // detached: a process group of its own, so a kill reaches the helpers git started too.
    const child = spawn(run.binary, run.args, { cwd: run.cwd, env: run.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    const out = collector();
    const err = collector();
    let timedOut = false;
    let tooLarge = false;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(
      () => {
        timedOut = true;
        killGroup();
      },
      Math.max(0, run.deadline - Date.now()),
    );
    let measuring = false;
    const watcher = run.watch
      ? setInterval(() => {
          if (measuring || !run.watch) return;
          measuring = true;
          dirSize(run.watch.dir)
            .then((bytes) => {
              if (bytes > (run.watch?.maxBytes ?? Number.POSITIVE_INFINITY)) {
                tooLarge = true;
                killGroup();
              }
            })
            .catch(() => {})
            .finally(() => {
              measuring = false;
            });
        }, WATCH_INTERVAL_MS)
      : undefined;
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    // git may exit before reading all of stdin; the exit code tells what happened.
    child.stdin.on('error', () => {});
    child.on('error', (error) => {
      clearTimeout(timer);
      if (watcher) clearInterval(watcher);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (watcher) clearInterval(watcher);
      resolve({
        code: code ?? (signal ? 128 : -1),
        stdout: out.text(),
        stderr: err.text(),
        timedOut,
        tooLarge,
        durationMs: Date.now() - started,
      });
    });
    child.stdin.end(run.input ?? '');
  });
}
