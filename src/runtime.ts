/**
 * Assembles the running service from configuration: logger, keys, database (migrated), job queue,
 * shared state, outbound client, JWT verifier. `serve`, `worker` and tests all start here, and
 * `close()` releases everything in reverse order.
 */
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { loadOrCreateJwtSecret } from './auth/dev-secret.ts';
import { createJwtVerifier } from './auth/jwt-verifier.ts';
import type { Config } from './config/index.ts';
import type { AppContext, ClockStatus } from './context.ts';
import { createKeyRing, type KeyRing, loadOrCreateKeyFile, parseEncryptionKeys } from './crypto/index.ts';
import { type Database, databaseTarget, openDatabase } from './db/database.ts';
import { runMigrations } from './db/migrate.ts';
import { createOutboundClient, createOutboundGuard } from './http-client/index.ts';
import { JobQueue } from './jobs/queue.ts';
import { checkClockOffset } from './lib/ntp.ts';
import { formatIsoInZone } from './lib/time.ts';
import { createLogger, type Logger } from './logging/logger.ts';
import { appInstallationRefresher } from './providers/github/app-installation.ts';
import { servicenowOAuthProtocol } from './providers/servicenow/oauth.ts';
import { installConnectionRuntime } from './services/connection-runtime.ts';
import { registerScanFollowUps } from './services/imports/lifecycle.ts';
import { startRunSweeper } from './services/internal/runs.ts';
import { OutboundCallRecorder } from './services/outbound-calls.ts';
import { startSlaScheduler } from './services/sla/index.ts';
import { startTicketSyncScheduler } from './services/sync/index.ts';
import { TenantDirectory } from './services/tenancy.ts';
import { createMemorySharedState, createRedisSharedState, type SharedState } from './shared-state/index.ts';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
export const VERSION = packageJson.version;

export interface Runtime {
  context: AppContext;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logger?: Logger;
  /** Override the database target (tests use an in-memory one). */
  database?: Database;
  /** Skip the NTP check (tests). */
  skipClockCheck?: boolean;
}

async function loadKeyRing(config: Config, logger: Logger): Promise<KeyRing> {
  if (config.encryptionKeys) return createKeyRing(parseEncryptionKeys(config.encryptionKeys));
  const file = await loadOrCreateKeyFile(config.dataDir);
  if (file.permissionsTooOpen) logger.warn({ path: file.path }, 'the encryption key file is readable by other users; chmod 600 it');
  if (file.created) {
    logger.warn(
      { path: file.path },
      'ENCRYPTION_KEYS is not set: generated a local encryption key in DATA_DIR. Back it up, or set ENCRYPTION_KEYS (integration-service keygen) before storing real credentials.',
    );
  }
  return createKeyRing(file.keys);
}

function jwtSecret(config: Config, logger: Logger): string | null {
  if (!config.jwt.algorithm.startsWith('HS')) return null;
  if (config.jwt.secret) return config.jwt.secret;
  const generated = loadOrCreateJwtSecret(config.dataDir);
  if (generated.created) {
    logger.warn(
      'JWT_SECRET_KEY is not set: generated a development JWT secret in DATA_DIR; mint tokens with `npm run --silent cli -- token`.',
    );
  }
  return generated.secret;
}

function startClockCheck(config: Config, logger: Logger, clock: ClockStatus): void {
  const server = config.ntp.server;
  if (!server) return;
  clock.server = server;
  // Never blocks start: the result lands in `clock` (health, metrics) when it arrives.
  void checkClockOffset({ server, timeoutMs: config.ntp.timeoutMs }).then((result) => {
    clock.checkedAt = formatIsoInZone(Date.now(), config.log.timezone);
    if (result.ok) {
      clock.offsetMs = result.offsetMs;
      clock.error = null;
      const fields = { server, offset_ms: Math.round(result.offsetMs), round_trip_ms: Math.round(result.roundTripMs) };
      if (Math.abs(result.offsetMs) > 1000) logger.warn(fields, 'local clock differs from NTP by more than 1 s');
      else logger.info(fields, 'clock checked against NTP');
    } else {
      clock.error = result.error;
      logger.warn({ server, error: result.error }, 'NTP clock check failed');
    }
  });
}

export async function startRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger({ level: config.log.level, timezone: config.log.timezone });
  const keyRing = await loadKeyRing(config, logger);
  const secret = jwtSecret(config, logger);
  const verifyJwt = await createJwtVerifier({ ...config.jwt, secret });

  const db = options.database ?? (await openDatabase(databaseTarget(config)));
  const closers: (() => Promise<void>)[] = [() => db.close()];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch((error) => logger.error({ err: error }, 'shutdown step failed'));
  };
  try {
    if (config.migrateOnStart) {
      const { applied } = await runMigrations(db);
      if (applied > 0) logger.info({ applied }, 'database migrated');
    }
    const sharedState: SharedState = config.redisUrl ? createRedisSharedState(config.redisUrl) : createMemorySharedState();
    closers.push(() => sharedState.close());

    const metrics = new Registry();
    const outboundGuard = createOutboundGuard({ allowedHosts: config.outbound.allowedHosts });
    // Every outbound attempt lands in the audit log under its request or job, written in batches.
    const outboundCalls = new OutboundCallRecorder(db.orm, logger.child({ component: 'outbound-calls' }));
    closers.push(() => outboundCalls.close());
    const outbound = createOutboundClient({
      logger: logger.child({ component: 'outbound' }),
      metrics: { registry: metrics },
      onCall: outboundCalls.record,
      guard: outboundGuard,
      defaultTimeoutMs: config.outbound.timeoutMs,
      maxRetries: 4,
    });
    closers.push(() => outbound.close());

    // Started last so it stops first: running jobs still have the database, shared state and the
    // outbound client while they finish.
    const queue = new JobQueue(db, logger.child({ component: 'jobs' }), config.jobs);
    await queue.start();
    closers.push(() => queue.stop(10_000));

    // Heartbeats for this process's in-process batch runs; fails runs nobody will finish.
    const sweeper = startRunSweeper({
      orm: db.orm,
      jobState: (jobId) => queue.stateOf('run_items', jobId),
      logger: logger.child({ component: 'runs' }),
      heartbeatSeconds: config.jobs.runHeartbeatSeconds,
    });
    closers.push(() => sweeper.stop());

    const clock: ClockStatus = { server: null, offsetMs: null, checkedAt: null, error: null };
    if (!options.skipClockCheck) startClockCheck(config, logger, clock);

    const context: AppContext = {
      config,
      logger,
      db,
      queue,
      tenants: new TenantDirectory(db.orm),
      verifyJwt,
      keyRing,
      sharedState,
      outbound,
      outboundGuard,
      outboundCalls,
      metrics,
      clock,
      version: VERSION,
      startedAt: Date.now(),
    };
    // SLA breach scans queued every SLA_SCAN_INTERVAL_SECONDS; periodic ticket sync (one sync job per ticketing connection).
    closers.push(startSlaScheduler(context, config.jobs.slaScanIntervalSeconds * 1000));
    closers.push(startTicketSyncScheduler(context, config.jobs.ticketSyncIntervalSeconds * 1000));
    // After scan imports: policy tickets, resolved findings' tickets done, reopened ones reopened.
    closers.push(registerScanFollowUps(context));
    // Refreshers and configured endpoints for every stored connection's credential source.
    installConnectionRuntime(context, { appInstallationRefresher, servicenowOAuth: servicenowOAuthProtocol });
    return { context, close };
  } catch (error) {
    await close();
    throw error;
  }
}
