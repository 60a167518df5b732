import { silentLogger } from '@tasklane/core';
import type { RedisCoordinator } from '@tasklane/coordinator-redis';
import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/index.ts';
import { createCoordinator } from '../src/run/components.ts';
import { captureHost } from './host.ts';

/** Nothing here connects: a coordinator only dials Redis on start(). */
async function coordinatorFor(argv: string[]): Promise<RedisCoordinator> {
  const { config } = resolveRunConfig(argv, captureHost());
  return (await createCoordinator(config, silentLogger, undefined)) as RedisCoordinator;
}

describe('the coordinator a run builds', () => {
  it('renews leases on a thread when Data Pipeline groups are served, and not for BullMQ alone', async () => {
    const redis = ['--redis-url', 'redis://127.0.0.1:1'];
    const withGroups = await coordinatorFor(['--worker-group', 'wg', ...redis, '--redis-turn', '250ms']);
    expect(withGroups.options).toMatchObject({ renewal: 'thread', turnMs: 250 });
    await withGroups.close();
    // BullMQ polls take no lease: a renewal thread and its connection would only cost CPU per job.
    const queuesOnly = await coordinatorFor(['--source', 'bullmq', '--queue', 'q', ...redis]);
    expect(queuesOnly.options.renewal).toBe('main');
    await queuesOnly.close();
  });
});
