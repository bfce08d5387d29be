/**
 * Builds a real runtime and app for a test: a fresh database of the given kind, fixed test secrets,
 * no NTP, logs captured in memory (so tests can assert what was and was not logged).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { signHmacToken, type TokenRequest } from '../../src/auth/sign.ts';
import { type Config, loadConfig } from '../../src/config/index.ts';
import type { AppContext } from '../../src/context.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { startRuntime } from '../../src/runtime.ts';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.ts';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
export const TEST_ENCRYPTION_KEYS = `t1:${Buffer.alloc(32, 7).toString('base64')}`;

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    NTP_SERVER: 'off',
    JWT_SECRET_KEY: TEST_JWT_SECRET,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.1,localhost',
    JOB_RETRY_DELAY_SECONDS: '1',
    ...overrides,
  };
}

export interface TestService {
  app: FastifyInstance;
  context: AppContext;
  config: Config;
  database: TestDatabase;
  logs: string[];
  token(request?: Partial<TokenRequest>): Promise<string>;
  close(): Promise<void>;
}

export async function startTestService(kind: DatabaseKind, env: Record<string, string> = {}): Promise<TestService> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'is-test-'));
  const config = loadConfig(testEnv({ DATA_DIR: dataDir, ...env }));
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger({ level: config.log.level, timezone: config.log.timezone, destination });
  const database = await createTestDatabase(kind);
  const runtime = await startRuntime(config, { logger, database: database.db, skipClockCheck: true });
  const app = await buildApp(runtime.context);
  await app.ready();
  return {
    app,
    context: runtime.context,
    config,
    database,
    logs,
    token: (request = {}) =>
      signHmacToken(TEST_JWT_SECRET, 'HS256', { subject: 'tester', roles: [], ...request }),
    async close() {
      await app.close();
      await runtime.close();
      await database.drop().catch(() => {});
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function randomId(): string {
  return randomBytes(6).toString('hex');
}
