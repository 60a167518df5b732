/**
 * Honest fleet numbers: a slot reserved for the poll is "polling", not busy; failures come from the
 * whole fleet through the registry. Real runner processes, a real redis-server and the emulator.
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { freePort, startTestRedis, type GroupProcess, type TestRedis } from '@tasklane/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetFailures, honestInstance } from '../src/ops/fleet-numbers.ts';
import { startTasklane } from './runner-process.ts';

const base = {
  instanceId: 'i1',
  hostname: 'h',
  runtime: 'node',
  version: '0',
  startedAt: 0,
  state: 'running',
};

describe('slot counts', () => {
  it('counts the slot reserved for the poll as polling, not busy', () => {
    const idle = honestInstance({ ...base, groups: { a: { slots: 2, busy: 1 } }, inFlight: [] });
    expect(idle.groups['a']).toEqual({ slots: 2, busy: 0, running: 0, polling: 1, free: 1 });
    expect(idle.busy).toBe(0);
    const working = honestInstance({
      ...base,
      groups: { a: { slots: 2, busy: 2 }, b: { slots: 2, busy: 0 } },
      inFlight: [{ taskId: 't', attemptId: 'x', group: 'a', activityType: 'Shell', startedAt: 0 }],
    });
    expect(working.groups['a']).toMatchObject({ running: 1, polling: 1, free: 0 });
    expect(working).toMatchObject({ busy: 1, polling: 1, free: 2 });
  });

  it('merges failures newest first, once each', () => {
    const f = (attemptId: string, at: number) => ({
      at,
      group: 'g',
      activityType: 'Shell',
      attemptId,
      errorId: 'E',
      errorMessage: 'm',
    });
    const other = honestInstance({
      ...base,
      groups: {},
      inFlight: [],
      recentFailures: [f('b', 2), f('a', 1)],
    });
    expect(fleetFailures([f('a', 1), f('c', 3)], [other]).map((x) => x.attemptId)).toEqual(['c', 'b', 'a']);
  });
});

describe('/fleet.json of a real fleet', () => {
  let emulator: Emulator;
  let redis: TestRedis;
  let watcher: GroupProcess;
  let worker: GroupProcess;
  let url = '';

  beforeAll(async () => {
    emulator = await startEmulator({ longPollMs: 300 });
    redis = await startTestRedis({ forceOwned: true });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const common = [
      '--endpoint',
      emulator.endpoint,
      '--redis-url',
      redis.url,
      '--redis-key-prefix',
      'fleetnum:',
    ];
    watcher = startTasklane('node', [
      'run',
      '--worker-group',
      'quiet',
      ...common,
      '--http-port',
      String(port),
    ]);
    worker = startTasklane('node', ['run', '--worker-group', 'failing', ...common]);
    await watcher.waitForOutput(/tasklane runner started/, 30_000);
    await worker.waitForOutput(/tasklane runner started/, 30_000);
  }, 60_000);

  afterAll(async () => {
    await watcher?.stop(5000);
    await worker?.stop(5000);
    await emulator?.close();
    await redis?.dispose();
  });

  const fleet = async () =>
    (await (await fetch(`${url}/fleet.json`)).json()) as {
      instances: Array<{ hostname: string; groups: Record<string, Record<string, number>>; busy: number }>;
      failures: Array<{ group: string; errorMessage: string }>;
    };

  it('shows an idle runner with no busy slot, and its poll slot as polling', async () => {
    await expect
      .poll(
        async () => (await fleet()).instances.find((i) => i.groups['quiet'])?.groups['quiet']?.['polling'],
        {
          timeout: 15_000,
        },
      )
      .toBe(1);
    const quiet = (await fleet()).instances.find((i) => i.groups['quiet'])!;
    expect(quiet.groups['quiet']).toMatchObject({ slots: 2, busy: 0, running: 0 });
    expect(quiet.busy).toBe(0);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('tasklane_slots{group="quiet",state="running"} 0');
  });

  it("lists another instance's failure on this instance's page", async () => {
    const { taskId } = emulator.control.enqueueTask({
      workerGroup: 'failing',
      type: 'ShellCommandActivity',
      fields: { command: 'echo broken >&2; exit 3' },
    });
    await emulator.control.waitFor((o) => o.tasks[taskId]?.terminalStatus !== undefined, 30_000);
    expect(emulator.control.task(taskId)!.terminalStatus).toBe('FAILED');
    await expect
      .poll(async () => (await fleet()).failures.map((f) => f.group), { timeout: 15_000 })
      .toContain('failing');
  });
});
