/**
 * Process lifecycle for the long-running commands (serve, worker).
 *
 * - SIGTERM/SIGINT: run the given steps once, in order, then exit 0. A second signal while shutting
 *   down exits at once.
 * - An unhandled promise rejection (a background task that failed without a catch) is logged and
 *   the process keeps serving: one failed background task must never take the API down.
 * - An uncaught exception leaves the process in an undefined state (Node's documentation: do not
 *   resume after one). It is logged, the same graceful shutdown runs, and the process exits 1 so a
 *   supervisor (systemd, Docker's restart policy, Kubernetes) starts a fresh one. A shutdown that
 *   does not finish within SHUTDOWN_GRACE_MS is cut short.
 *
 * Every log call here goes through logSafely: a failure to log never becomes a second failure.
 */
import { type Logger, logSafely } from '../logging/logger.ts';

const SHUTDOWN_GRACE_MS = 10_000;

export type Stop = (reason: string, exitCode: number) => void;

export function onShutdown(logger: Logger, steps: () => Promise<void>): Stop {
  let stopping = false;
  let code = 0;
  const stop: Stop = (reason, exitCode) => {
    if (exitCode !== 0 && code === 0) {
      // A failure (also one during a signalled shutdown) exits non-zero, and never waits forever.
      code = exitCode;
      setTimeout(() => {
        logSafely(logger, 'error', { grace_ms: SHUTDOWN_GRACE_MS }, 'shutdown did not finish in time: exiting now');
        process.exit(code);
      }, SHUTDOWN_GRACE_MS).unref();
    }
    if (stopping) return;
    stopping = true;
    logSafely(logger, exitCode === 0 ? 'info' : 'error', { reason }, 'shutting down');
    steps()
      .then(() => {
        logSafely(logger, 'info', { exit_code: code }, 'stopped');
        process.exit(code);
      })
      .catch((error: unknown) => {
        logSafely(logger, 'error', { err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logSafely(logger, 'warn', { signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stop(signal, 0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  installProcessPolicy(logger, stop);
  return stop;
}

/**
 * Runs the graceful shutdown when the process that started this one exits. `npm start` is the case:
 * npm is the parent, and a killed npm (even with SIGKILL, which it cannot forward) must not leave
 * the server running as an orphan holding the port and the data folder. Supervisors that are the
 * parent for the server's whole life (systemd, tini in Docker) never trigger it.
 */
export function stopWhenParentExits(stop: Stop, intervalMs = 1000): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    // process.ppid is read from the OS on every access: an orphan is re-parented (to init or a subreaper).
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop('parent process exited', 0);
  }, intervalMs);
  timer.unref();
}

/** The unhandledRejection / uncaughtException policy described above; `stop` is the graceful shutdown. */
export function installProcessPolicy(logger: Logger, stop: Stop): void {
  process.on('unhandledRejection', (reason: unknown) => {
    logSafely(logger, 'error', { err: reason }, 'unhandled promise rejection (a background task failed); the service keeps running');
  });
  process.on('uncaughtException', (error: unknown, origin: string) => {
    logSafely(logger, 'fatal', { err: error, origin }, 'uncaught exception: the process state is undefined; shutting down to be restarted');
    stop('uncaughtException', 1);
  });
}
