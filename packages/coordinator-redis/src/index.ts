/**
 * @module @tasklane/coordinator-redis
 *
 * Fleet coordination on Redis: at most one in-flight poll per worker group across every runner that
 * shares the Redis, with FIFO hand-off between instances, lease expiry for crashed holders, fail-closed
 * behaviour while Redis is unreachable, and a fleet registry for `tasklane status`.
 *
 * @example
 * ```ts
 * import { RedisCoordinator } from '@tasklane/coordinator-redis';
 * const runner = new Runner({ registry, sources, coordinator: new RedisCoordinator({ url: 'redis://127.0.0.1:6379' }) });
 * ```
 */
export { RedisCoordinator } from './redis-coordinator.ts';
export { readFleetStatus } from './fleet.ts';
export { connectRedis, redisOptionsFromUrl } from './connect.ts';
export {
  RedisErrorCode,
  RedisUrlError,
  RedisOptionError,
  CoordinatorClosedError,
  redactUrl,
} from './errors.ts';
export { groupKeys, registryKeys } from './keys.ts';

export type { RedisCoordinatorStats } from './redis-coordinator.ts';
export type { RedisCoordinatorOptions } from './options.ts';
export type { RedisPollPermit } from './lease-manager.ts';
export { MIN_REDIS_VERSION } from './connection.ts';
export type { FleetStatus, FleetInstance, GroupStatus, LeaseHolder, FleetQueryOptions } from './fleet.ts';
export type { GroupKeys, RegistryKeys } from './keys.ts';
