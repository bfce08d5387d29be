/**
 * Short-lived state shared by every process of one deployment: in memory for the single-process
 * default, Redis when REDIS_URL is set (the caller chooses; nothing here reads the environment).
 */
export {
  SHARED_STATE_CLOSED,
  SHARED_STATE_INVALID_ARGUMENT,
  SHARED_STATE_LOCK_TIMEOUT,
  SHARED_STATE_NOT_A_COUNTER,
  SHARED_STATE_UNAVAILABLE,
  SharedStateError,
  type SharedStateErrorCode,
} from './errors.ts';
export { createMemorySharedState, type MemorySharedStateOptions } from './memory.ts';
export { createRedisSharedState, type RedisSharedStateOptions } from './redis.ts';
export type { LockHandle, SharedState, WithLockOptions } from './types.ts';
