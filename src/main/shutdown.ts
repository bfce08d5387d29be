/**
 * Graceful shutdown on SIGTERM/SIGINT: run the given steps once, in order, then exit. A second
 * signal while shutting down exits at once.
 */
import type { Logger } from '../logging/logger.ts';

export function onShutdown(logger: Logger, steps: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    steps()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
