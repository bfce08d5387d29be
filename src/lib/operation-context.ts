/**
 * The operation the current code runs for: an API request or a job, carried through async calls by
 * AsyncLocalStorage. The HTTP layer enters one before each route handler and the job queue around
 * each handler, so whatever runs below (an outbound call, an audit event) can be filed under it
 * without passing it down. Outside of both (start-up, timers) there is none.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export const operationKinds = ['request', 'job', 'background'] as const;
export type OperationKind = (typeof operationKinds)[number];

export interface Operation {
  /** A UUID: the job's id for a job, a fresh one for a request. */
  id: string;
  kind: OperationKind;
  /** `POST /api/v1/tickets` (the route pattern, never the concrete URL) or the job kind. */
  name: string;
  /** Null until known (a webhook's organization is known from its endpoint). */
  orgId: string | null;
  actor: string | null;
  /** The request id (X-Request-Id) of a request. */
  requestId: string | null;
  startedAt: Date;
}

const storage = new AsyncLocalStorage<Operation>();

export function currentOperation(): Operation | undefined {
  return storage.getStore();
}

export function runInOperation<T>(operation: Operation, fn: () => T): T {
  return storage.run(operation, fn);
}
