/**
 * Everything a request or a job may use, built once by the runtime (src/runtime.ts) and passed to
 * the HTTP app and the workers. Tests build it with an in-memory database.
 */
import type { Registry } from 'prom-client';
import type { JwtVerifier } from './auth/jwt-verifier.ts';
import type { Config } from './config/index.ts';
import type { KeyRing } from './crypto/index.ts';
import type { Database } from './db/database.ts';
import type { OutboundClient, OutboundGuard } from './http-client/index.ts';
import type { JobQueue } from './jobs/queue.ts';
import type { Logger } from './logging/logger.ts';
import type { OutboundCallRecorder } from './services/outbound-calls.ts';
import type { TenantDirectory } from './services/tenancy.ts';
import type { SharedState } from './shared-state/index.ts';

export interface ClockStatus {
  server: string | null;
  offsetMs: number | null;
  checkedAt: string | null;
  error: string | null;
}

export interface AppContext {
  config: Config;
  logger: Logger;
  db: Database;
  queue: JobQueue;
  tenants: TenantDirectory;
  verifyJwt: JwtVerifier;
  keyRing: KeyRing;
  sharedState: SharedState;
  outbound: OutboundClient;
  /** The same guard the outbound client uses, to refuse a user-supplied URL before it is stored. */
  outboundGuard: OutboundGuard;
  /** The audit log's record of outbound calls (batched; `flush()` before reading your own). */
  outboundCalls: OutboundCallRecorder;
  metrics: Registry;
  clock: ClockStatus;
  version: string;
  startedAt: number;
}
