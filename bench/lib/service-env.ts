/**
 * A throwaway environment for starting the real service inside a benchmark: silent logs, no NTP,
 * fresh random secrets (never real ones), nothing written outside the given data directory.
 */
import { randomBytes } from 'node:crypto';
import type { BenchEnv } from './types.ts';

export function serviceEnv(dataDir: string): BenchEnv {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    NTP_SERVER: 'off',
    JWT_SECRET_KEY: randomBytes(32).toString('hex'),
    ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  };
}
