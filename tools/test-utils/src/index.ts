/**
 * @module @tasklane/test-utils
 * Shared helpers for Tasklane's own tests: a private redis-server per test run, free ports, and child
 * processes in their own process group (so cleanup never kills by name).
 */
export { freePort } from './ports.ts';
export { startTestRedis, TestRedisUnavailableError } from './redis-server.ts';
export { spawnGroup } from './processes.ts';
export type { TestRedis } from './redis-server.ts';
export type { GroupProcess } from './processes.ts';
