/**
 * Readiness follows the coordinator and the lifecycle; liveness never does. Real runner process, real
 * redis-server stopped and restarted on the same port, real drain with a task in flight.
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { freePort, startTestRedis, type GroupProcess, type TestRedis } from '@tasklane/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTasklane } from './runner-process.ts';

describe('/readyz and /livez', () => {
  let emulator: Emulator;
  let redis: TestRedis;
  let runner: GroupProcess;
  let base = '';
  const status = async (path: string) => (await fetch(`${base}${path}`)).status;

  beforeAll(async () => {
    emulator = await startEmulator({ longPollMs: 500 });
    redis = await startTestRedis({ forceOwned: true });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    runner = startTasklane('node', [
      'run',
      '--worker-group',
      'ready',
      '--endpoint',
      emulator.endpoint,
      '--redis-url',
      redis.url,
      '--http-port',
      String(port),
      '--http-host',
      '127.0.0.1',
      '--shutdown-timeout',
      '10s',
      // a short lease keeps the post-restart fence (one lease) short
      '--lease',
      '2s',
    ]);
    await runner.waitForOutput(/tasklane runner started/, 30_000);
  });

  afterAll(async () => {
    await runner?.stop(5000);
    await emulator?.close();
    await redis?.dispose();
  });

  it('goes unready while Redis is down and ready again when it returns; live throughout', async () => {
    await expect.poll(() => status('/readyz'), { timeout: 10_000 }).toBe(200);
    await redis.stop();
    await expect.poll(() => status('/readyz'), { timeout: 10_000 }).toBe(503);
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({
      ready: false,
      coordinator: 'down',
      state: 'running',
    });
    expect(await status('/livez')).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('tasklane_coordinator_up 0');
    const pollsBefore = emulator.control.observations().groups.ready?.polls ?? 0;
    await redis.start();
    await expect.poll(() => status('/readyz'), { timeout: 15_000 }).toBe(200);
    // and it polls again by itself (after the fence that protects a poll possibly still in flight)
    await emulator.control.waitFor((o) => (o.groups.ready?.polls ?? 0) > pollsBefore + 1, 15_000);
    const { taskId } = emulator.control.enqueueTask({
      workerGroup: 'ready',
      type: 'ShellCommandActivity',
      fields: { command: 'true' },
    });
    expect(
      (await emulator.control.waitFor((o) => o.tasks[taskId]?.terminalStatus !== undefined, 20_000)).tasks[
        taskId
      ]!.terminalStatus,
    ).toBe('FINISHED');
  });

  it('goes unready while draining, stays live, then exits 0 after the task finished', async () => {
    const { taskId } = emulator.control.enqueueTask({
      workerGroup: 'ready',
      type: 'ShellCommandActivity',
      fields: { command: 'sleep 2' },
    });
    await emulator.control.waitFor((o) => (o.tasks[taskId]?.acks ?? 0) > 0, 10_000);
    runner.signal('SIGTERM');
    await expect.poll(() => status('/readyz'), { timeout: 5000 }).toBe(503);
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ ready: false, state: 'draining' });
    expect(await status('/livez')).toBe(200);
    expect(await runner.exited).toBe(0);
    expect(emulator.control.task(taskId)!.terminalStatus).toBe('FINISHED');
  });
});
