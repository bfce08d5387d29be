/** `serve`: the HTTP API and UI, with the job worker in the same process unless RUN_WORKER=false. */
import fs from 'node:fs';
import { buildApp } from '../../app.ts';
import { productHandlers } from '../../jobs/handlers/index.ts';
import { RunStore } from '../../services/internal/runs.ts';
import { startRuntime } from '../../runtime.ts';
import type { CliIo } from '../cli-io.ts';
import { loadConfigOrReport } from '../load-config.ts';
import { onShutdown, stopWhenParentExits } from '../shutdown.ts';

export const summary = 'run the HTTP API (and the job worker unless RUN_WORKER=false)';

export async function run(args: string[], io: CliIo): Promise<number> {
  const env = { ...io.env };
  if (args.includes('--no-migrate')) env.MIGRATE_ON_START = 'false';
  if (args.includes('--no-worker')) env.RUN_WORKER = 'false';
  const config = loadConfigOrReport({ ...io, env });
  if (!config) return 2;
  const runtime = await startRuntime(config);
  const { context } = runtime;
  // Signals and the unhandled-rejection policy first, so a background failure while starting is
  // logged like any other (src/main/shutdown.ts).
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  const stop = onShutdown(context.logger, async () => {
    if (app) await app.close();
    await runtime.close();
  });
  // Under `npm start` (npm sets npm_lifecycle_event) npm is the parent: stop with it, never linger.
  if (io.env.npm_lifecycle_event) stopWhenParentExits(stop);
  const interrupted = await new RunStore(context.db.orm).failInterrupted();
  if (interrupted > 0) context.logger.warn({ runs: interrupted }, 'marked batch runs interrupted by an earlier stop as failed');
  // TLS_CERT/TLS_KEY: the service speaks HTTPS itself (seed 003's https://localhost URLs).
  const https = config.tls ? { key: fs.readFileSync(config.tls.keyFile), cert: fs.readFileSync(config.tls.certFile) } : undefined;
  app = await buildApp(context, https ? { https } : {});
  if (config.runWorker) await context.queue.work(productHandlers(context), config.jobs.concurrency);
  await app.listen({ host: config.host, port: config.port });
  context.logger.info(
    { port: config.port, https: Boolean(https), database: context.db.kind, worker: config.runWorker, redis: Boolean(config.redisUrl) },
    'integration-service listening',
  );
  return new Promise<number>(() => {});
}
