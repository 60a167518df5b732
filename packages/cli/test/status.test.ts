import { RedisCoordinator } from '@tasklane/coordinator-redis';
import { TaskHandler, type Runner } from '@tasklane/core';
import { startTestRedis, type TestRedis } from '@tasklane/test-utils';
import { startHarness, type Harness } from '@tasklane/test-utils/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/index.ts';
import { captureHost } from './host.ts';

describe('tasklane status', () => {
  let redis: TestRedis;
  let harness: Harness | undefined;
  let runner: Runner;
  const prefix = `tl-status-${Date.now()}:`;

  beforeAll(async () => {
    redis = await startTestRedis();
    harness = await startHarness({
      emulator: { longPollMs: 2000 },
      groups: ['status-wg'],
      handlers: [
        TaskHandler('Sleep')(
          class {
            handle() {
              return new Promise((r) => setTimeout(r, 3000));
            }
          },
        ),
      ],
      coordinator: new RedisCoordinator({ url: redis.url, keyPrefix: prefix }),
      hostname: 'status-host',
      taskrunnerId: 'status-1',
    });
    runner = harness.runner;
    harness.enqueue('Sleep');
    await harness.emulator.control.waitFor((o) => Object.values(o.tasks).some((t) => t.acks > 0), 10_000);
  });

  afterAll(async () => {
    await harness?.close();
    await redis?.dispose();
  });

  it('prints the fleet as JSON: instance, slots, in-flight task and the lease holder', async () => {
    let fleet: any;
    await expect
      .poll(
        async () => {
          const host = captureHost();
          expect(
            await main(['status', '--redis-url', redis.url, '--redis-key-prefix', prefix, '--json'], host),
          ).toBe(0);
          fleet = JSON.parse(host.out);
          return fleet.instances[0]?.inFlight?.length ?? 0;
        },
        { timeout: 10_000 },
      )
      .toBe(1);
    expect(fleet.instances).toHaveLength(1);
    expect(fleet.instances[0]).toMatchObject({ hostname: 'status-host', instanceId: runner.instanceId });
    expect(fleet.instances[0].inFlight[0]).toMatchObject({ group: 'status-wg', activityType: 'Sleep' });
    expect(fleet.instances[0]).toMatchObject({ running: 1, busy: 1 });
    expect(fleet.instances[0].running + fleet.instances[0].polling + fleet.instances[0].free).toBe(2);
    const group = fleet.groups.find((g: { group: string }) => g.group === 'status-wg');
    expect(group.holder?.instanceId).toBe(runner.instanceId);
  });

  it('prints tables for people, and exits 2 without a Redis URL', async () => {
    const host = captureHost();
    expect(await main(['status', '--redis-url', redis.url, '--redis-key-prefix', prefix], host)).toBe(0);
    expect(host.out).toMatch(/WORKER GROUPS[\s\S]*status-wg\s+status-host/);
    expect(host.out).toMatch(/INSTANCES[\s\S]*status-host/);
    expect(host.out).toMatch(/IN-FLIGHT TASKS[\s\S]*Sleep/);
    const bad = captureHost();
    expect(await main(['status'], bad)).toBe(2);
    expect(bad.err).toContain('--redis-url');
  });

  it('counts the slot reserved for the poll as polling, not running, as the /fleet pages do', async () => {
    const args = ['status', '--redis-url', redis.url, '--redis-key-prefix', prefix];
    const instance = async () => {
      const host = captureHost();
      expect(await main([...args, '--json'], host)).toBe(0);
      const i = JSON.parse(host.out).instances[0];
      return {
        inFlight: i.inFlight.length,
        running: i.running,
        busy: i.busy,
        polling: i.polling,
        free: i.free,
      };
    };
    // Once the Sleep task ends the runner is idle: the registry's busy still counts the poll's slot.
    await expect
      .poll(instance, { timeout: 10_000 })
      .toEqual({ inFlight: 0, running: 0, busy: 0, polling: 1, free: 1 });
    const host = captureHost();
    expect(await main(args, host)).toBe(0);
    expect(host.out).toMatch(/INSTANCES\n.*RUNNING\s+POLLING\s+FREE\n.*status-host.*status-wg\s+0\s+1\s+1\n/);
  });
});
