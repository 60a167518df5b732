/**
 * Sentinel for real: a master, a replica and three sentinels started by the test; a sentinel-driven
 * failover while two instances take turns on a group's lease.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCoordinator } from '../src/index.ts';
import { startLeaseWorkers } from './lease-workers.ts';
import { startTestSentinel, type TestSentinel } from './redis-sentinel.ts';

let sentinel: TestSentinel;
beforeAll(async () => {
  sentinel = await startTestSentinel();
}, 60_000);
afterAll(async () => {
  await sentinel?.dispose();
});

describe('failover through Sentinel', () => {
  it('never has two holders and resumes granting on the new master by itself', async () => {
    const coordinators = [0, 1].map(
      () =>
        new RedisCoordinator({
          url: sentinel.url,
          keyPrefix: `sfail${process.pid}:`,
          leaseMs: 3000,
          commandTimeoutMs: 1000,
        }),
    );
    const workers = startLeaseWorkers(coordinators, 'failover');
    try {
      await expect.poll(() => workers.grants(), { timeout: 10_000 }).toBeGreaterThan(10);
      const before = await sentinel.masterPort();
      await sentinel.failover();
      expect(await sentinel.masterPort()).not.toBe(before);
      const granted = workers.grants();
      await expect.poll(() => workers.grants(), { timeout: 30_000 }).toBeGreaterThan(granted + 10);
      expect(workers.maxHolders()).toBe(1);
    } finally {
      await workers.stop();
      await Promise.all(coordinators.map((c) => c.close()));
    }
  }, 60_000);
});
