/**
 * `worker`: a process that only runs jobs. Against PostgreSQL any number of them share the queue;
 * SIGTERM stops taking jobs, lets running ones finish (or releases them) and exits.
 */
import type { Config } from '../../config/index.ts';
import { productHandlers } from '../../jobs/handlers/index.ts';
import type { JobHandlers } from '../../jobs/queue.ts';
import { type Runtime, startRuntime } from '../../runtime.ts';
import type { CliIo } from '../cli-io.ts';
import { loadConfigOrReport } from '../load-config.ts';
import { onShutdown } from '../shutdown.ts';

export const summary = 'run the job worker only (several may share a PostgreSQL database)';

/** Shared by the command and by tests that need a real worker process with their own handlers. */
export async function startWorkerProcess(
  config: Config,
  handlers: (runtime: Runtime) => JobHandlers,
): Promise<Runtime> {
  const runtime = await startRuntime(config);
  const { context } = runtime;
  onShutdown(context.logger, () => runtime.close());
  await context.queue.work(handlers(runtime), config.jobs.concurrency);
  context.logger.info({ database: context.db.kind, concurrency: config.jobs.concurrency }, 'worker started');
  return runtime;
}

export async function run(_args: string[], io: CliIo): Promise<number> {
  const config = loadConfigOrReport(io);
  if (!config) return 2;
  if (!config.databaseUrl) {
    io.stderr(
      'integration-service: note: without DATABASE_URL the worker uses the embedded database, which one process owns at a time; `serve` already runs a worker.\n',
    );
  }
  await startWorkerProcess(config, (runtime) => productHandlers(runtime.context));
  return new Promise<number>(() => {});
}
