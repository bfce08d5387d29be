/** Loads the configuration for a CLI command, printing every problem at once on failure. */
import { type Config, ConfigError, loadConfig } from '../config/index.ts';
import type { CliIo } from './cli-io.ts';

export function loadConfigOrReport(io: CliIo): Config | null {
  try {
    return loadConfig(io.env, io.cwd);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`integration-service: ${error.message}\n`);
      return null;
    }
    throw error;
  }
}
