import { InProcessCoordinator, type Coordinator } from '@tasklane/core';
import { startTestRedis, type TestRedis } from '@tasklane/test-utils';
import { afterAll, beforeAll } from 'vitest';
import { RedisCoordinator } from '../src/index.ts';
import { CONFORMANCE_TURN_MS, describeCoordinatorConformance } from './conformance-suite.ts';

let redis: TestRedis;
let n = 0;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.dispose();
});

describeCoordinatorConformance('InProcessCoordinator (core)', async () => {
  const shared = new InProcessCoordinator();
  return {
    instances: async (count) => Array.from({ length: count }, () => shared),
    dispose: () => shared.close(),
  };
});

describeCoordinatorConformance('RedisCoordinator', async () => {
  // A fresh prefix per test: tests never see each other's leases or queues.
  const keyPrefix = `conf${++n}-${process.pid}:`;
  const created: Coordinator[] = [];
  return {
    instances: async (count) => {
      for (let i = 0; i < count; i++)
        created.push(
          new RedisCoordinator({ url: redis.url, keyPrefix, leaseMs: 5000, turnMs: CONFORMANCE_TURN_MS }),
        );
      return created;
    },
    dispose: async () => {
      await Promise.all(created.map((c) => c.close()));
    },
  };
});
