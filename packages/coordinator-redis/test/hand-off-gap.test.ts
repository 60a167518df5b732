/**
 * The hand-off gap: the release time travels with the grant, so the next holder can tell how long the
 * group had no poll in flight. Real redis-server, two coordinators.
 */
import { startTestRedis, type TestRedis } from '@tasklane/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCoordinator } from '../src/index.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.dispose();
});

describe('hand-off gap', () => {
  it('reports the time from the release to the next holder', async () => {
    const grants: Array<{ handOff: boolean; handOffGapMs?: number | undefined }> = [];
    const options = { url: redis.url, keyPrefix: `gap${Date.now()}:` };
    const a = new RedisCoordinator(options);
    const b = new RedisCoordinator({ ...options, onAcquire: (info) => grants.push(info) });
    try {
      const held = await a.acquire('g', new AbortController().signal);
      const waiting = b.acquire('g', new AbortController().signal);
      // b queues behind a and blocks; a's release hands the lease over with its release time.
      await new Promise((r) => setTimeout(r, 300));
      await held.release();
      const permit = await waiting;
      expect(permit.epoch).toBeGreaterThan(held.epoch);
      expect(grants).toHaveLength(1);
      expect(grants[0]!.handOff).toBe(true);
      expect(grants[0]!.handOffGapMs).toBeGreaterThanOrEqual(0);
      // One Redis round trip and a wake-up on a loaded machine, far from the 300 ms b waited.
      expect(grants[0]!.handOffGapMs).toBeLessThan(250);
      await permit.release();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
