/**
 * `tasklane run --redis-url redis+cluster://…` end to end: a real runner process coordinates through a
 * real 3-master Redis Cluster (the coordinator package's test cluster) and its /fleet.json reads it.
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { freePort, type GroupProcess } from '@tasklane/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../coordinator-redis/test/redis-cluster.ts';
import { startTasklane } from './runner-process.ts';

describe('tasklane run on Redis Cluster', () => {
  let cluster: TestCluster;
  let emulator: Emulator;
  let runner: GroupProcess;
  let url = '';

  beforeAll(async () => {
    cluster = await startTestCluster();
    emulator = await startEmulator({ longPollMs: 300 });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    runner = startTasklane('node', [
      'run',
      '--worker-group',
      'clustered',
      '--endpoint',
      emulator.endpoint,
      '--redis-url',
      cluster.url,
      '--http-port',
      String(port),
    ]);
    await runner.waitForOutput(/tasklane runner started/, 30_000);
  }, 90_000);

  afterAll(async () => {
    await runner?.stop(5000);
    await emulator?.close();
    await cluster?.dispose();
  });

  it('runs a task and shows the lease holder from the cluster', async () => {
    const { taskId } = emulator.control.enqueueTask({
      workerGroup: 'clustered',
      type: 'ShellCommandActivity',
      fields: { command: 'true' },
    });
    await emulator.control.waitFor((o) => o.tasks[taskId]?.terminalStatus !== undefined, 30_000);
    expect(emulator.control.task(taskId)!.terminalStatus).toBe('FINISHED');
    await expect.poll(async () => (await fetch(`${url}/readyz`)).status, { timeout: 10_000 }).toBe(200);
    const fleet = (await (await fetch(`${url}/fleet.json`)).json()) as {
      coordinator: string;
      instances: unknown[];
      groups: Array<{ group: string }>;
    };
    expect(fleet.coordinator).toBe('redis');
    expect(fleet.instances).toHaveLength(1);
    expect(fleet.groups.map((g) => g.group)).toContain('clustered');
  });
});
