/**
 * @module @tasklane/test-utils
 * Shared helpers for Tasklane's own tests: a private redis-server per test run, free ports, child
 * processes in their own process group (so cleanup never kills by name), self-signed certificates, and
 * waiting for a condition.
 */
export { freePort } from './ports.ts';
export { startTestRedis, TestRedisUnavailableError } from './redis-server.ts';
export { spawnGroup } from './processes.ts';
export {
  caSignedCertificate,
  selfSignedCertificate,
  type CaSignedCertificate,
  type SelfSignedCertificate,
} from './tls.ts';
export { waitUntil } from './until.ts';
export type { TestRedis } from './redis-server.ts';
export type { GroupProcess } from './processes.ts';
