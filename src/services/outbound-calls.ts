/**
 * The outbound-call record of the audit log: the shared HTTP client reports every attempt
 * (`onCall`), and this files it under the current operation (request or job, from
 * src/lib/operation-context.ts) in memory; a timer writes the queue in one batch (operations first,
 * then the calls). Recording never waits for the database and never fails the operation: a write
 * that fails is logged and its batch dropped, and a queue that outgrows `maxPending` drops its
 * oldest entries. Rows older than the retention are deleted at most hourly.
 *
 * Stored: organization, operation, provider, connection, method, host, path (no query string,
 * through the log redaction, at most 500 characters), status or error code, duration, attempt.
 * Never headers or bodies.
 */
import { randomUUID } from 'node:crypto';
import { and, lt, notExists, sql } from 'drizzle-orm';
import type { Orm } from '../db/database.ts';
import { auditEvents, operations, outboundCalls } from '../db/schema.ts';
import type { OutboundCallEvent } from '../http-client/index.ts';
import { currentOperation, type Operation } from '../lib/operation-context.ts';
import type { Logger } from '../logging/logger.ts';
import { redactText } from '../logging/redact.ts';

export const MAX_STORED_PATH_CHARS = 500;

export interface OutboundCallRecorderOptions {
  /** How long calls stay before the batch is written. */
  flushIntervalMs?: number;
  /** A batch this large is written at once. */
  maxBatch?: number;
  /** More queued than this (the database is down or slow): the oldest are dropped. */
  maxPending?: number;
  retentionDays?: number;
  now?: () => number;
}

type OperationRow = typeof operations.$inferInsert;
type CallRow = typeof outboundCalls.$inferInsert;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The path as stored: no query or fragment (the client never reports them), redacted, bounded. */
export function storedPath(path: string): string {
  const bare = path.split(/[?#]/, 1)[0] ?? '';
  const redacted = redactText(bare);
  return redacted.length > MAX_STORED_PATH_CHARS ? `${redacted.slice(0, MAX_STORED_PATH_CHARS - 1)}…` : redacted;
}

export class OutboundCallRecorder {
  readonly #orm: Orm;
  readonly #logger: Logger;
  readonly #flushIntervalMs: number;
  readonly #maxBatch: number;
  readonly #maxPending: number;
  readonly #retentionMs: number;
  readonly #now: () => number;
  #operations = new Map<string, OperationRow>();
  #calls: CallRow[] = [];
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();
  #dropped = 0;
  #lastPrune = 0;
  #closed = false;

  constructor(orm: Orm, logger: Logger, options: OutboundCallRecorderOptions = {}) {
    this.#orm = orm;
    this.#logger = logger;
    this.#flushIntervalMs = options.flushIntervalMs ?? 500;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#maxPending = options.maxPending ?? 20_000;
    this.#retentionMs = (options.retentionDays ?? 30) * 86_400_000;
    this.#now = options.now ?? Date.now;
  }

  /** The client's `onCall` hook: synchronous, constant time, never throws. */
  readonly record = (event: OutboundCallEvent): void => {
    try {
      this.#enqueue(event, currentOperation());
    } catch (error) {
      this.#logger.warn({ err: error }, 'outbound call not recorded');
    }
  };

  #enqueue(event: OutboundCallEvent, operation: Operation | undefined): void {
    const orgId = event.orgId ?? operation?.orgId ?? null;
    // Every reader is an organization's member: a call of no organization is only logged.
    if (this.#closed || !orgId || !uuidPattern.test(orgId)) return;
    const at = new Date(this.#now());
    const operationId = operation?.id ?? randomUUID();
    if (!this.#operations.has(operationId)) {
      this.#operations.set(operationId, {
        id: operationId,
        orgId: operation?.orgId ?? orgId,
        kind: operation?.kind ?? 'background',
        name: operation?.name ?? `${event.provider} call`,
        // A public request (OAuth callback, webhook) has no caller to name; background work is the service's.
        actor: operation ? operation.actor : 'service',
        requestId: operation?.requestId ?? null,
        createdAt: operation?.startedAt ?? at,
      });
    }
    this.#calls.push({
      orgId,
      operationId,
      provider: event.provider.slice(0, 100),
      connectionId: event.connectionId && uuidPattern.test(event.connectionId) ? event.connectionId : null,
      method: event.method.slice(0, 20),
      host: event.host.slice(0, 300),
      path: storedPath(event.path),
      status: event.status,
      error: event.error ? event.error.slice(0, 200) : null,
      durationMs: Math.max(0, Math.round(event.durationMs)),
      attempt: event.attempt,
      at,
    });
    if (this.#calls.length > this.#maxPending) {
      const excess = this.#calls.length - this.#maxPending;
      this.#calls.splice(0, excess);
      this.#dropped += excess;
    }
    if (this.#calls.length >= this.#maxBatch) this.#schedule(0);
    else this.#schedule(this.#flushIntervalMs);
  }

  #schedule(delayMs: number): void {
    if (this.#timer && delayMs > 0) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, delayMs);
    this.#timer.unref();
  }

  /** Writes everything queued so far; resolves when it is written (or dropped after a failure). */
  flush(): Promise<void> {
    this.#writing = this.#writing.then(() => this.#writeAll()).catch((error: unknown) => this.#logger.warn({ err: error }, 'outbound calls not recorded'));
    return this.#writing;
  }

  async #writeAll(): Promise<void> {
    while (this.#calls.length > 0) {
      const calls = this.#calls.splice(0, this.#maxBatch);
      const ids = new Set(calls.map((call) => call.operationId));
      const ops: OperationRow[] = [];
      for (const id of ids) {
        const row = this.#operations.get(id);
        if (row) ops.push(row);
      }
      // Operations whose calls are all in this batch are no longer needed in memory; one that is
      // still running is re-inserted (on conflict, nothing) with its next batch.
      const stillQueued = new Set(this.#calls.map((call) => call.operationId));
      for (const id of ids) if (!stillQueued.has(id)) this.#operations.delete(id);
      try {
        if (ops.length > 0) await this.#orm.insert(operations).values(ops).onConflictDoNothing();
        await this.#orm.insert(outboundCalls).values(calls);
      } catch (error) {
        this.#logger.warn({ err: error, calls: calls.length }, 'outbound calls not recorded (database write failed)');
      }
    }
    if (this.#dropped > 0) {
      this.#logger.warn({ dropped: this.#dropped }, 'outbound calls not recorded (queue full)');
      this.#dropped = 0;
    }
    if (this.#now() - this.#lastPrune > 3_600_000) {
      this.#lastPrune = this.#now();
      await this.prune().catch((error: unknown) => this.#logger.warn({ err: error }, 'outbound call retention cleanup failed'));
    }
  }

  /** Deletes calls older than the retention, and operations of that age left with nothing. */
  async prune(): Promise<void> {
    const cutoff = new Date(this.#now() - this.#retentionMs);
    await this.#orm.delete(outboundCalls).where(lt(outboundCalls.at, cutoff));
    await this.#orm
      .delete(operations)
      .where(
        and(
          lt(operations.createdAt, cutoff),
          notExists(this.#orm.select({ one: sql`1` }).from(auditEvents).where(sql`${auditEvents.operationId} = ${operations.id}`)),
          notExists(this.#orm.select({ one: sql`1` }).from(outboundCalls).where(sql`${outboundCalls.operationId} = ${operations.id}`)),
        ),
      );
  }

  /** Stops taking calls and writes what is queued. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.flush();
  }
}
