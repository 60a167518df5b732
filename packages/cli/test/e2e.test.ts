/**
 * End-to-end: the real bin/tasklane of each runtime app, spawned as a process against the emulator (and
 * a private redis-server for the fleet case). A missing runtime fails the suite; nothing is skipped.
 */
import { startEmulator, type Emulator } from '@tasklane/emulator';
import { freePort, startTestRedis, type GroupProcess, type TestRedis } from '@tasklane/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTasklane } from './runner-process.ts';

const RUNTIMES = ['node', 'bun', 'deno'] as const;

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.dispose();
});

describe.each(RUNTIMES)('tasklane on %s', (runtime) => {
  let emulator: Emulator;
  const procs: GroupProcess[] = [];
  const start = (args: string[]) => {
    const p = startTasklane(runtime, args);
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    emulator = await startEmulator({ longPollMs: 1000 });
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop(5000)));
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('prints its version with the runtime name', async () => {
    const p = start(['--version']);
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(new RegExp(`tasklane \\d+\\.\\d+\\.\\d+ \\(${runtime} `));
  });

  it('exits 2 naming a bad option', async () => {
    const p = start(['run', '--worker-group', 'wg', '--shutdown-timeout', 'soon']);
    expect(await p.exited).toBe(2);
    expect(p.output()).toContain('--shutdown-timeout');
  });

  it('runs shell tasks, serves health and metrics, and drains on SIGTERM with exit 0', async () => {
    const group = `e2e-${runtime}`;
    const httpPort = await freePort();
    const p = start([
      'run',
      '--worker-group',
      group,
      '--endpoint',
      emulator.endpoint,
      '--plugin',
      '@tasklane/handlers-shell',
      '--http-port',
      String(httpPort),
      '--http-host',
      '127.0.0.1',
      '--progress-interval',
      '500ms',
    ]);
    await p.waitForOutput(/tasklane runner started/, 30_000);
    const c = emulator.control;
    const ok = c.enqueueTask({
      workerGroup: group,
      type: 'ShellCommandActivity',
      fields: { command: 'echo "$1-$2"', scriptArgument: ['a b', "it's"] },
    }).taskId;
    const bad = c.enqueueTask({
      workerGroup: group,
      type: 'ShellCommandActivity',
      fields: { command: 'echo broken >&2; exit 3' },
      maximumRetries: 0,
    }).taskId;
    const done = await c.waitFor(
      (o) => o.tasks[ok]?.terminalStatus !== undefined && o.tasks[bad]?.terminalStatus !== undefined,
      30_000,
    );
    expect(done.tasks[ok]!.terminalStatus).toBe('FINISHED');
    expect(done.tasks[bad]).toMatchObject({ terminalStatus: 'FAILED' });
    expect(done.tasks[bad]!.errorMessage).toContain('broken');

    const base = `http://127.0.0.1:${httpPort}`;
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ ready: true, state: 'running' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(
        `tasklane_tasks_total\\{group="${group}",activity_type="ShellCommandActivity",result="finished"\\} 1`,
      ),
    );
    expect(metrics).toMatch(
      new RegExp(
        `tasklane_tasks_total\\{group="${group}",activity_type="ShellCommandActivity",result="failed"\\} 1`,
      ),
    );

    p.signal('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain('tasklane runner stopped');
    expect(c.observations().violations).toEqual([]);
  });

  it('serves a BullMQ queue beside a worker group; jobs added with tasklane enqueue; dashboard on /queues', async () => {
    const queue = `jobs-${runtime}-${Date.now()}`;
    const group = `mixed-${runtime}`;
    const httpPort = await freePort();
    const p = start([
      'run',
      '--source',
      'datapipeline',
      '--source',
      'bullmq',
      '--worker-group',
      group,
      '--queue',
      queue,
      '--endpoint',
      emulator.endpoint,
      '--redis-url',
      redis.url,
      '--http-port',
      String(httpPort),
      '--http-host',
      '127.0.0.1',
    ]);
    await p.waitForOutput(/tasklane runner started/, 30_000);
    const enqueue = start([
      'enqueue',
      '--redis-url',
      redis.url,
      '--queue',
      queue,
      '--name',
      'ShellCommandActivity',
      '--data',
      JSON.stringify({ command: 'echo from-bullmq' }),
    ]);
    expect(await enqueue.exited).toBe(0);
    expect(enqueue.output()).toMatch(/"jobIds"/);
    const { taskId } = emulator.control.enqueueTask({
      workerGroup: group,
      type: 'ShellCommandActivity',
      fields: { command: 'true' },
    });
    expect(
      (await emulator.control.waitFor((o) => o.tasks[taskId]?.terminalStatus !== undefined, 30_000)).tasks[
        taskId
      ]!.terminalStatus,
    ).toBe('FINISHED');
    const base = `http://127.0.0.1:${httpPort}`;
    await expect
      .poll(
        async () =>
          (await (await fetch(`${base}/metrics`)).text()).match(
            new RegExp(
              `tasklane_tasks_total\\{group="${queue}",activity_type="ShellCommandActivity",result="finished"\\} 1`,
            ),
          ) !== null,
        { timeout: 20_000 },
      )
      .toBe(true);
    const dashboard = await fetch(`${base}/queues`);
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toMatch(/<html[\s\S]*Tasklane queues/i);
    p.signal('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('coordinates a fleet of processes through Redis: one poll in flight per group', async () => {
    const group = `fleet-${runtime}`;
    const prefix = `tl-e2e-${runtime}-${Date.now()}:`;
    const fleet = [1, 2].map((i) =>
      start([
        'run',
        '--worker-group',
        group,
        '--endpoint',
        emulator.endpoint,
        '--redis-url',
        redis.url,
        '--redis-key-prefix',
        prefix,
        '--hostname',
        `${runtime}-${i}`,
        '--concurrency',
        '2',
      ]),
    );
    await Promise.all(fleet.map((p) => p.waitForOutput(/tasklane runner started/, 30_000)));
    const ids = Array.from(
      { length: 30 },
      () =>
        emulator.control.enqueueTask({
          workerGroup: group,
          type: 'ShellCommandActivity',
          fields: { command: 'true' },
        }).taskId,
    );
    const obs = await emulator.control.waitFor(
      (o) => ids.every((id) => o.tasks[id]?.terminalStatus === 'FINISHED'),
      60_000,
    );
    expect(obs.groups[group]!.maxInFlightPolls).toBe(1);
    const hosts = new Set(ids.map((id) => obs.tasks[id]!.hostname));
    expect(hosts.size).toBe(2);
    for (const p of fleet) p.signal('SIGTERM');
    expect(await Promise.all(fleet.map((p) => p.exited))).toEqual([0, 0]);
  });
});
